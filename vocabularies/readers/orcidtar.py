"""An ORCID summaries .tar.gz cut into blocks of whole tar members, for parsers in other processes.

The process that reads the dump only inflates it and walks the tar headers (the size
field, ``tarfile.nti``, and the type) to cut the stream between members; the parsers open
each block with ``tarfile`` (a run of whole members is a tar) and parse its records. So
the one sequential part, reading the gzip stream, does the least work per record: tar
header parsing in Python (~50 us a member) happens in the parsers, in parallel. (The
member bytes are not joined here either: the pipe's pickling copies them once.)
A member larger than the record size limit is not copied: its block holds a refusal.
"""

from __future__ import annotations

import io
import tarfile
from collections.abc import Iterator
from pathlib import Path

from vocabularies.exceptions import ImportFailed, RecordInvalid
from vocabularies.readers.files import GZIP_MAGIC, INFLATE_ERRORS, ProgressReader, head, inflating
from vocabularies.readers.orcid import MAX_RECORD_BYTES, _member_id, _members, orcid_parsed

BLOCK = 512
END = bytes(BLOCK)
EXTENSIONS = (tarfile.XHDTYPE, tarfile.XGLTYPE, tarfile.GNUTYPE_LONGNAME, tarfile.GNUTYPE_LONGLINK)
ERRORS = (tarfile.TarError, *INFLATE_ERRORS, OSError)


class _NoProgress:
    def tick(self):
        pass


def _corrupt(name: str, exc) -> ImportFailed:
    return ImportFailed(f"{name}: archive is corrupt or truncated: {type(exc).__name__}: {exc}")


def _read(stream, size: int) -> bytes:
    data = stream.read(size)
    if len(data) < size:
        raise EOFError("unexpected end of data")
    return data


def tar_blocks(path: Path, *, progress=None, max_member_bytes: int | None = None, records: int = 500,
               max_bytes: int = 16 * 1024 * 1024) -> Iterator[list]:
    """Yield blocks of the .tar.gz: lists of parts, each the raw pieces (a list) of whole members or a refusal
    ``(None, iD, reason)``.

    A block ends after ``records`` file members or about ``max_bytes``; pax and GNU
    extension headers stay with the member they describe.
    """
    limit = min(max_member_bytes or MAX_RECORD_BYTES, MAX_RECORD_BYTES)
    with open(path, "rb") as raw:
        if not head(raw).startswith(GZIP_MAGIC):
            raise ImportFailed(f"{path.name} is not an ORCID summaries .tar.gz (nor an XML file or a folder)")
        reporter = ProgressReader(raw, progress, every=200)
        parts: list = []
        run: list[bytes] = []  # the pieces of the current run of whole members
        extensions: list[bytes] = []  # pax / GNU headers (and their data) of the member that follows
        count = size = files = 0
        try:
            with inflating(raw) as inflated:
                stream = io.BufferedReader(inflated, 1 << 20)
                while (header := stream.read(BLOCK)) and header != END:
                    if len(header) < BLOCK:
                        raise EOFError("unexpected end of data in a header")
                    length = tarfile.nti(header[124:136])
                    kind = header[156:157]
                    padded = -(-length // BLOCK) * BLOCK
                    if kind in EXTENSIONS:
                        extensions.extend((header, _read(stream, padded)))
                        continue
                    if kind in tarfile.REGULAR_TYPES:
                        files += 1
                        count += 1
                        reporter.tick()
                        if length > limit:  # not copied; its extension headers go with it
                            name = _member_id(header[:100].rstrip(b"\0").decode("utf-8", "replace"))
                            parts.extend([run] if run else [])
                            parts.append((None, name, f"{length} bytes, more than the record size limit"))
                            run, extensions = [], []
                            for _ in range(padded >> 20):
                                _read(stream, 1 << 20)
                            _read(stream, padded & ((1 << 20) - 1))
                            continue
                    run.extend((*extensions, header, _read(stream, padded)))
                    size += sum(map(len, extensions)) + BLOCK + padded
                    extensions = []
                    if count >= records or size >= max_bytes:
                        parts.append(run)
                        yield parts
                        parts, run, count, size = [], [], 0, 0
        except ERRORS as exc:
            raise _corrupt(path.name, exc) from exc
        if run:
            parts.append(run)
        if parts:
            yield parts
        if files == 0:
            raise ImportFailed(f"{path.name}: no XML records in the archive")
        reporter.finish()


def block_records(parts: list, *, name: str, max_member_bytes: int | None = None) -> Iterator:
    """The parsed records of one block of ``tar_blocks`` (in a parsing process)."""
    for part in parts:
        if isinstance(part, tuple):
            yield RecordInvalid(part[1], part[2])
            continue
        try:
            with tarfile.open(fileobj=io.BytesIO(b"".join(part)), mode="r|") as archive:
                yield from orcid_parsed(_members(archive, _NoProgress(), max_member_bytes))
        except tarfile.TarError as exc:
            raise _corrupt(name, exc) from exc
