#!/usr/bin/env python3
"""Build the clinic's patient-education handouts: python make_docs.py --help"""

import sys

from handouts.cli import main

if __name__ == "__main__":
    sys.exit(main())
