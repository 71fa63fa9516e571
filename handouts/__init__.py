"""Patient-education handouts: Markdown sources to branded, accessible PDFs."""

import logging

__version__ = "0.1.0"

# A library's loggers say nothing unless the program using them asks: the command line
# prints its own one-line problems, and the staff app sends its log lines to its output.
logging.getLogger("handouts").addHandler(logging.NullHandler())
