"""Helpers shared by the readers: file-type sniffing and progress over a raw file."""

from __future__ import annotations

import os
from typing import BinaryIO

# A mapper returns {key: ..., DELETE: True} for a record to remove (ORCID deactivated).
DELETE = "__delete__"
ZIP_MAGIC = b"PK\x03\x04"
GZIP_MAGIC = b"\x1f\x8b"


def head(raw: BinaryIO, size: int = 512) -> bytes:
    data = raw.read(size)
    raw.seek(0)
    return data


def is_tar(data: bytes) -> bool:
    return len(data) >= 262 and data[257:262] == b"ustar"


def size_of(raw: BinaryIO) -> int:
    return os.fstat(raw.fileno()).st_size


class ProgressReader:
    """Report ``raw.tell()`` of ``total`` bytes at most every ``every`` calls of ``tick``."""

    def __init__(self, raw: BinaryIO, progress, every: int = 1000):
        self.raw = raw
        self.progress = progress
        self.total = size_of(raw)
        self.every = every
        self.count = 0

    def tick(self):
        self.count += 1
        if self.progress is not None and self.count % self.every == 0:
            self.progress(self.raw.tell(), self.total)

    def finish(self):
        if self.progress is not None:
            self.progress(self.total, self.total)
