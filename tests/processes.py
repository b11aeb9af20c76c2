"""What the tests see of other processes, from /proc (Linux): alive or not, and whose children."""

from __future__ import annotations

import os


def _stat(pid: int) -> tuple[str, int] | None:
    """The state letter and parent pid of ``pid``, or None once it is gone."""
    try:
        with open(f"/proc/{pid}/stat") as stat:
            fields = stat.read().rsplit(")", 1)[1].split()
    except (FileNotFoundError, ProcessLookupError):
        return None
    return fields[0], int(fields[1])


def alive(pid: int) -> bool:
    """The process runs (an exited one that waits for its parent to reap it does not)."""
    stat = _stat(pid)
    return stat is not None and stat[0] not in ("Z", "X")


def children(pid: int) -> set[int]:
    """The live processes whose parent is ``pid``."""
    found = set()
    for entry in os.listdir("/proc"):
        if entry.isdigit() and (stat := _stat(int(entry))) is not None and stat[1] == pid and stat[0] not in ("Z", "X"):
            found.add(int(entry))
    return found
