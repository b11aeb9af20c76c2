"""Helper processes die with the process that started them (Linux's parent-death signal).

A forked parser or a log writer that outlives its run (its worker process killed, or
stuck) holds memory and connections for nothing. ``die_with_parent`` asks the kernel to
send the calling process ``SIGKILL`` when its parent thread ends (``prctl(PR_SET_PDEATHSIG)``
through ctypes; a no-op elsewhere), and exits at once when the parent is already gone.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import functools
import os
import signal
import sys

_PR_SET_PDEATHSIG = 1


@functools.cache
def _libc():
    if not sys.platform.startswith("linux"):
        return None
    try:
        return ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6", use_errno=True)
    except OSError:
        return None


def die_with_parent(parent_pid: int, sig: int = signal.SIGKILL) -> bool:
    """In a child: receive ``sig`` when ``parent_pid`` dies; return whether the kernel took the request."""
    libc = _libc()
    armed = libc is not None and libc.prctl(_PR_SET_PDEATHSIG, int(sig), 0, 0, 0) == 0
    if os.getppid() != parent_pid:  # it died before the request: nobody would signal us
        os._exit(1)
    return armed
