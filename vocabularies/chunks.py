"""Chunk files of a fanned-out import, in storage that every worker can read (Django's storage API).

The storage is ``VOCABULARIES_CHUNK_STORAGE`` (an alias of ``STORAGES``), else the default
storage (local ``MEDIA_ROOT`` unless configured otherwise). A chunk is written by
streaming into ``Storage.save`` and read from a local path: the storage's own for local
storage, else a temporary copy that is removed afterwards.
"""

from __future__ import annotations

import contextlib
import logging
import os
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

from django.core.files import File
from django.core.files.storage import default_storage, storages

from vocabularies import conf

logger = logging.getLogger(__name__)
CHUNK_DIR = "vocabularies/chunks/"


def chunk_storage():
    alias = conf.get("VOCABULARIES_CHUNK_STORAGE")
    return storages[alias] if alias else default_storage


def chunk_save(name: str, stream) -> str:
    """Write the readable ``stream`` to storage under ``name`` (or a free variant of it); return the name.

    A write that fails half-way leaves nothing behind.
    """
    storage = chunk_storage()
    name = storage.get_available_name(name)
    try:
        return storage.save(name, File(stream, name=name))
    except BaseException:
        chunk_delete(name)
        raise


def chunk_delete(name: str) -> None:
    """Remove a chunk; one that is already gone is no error."""
    storage = chunk_storage()
    try:
        storage.delete(name)
    except FileNotFoundError:
        pass
    except Exception as exc:  # noqa: BLE001 - a leftover chunk must not fail the import; it is logged
        logger.warning("chunk_delete_failed name=%s error=%s", name, exc)


@contextlib.contextmanager
def chunk_local(name: str) -> Iterator[Path]:
    """A local path with the chunk's content (its own on local storage, else a temporary copy)."""
    storage = chunk_storage()
    try:
        path = Path(storage.path(name))
    except NotImplementedError:  # remote storage: no local path
        path = None
    if path is not None:
        yield path
        return
    fd, temp = tempfile.mkstemp(prefix="vocabulary-", suffix=".chunk")
    try:
        with os.fdopen(fd, "wb") as out, storage.open(name, "rb") as source:
            shutil.copyfileobj(source, out, 1 << 20)
        yield Path(temp)
    finally:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(temp)
