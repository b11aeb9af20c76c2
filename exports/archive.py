"""Write an export archive (.tar.gz) to a local temporary file, then publish it to storage.

The archive is built on local disk (bounded memory: one record at a time), hashed
while it is written, copied into the default storage under a temporary name and only
then moved to its final name. Anything that stops the export before ``publish``
(an error, a cancel) leaves neither the temporary nor the final file behind.
"""

from __future__ import annotations

import hashlib
import io
import os
import tarfile
import tempfile
import uuid
from urllib.parse import quote

from django.core.files import File
from django.core.files.storage import default_storage

from exports import conf

TEMP_PREFIX = "exports/tmp/"


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
    """A .tar.gz on local disk; ``add`` one member at a time."""

    def __init__(self, *, compresslevel: int | None = None):
        self.file = tempfile.TemporaryFile(prefix="jobsite-export-", dir=conf.temp_dir())
        self.hashing = _HashingFile(self.file)
        level = compresslevel if compresslevel is not None else conf.compresslevel()
        self.tar = tarfile.open(fileobj=self.hashing, mode="w:gz", compresslevel=level, format=tarfile.PAX_FORMAT)

    def add(self, name: str, data: bytes, mtime: float):
        info = tarfile.TarInfo(name)
        info.size = len(data)
        info.mtime = int(mtime)
        info.mode = 0o644
        self.tar.addfile(info, io.BytesIO(data))
        self.tar.members.clear()  # TarFile keeps every member's header otherwise: memory would grow with N

    def add_file(self, name: str, fileobj, size: int, mtime: float):
        info = tarfile.TarInfo(name)
        info.size = size
        info.mtime = int(mtime)
        info.mode = 0o644
        self.tar.addfile(info, fileobj)
        self.tar.members.clear()

    def finish(self) -> tuple[int, str]:
        """Close the tar stream; return (size, sha256 hex)."""
        self.tar.close()
        self.file.flush()
        return self.hashing.size, self.hashing.sha256.hexdigest()

    def close(self):
        self.tar.close()
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
