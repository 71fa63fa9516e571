"""A loopback port for a server a test starts, chosen below the range the system takes
its clients' ports from.

A port the system hands out (`bind(("127.0.0.1", 0))`) lies in that range, so a test
that polls it until the server listens may, once in a few thousand tries, be given
that very port for its own end: TCP then joins the socket to itself, and the client
reads back its own request ("BadStatusLine: GET /login HTTP/1.1"). No client end is
ever given a port below the range.
"""

from __future__ import annotations

import random
import socket
from pathlib import Path

LOWEST = 10000


def free_port() -> int:
    """A port below the system's client range that nothing listens on now."""
    first = _first_client_port()
    for port in random.sample(range(LOWEST, first), 200):
        with socket.socket() as probe:
            try:
                probe.bind(("127.0.0.1", port))
            except OSError:
                continue
            return port
    raise RuntimeError(f"no free port between {LOWEST} and {first}")


def _first_client_port() -> int:
    try:
        return int(Path("/proc/sys/net/ipv4/ip_local_port_range").read_text().split()[0])
    except (OSError, ValueError, IndexError):
        return 32768  # Linux's default
