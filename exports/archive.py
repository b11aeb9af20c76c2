"""Write an export archive (.tar.gz) to a local temporary file, then publish it to storage.

The archive is built on local disk (bounded memory: one record at a time), hashed
while it is written, copied into the default storage under a temporary name and only
then moved to its final name. Anything that stops the export before ``publish``
(an error, a cancel) leaves neither the temporary nor the final file behind.
"""

from __future__ import annotations

import gzip
import hashlib
import io
import os
import shutil
import tarfile
import tempfile
import uuid
from urllib.parse import quote

from django.core.files import File
from django.core.files.storage import default_storage

from exports import conf

TEMP_PREFIX = "exports/tmp/"
PART_DIR = "exports/parts/"  # parts of fanned-out exports (exports.fanout), one folder per run


def member_name(doi: str, extension: str) -> str:
    """A safe, reversible member name for a DOI: everything but ``A-Za-z0-9._-`` percent-encoded."""
    return f"records/{quote(doi, safe='')}.{extension}"


class _HashingFile(io.RawIOBase):
    """A write-only file that hashes and counts what goes through it."""

    def __init__(self, raw):
        self.raw = raw
        self.sha256 = hashlib.sha256()
        self.size = 0

    def writable(self):
        return True

    def write(self, data):
        self.sha256.update(data)
        self.size += len(data)
        return self.raw.write(data)


class ArchiveWriter:
    """A .tar.gz on local disk; ``add`` one member at a time.

    The tar stream is written block by block into gzip members: ``add_part`` appends a
    part (``finish_part`` of another writer: whole gzip members of tar members without
    the end-of-archive marker) as it is, since concatenated gzip members are one gzip
    stream and concatenated tar members one tar stream.
    """

    def __init__(self, *, compresslevel: int | None = None):
        self.file = tempfile.TemporaryFile(prefix="jobsite-export-", dir=conf.temp_dir())
        self.hashing = _HashingFile(self.file)
        self.level = compresslevel if compresslevel is not None else conf.compresslevel()
        self._gzip = None

    def _stream(self) -> gzip.GzipFile:
        if self._gzip is None:
            self._gzip = gzip.GzipFile(filename="", fileobj=self.hashing, mode="wb", compresslevel=self.level)
        return self._gzip

    def _member_close(self):
        if self._gzip is not None:
            self._gzip.close()  # writes the gzip trailer; the file stays open
            self._gzip = None

    def add(self, name: str, data: bytes, mtime: float):
        self.add_file(name, io.BytesIO(data), len(data), mtime)

    def add_file(self, name: str, fileobj, size: int, mtime: float):
        """Write a member header, ``size`` bytes of ``fileobj`` and the padding to the next block."""
        info = tarfile.TarInfo(name)
        info.size = size
        info.mtime = int(mtime)
        info.mode = 0o644
        out = self._stream()
        out.write(info.tobuf(tarfile.PAX_FORMAT, tarfile.ENCODING, "surrogateescape"))
        tarfile.copyfileobj(fileobj, out, size)
        remainder = size % tarfile.BLOCKSIZE
        if remainder:
            out.write(tarfile.NUL * (tarfile.BLOCKSIZE - remainder))

    def add_part(self, fileobj):
        """Append a finished part (whole gzip members of tar members) byte for byte."""
        self._member_close()
        shutil.copyfileobj(fileobj, self.hashing, 1024 * 1024)

    def finish_part(self):
        """Close the gzip member without the tar end-of-archive marker: a part to join; rewound."""
        self._member_close()
        self.file.flush()
        self.file.seek(0)

    def finish(self) -> tuple[int, str]:
        """Close the tar stream (end-of-archive blocks); return (size, sha256 hex)."""
        self._stream().write(tarfile.NUL * (2 * tarfile.BLOCKSIZE))
        self._member_close()
        self.file.flush()
        return self.hashing.size, self.hashing.sha256.hexdigest()

    def close(self):
        self._member_close()
        self.file.close()

    def publish(self, final_name: str, *, storage=None) -> str:
        """Copy the finished archive into storage under a temporary name, then move it to ``final_name``."""
        storage = storage or default_storage
        self.file.seek(0)
        # Named before saving: a save that fails half-way (disk full) leaves a part to remove.
        temp_name = storage.get_available_name(f"{TEMP_PREFIX}{uuid.uuid4().hex}.part")
        try:
            temp_name = storage.save(temp_name, File(self.file))
            return _move(storage, temp_name, final_name)
        finally:
            if storage.exists(temp_name):
                storage.delete(temp_name)


def _move(storage, temp_name: str, final_name: str) -> str:
    """Rename within local storage (atomic); elsewhere copy then delete (storage API has no rename)."""
    try:
        src = storage.path(temp_name)
    except NotImplementedError:
        return _copy(storage, temp_name, final_name)
    name = storage.get_available_name(final_name)
    dst = storage.path(name)
    os.makedirs(os.path.dirname(dst), exist_ok=True)
    os.replace(src, dst)
    return name


def _copy(storage, temp_name: str, final_name: str) -> str:
    name = storage.get_available_name(final_name)
    done = False
    try:
        with storage.open(temp_name, "rb") as fh:
            name = storage.save(name, fh)
        done = True
        return name
    finally:
        if not done and storage.exists(name):
            storage.delete(name)
