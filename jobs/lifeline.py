"""Helpers that live as long as their process: child processes die with it (Linux's parent-death
signal), and a process's helper thread is started again in a forked child (``ProcessThread``).

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
import threading

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


class ProcessThread(threading.Thread):
    """A daemon thread of which a process has one (per subclass): ``shared()`` starts it on first use,
    and again in a forked child (threads do not survive a fork) or after it died."""

    _shared_lock = threading.Lock()

    def __init__(self, name: str):
        super().__init__(name=name, daemon=True)
        self.pid = os.getpid()

    @classmethod
    def shared(cls):
        """This process's thread of ``cls``, started if needed."""
        with ProcessThread._shared_lock:
            thread = cls.__dict__.get("_thread")  # this class's own, never a sibling class's
            if thread is None or thread.pid != os.getpid() or not thread.is_alive():
                thread = cls()
                cls._thread = thread
                thread.start()
            return thread
