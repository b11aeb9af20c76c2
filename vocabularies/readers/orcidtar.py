"""An ORCID summaries .tar.gz cut into blocks of whole tar members, and those members read back.

The process that reads the dump only inflates it and walks the tar headers (the size
field, ``tarfile.nti``, and the type) to cut the stream between members; ``run_members``
reads a block's members back from those same pieces, in the parsing processes: for a run
of plain members (the ORCID dump's) by slicing each header's name and size fields, ~10x
cheaper than ``tarfile``'s full header parsing (~50 us a member); a run that holds pax or
GNU extension headers (long names) or sparse members goes through ``tarfile``. So the one
sequential part, reading the gzip stream, does the least work per record. (The member
bytes are not joined here either: the pipe's pickling copies them once.) A member larger
than the record size limit is not copied: its block holds a refusal.
"""

from __future__ import annotations

import io
import tarfile
from collections.abc import Iterator
from pathlib import Path

from vocabularies.exceptions import ImportFailed
from vocabularies.readers.files import GZIP_MAGIC, INFLATE_ERRORS, ProgressReader, archive_corrupt, head, inflating

BLOCK = 512
END = bytes(BLOCK)
EXTENSIONS = (tarfile.XHDTYPE, tarfile.XGLTYPE, tarfile.GNUTYPE_LONGNAME, tarfile.GNUTYPE_LONGLINK)
# Runs holding one of these are read by ``tarfile`` (names from extension headers, sparse maps).
THROUGH_TARFILE = frozenset((*EXTENSIONS, tarfile.GNUTYPE_SPARSE))
ERRORS = (tarfile.TarError, *INFLATE_ERRORS, OSError)


def _read(stream, size: int) -> bytes:
    data = stream.read(size)
    if len(data) < size:
        raise EOFError("unexpected end of data")
    return data


def tar_blocks(path: Path, *, limit: int, progress=None, records: int = 500,
               max_bytes: int = 16 * 1024 * 1024) -> Iterator[list]:
    """Yield blocks of the .tar.gz: lists of parts, each the raw pieces (a list) of whole members or a refusal
    ``(None, iD, reason)``.

    A block ends after ``records`` file members or about ``max_bytes``; pax and GNU
    extension headers stay with the member they describe. A member of more than ``limit``
    bytes is refused (``(None, name, reason)``), its data skipped. Every run is pairs of
    (512-byte header, padded data).
    """
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
                            name = header[:100].rstrip(b"\0").decode("utf-8", "replace")
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
            raise archive_corrupt(path.name, exc) from exc
        if run:
            parts.append(run)
        if parts:
            yield parts
        if files == 0:
            raise ImportFailed(f"{path.name}: no XML records in the archive")
        reporter.finish()


def _name(header: bytes) -> str:
    """A ustar header's member name: its prefix field, then its name field (as ``tarfile`` reads them)."""
    name = header[:100].split(b"\0", 1)[0]
    prefix = header[345:500].split(b"\0", 1)[0]
    return (prefix + b"/" + name if prefix else name).decode("utf-8", "surrogateescape")


def run_members(pieces: list, *, limit: int, suffix: str = ".xml") -> Iterator[tuple[bytes, str] | tuple[None, str, str]]:
    """``(data, member name)`` of each regular member of a run of ``tar_blocks`` whose name ends with ``suffix``.

    A member of more than ``limit`` bytes (seen only through ``tarfile``: ``tar_blocks``
    already refused the others) gives ``(None, name, reason)``.
    """
    headers = pieces[0::2]
    if any(header[156:157] in THROUGH_TARFILE for header in headers):
        with tarfile.open(fileobj=io.BytesIO(b"".join(pieces)), mode="r|") as archive:
            for member in archive:
                if member.isfile() and member.name.endswith(suffix):
                    if member.size > limit:
                        yield None, member.name, f"{member.size} bytes, more than the record size limit"
                    else:
                        yield archive.extractfile(member).read(), member.name
        return
    regular = tarfile.REGULAR_TYPES
    nti = tarfile.nti
    for header, data in zip(headers, pieces[1::2], strict=True):
        if header[156:157] in regular and (name := _name(header)).endswith(suffix):
            yield data[:nti(header[124:136])], name
