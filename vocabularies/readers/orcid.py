"""ORCID Public Data File reader (summaries .tar.gz, or a folder of per-iD XML files).

Each file is an ORCID ``record:record`` (API 3.0; the 2.x layout without
``activities:affiliation-group`` is read the same way). XML is parsed with lxml
``iterparse`` with entity resolution and network access off; a DOCTYPE that declares
entities is refused. A deactivated record (``history:deactivation-date``) is returned
as a deletion.
"""

from __future__ import annotations

import datetime as dt
import functools
import gzip
import os
import re
import tarfile
import threading
import zlib
from collections.abc import Iterator
from pathlib import Path

from lxml import etree

from vocabularies.exceptions import ImportFailed, RecordInvalid
from vocabularies.readers.files import DELETE, GZIP_MAGIC, Prefetch, ProgressReader, head, tar_stream_members

NS = {
    "common": "http://www.orcid.org/ns/common",
    "person": "http://www.orcid.org/ns/person",
    "personal-details": "http://www.orcid.org/ns/personal-details",
    "other-name": "http://www.orcid.org/ns/other-name",
    "employment": "http://www.orcid.org/ns/employment",
    "history": "http://www.orcid.org/ns/history",
    "activities": "http://www.orcid.org/ns/activities",
}


ORCID_ID = re.compile(r"^\d{4}-\d{4}-\d{4}-\d{3}[\dX]$")
FILE_NAME = re.compile(r"(\d{4}-\d{4}-\d{4}-\d{3}[\dX])\.xml$")
DEACTIVATED = "deactivated"
# A record file is read whole: refuse anything larger (real summaries are KBs, rarely a few MB).
MAX_RECORD_BYTES = 64 * 1024 * 1024


@functools.lru_cache(maxsize=256)
def _clark(path: str) -> str:
    """``common:name/x:y`` -> ``{uri}name/{uri}y``: lxml caches Clark paths, not prefix maps."""
    return "/".join(f"{{{NS[p.split(':')[0]]}}}{p.split(':')[1]}" if ":" in p else p for p in path.split("/"))


def _text(elem, path: str) -> str:
    found = elem.find(_clark(path))
    return (found.text or "").strip() if found is not None and found.text else ""


def _employment(elem) -> dict:
    org = elem.find(_clark("common:organization"))
    source = _text(org, "common:disambiguated-organization/common:disambiguation-source").upper() if org is not None else ""
    identifier = _text(org, "common:disambiguated-organization/common:disambiguated-organization-identifier") if org is not None else ""
    return {
        "organisation": _text(org, "common:name") if org is not None else "",
        "city": _text(org, "common:address/common:city") if org is not None else "",
        "country": _text(org, "common:address/common:country") if org is not None else "",
        "ror": identifier.rsplit("/", 1)[-1] if source == "ROR" else "",
        "grid": identifier if source == "GRID" else "",
        "ringgold": identifier if source == "RINGGOLD" else "",
        "department": _text(elem, "common:department-name"),
        "role": _text(elem, "common:role-title"),
        "start_year": _text(elem, "common:start-date/common:year"),
    }


_local = threading.local()
PERSON_NAME = "person:person/person:name/personal-details:"
OTHER_NAMES = _clark("person:person/other-name:other-names/other-name:other-name/other-name:content")
END_DATE = _clark("common:end-date")
EMPLOYMENT_PATHS = (
    _clark("activities:activities-summary/activities:employments/activities:affiliation-group/employment:employment-summary"),
    _clark("activities:activities-summary/activities:employments/employment:employment-summary"),  # 2.x layout
)


def _parser() -> etree.XMLParser:
    """One parser per thread: no entity expansion, no network, no DTD loading, size limits on."""
    parser = getattr(_local, "parser", None)
    if parser is None:
        parser = _local.parser = etree.XMLParser(
            resolve_entities=False, no_network=True, huge_tree=False, load_dtd=False,
            remove_comments=True, remove_pis=True,
        )
    return parser


EMPLOYMENTS_END = b"</activities:employments>"
HEAD_CLOSE = b"</activities:activities-summary></record:record>"


def _head(data: bytes) -> bytes | None:
    """The record up to its employments, closed: what we read precedes works, fundings, ...

    Works are usually most of a record (the real sample: 24 KB of 289 KB precede them).
    Only for documents written the way ORCID writes them (``record:`` and ``activities:``
    prefixes); if the cut document does not parse, the whole one is parsed instead.
    """
    if not data.lstrip()[:200].startswith((b"<?xml", b"<record:record")):
        return None
    end = data.find(EMPLOYMENTS_END)
    if end < 0 or data.find(b"<record:record", 0, end) < 0:
        return None
    return data[: end + len(EMPLOYMENTS_END)] + HEAD_CLOSE


def orcid_parse(data: bytes, name: str) -> dict:
    """Parse one ORCID record document into a plain dict; raise ``RecordInvalid`` when unusable.

    Each record is its own small file: it is parsed in one go (the head only, see
    ``_head``), not with ``iterparse``, which costs 3x more per record here.
    """
    root = None
    head = _head(data)
    if head is not None:
        try:
            root = etree.fromstring(head, _parser())
        except etree.XMLSyntaxError:
            root = None  # the shortcut did not fit this document: parse all of it
    if root is None:
        try:
            root = etree.fromstring(data, _parser())
        except etree.XMLSyntaxError as exc:
            raise RecordInvalid(name, f"XML not well-formed or refused: {exc}") from exc
    dtd = root.getroottree().docinfo.internalDTD
    if dtd is not None and any(True for _ in dtd.iterentities()):
        raise RecordInvalid(name, "XML DOCTYPE declaring entities is refused")
    employments = [
        _employment(elem)
        for path in EMPLOYMENT_PATHS
        for elem in root.iterfind(path)
        if elem.find(END_DATE) is None
    ]
    other_names = [(e.text or "").strip() for e in root.iterfind(OTHER_NAMES)]
    return {
        "orcid_id": _text(root, "common:orcid-identifier/common:path") or (root.get("path") or "").strip("/"),
        "given_names": _text(root, PERSON_NAME + "given-names"),
        "family_name": _text(root, PERSON_NAME + "family-name"),
        "credit_name": _text(root, PERSON_NAME + "credit-name"),
        "other_names": [n for n in other_names if n],
        "employments": employments,
        "last_modified": _text(root, "history:history/common:last-modified-date") or None,
        DEACTIVATED: root.find(_clark("history:history/history:deactivation-date")) is not None,
    }


def _member_id(name: str) -> str:
    match = FILE_NAME.search(name)
    return match.group(1) if match else name


def orcid_records(path: Path, *, progress=None, max_member_bytes: int | None = None) -> Iterator[dict | RecordInvalid]:
    """Yield parsed records of a summaries .tar.gz, a folder of XML files, or one XML file."""
    if path.is_dir():
        yield from _folder(path, progress)
        return
    with open(path, "rb") as raw:
        magic = head(raw)
        if magic.lstrip().startswith(b"<"):
            yield _parse_one(raw.read(MAX_RECORD_BYTES + 1), path.name)
            return
        if not magic.startswith(GZIP_MAGIC):
            raise ImportFailed(f"{path.name} is not an ORCID summaries .tar.gz (nor an XML file or a folder)")
        reporter = ProgressReader(raw, progress, every=200)
        files = 0
        try:
            with Prefetch(gzip.GzipFile(fileobj=raw, mode="rb")) as inflated, tarfile.open(
                fileobj=inflated, mode="r|"
            ) as archive:
                for item in _parsed(_members(archive, reporter, max_member_bytes)):
                    files += 1
                    yield item
        except (tarfile.TarError, EOFError, zlib.error, gzip.BadGzipFile, OSError) as exc:
            raise ImportFailed(f"{path.name}: archive is corrupt or truncated: {type(exc).__name__}: {exc}") from exc
        if files == 0:
            raise ImportFailed(f"{path.name}: no XML records in the archive")
        reporter.finish()


def _members(archive: tarfile.TarFile, reporter: ProgressReader, max_member_bytes: int | None):
    """Yield ``(xml bytes, iD)`` per record member (or ``RecordInvalid`` for one too large)."""
    limit = min(max_member_bytes or MAX_RECORD_BYTES, MAX_RECORD_BYTES)
    for member in tar_stream_members(archive):
        if not member.isfile() or not member.name.endswith(".xml"):
            continue
        reporter.tick()
        member_id = _member_id(member.name)
        if member.size > limit:
            yield RecordInvalid(member_id, f"{member.size} bytes, more than the record size limit")
            continue
        yield archive.extractfile(member).read(), member_id


def _parsed(items):
    for item in items:
        yield item if isinstance(item, RecordInvalid) else _parse_one(*item)


def _parse_one(data: bytes, name: str) -> dict | RecordInvalid:
    try:
        return orcid_parse(data, name)
    except RecordInvalid as exc:
        return exc


def _folder(path: Path, progress) -> Iterator[dict | RecordInvalid]:
    done = 0
    for directory, subdirs, files in os.walk(path):
        subdirs.sort()
        for file_name in sorted(files):
            if not file_name.endswith(".xml"):
                continue
            file_path = os.path.join(directory, file_name)
            if os.path.getsize(file_path) > MAX_RECORD_BYTES:
                yield RecordInvalid(_member_id(file_name), "more than the record size limit")
                continue
            with open(file_path, "rb") as stream:
                yield _parse_one(stream.read(), _member_id(file_name))
            done += 1
            if progress is not None and done % 200 == 0:
                progress(done, None)


def name_row(record) -> dict:
    """Map a parsed ORCID record to the columns of ``Name`` (or a deletion when deactivated)."""
    orcid_id = record.get("orcid_id") or ""
    if not ORCID_ID.match(orcid_id):
        raise RecordInvalid(orcid_id or "?", "missing or malformed ORCID iD")
    if record.get(DEACTIVATED):
        return {"orcid_id": orcid_id, DELETE: True}
    last_modified = record.get("last_modified")
    if last_modified:
        try:
            last_modified = dt.datetime.fromisoformat(last_modified)
        except ValueError as exc:
            raise RecordInvalid(orcid_id, f"last-modified-date {last_modified!r} is not a date-time") from exc
    return {
        "orcid_id": orcid_id,
        "given_names": record.get("given_names") or "",
        "family_name": record.get("family_name") or "",
        "credit_name": record.get("credit_name") or "",
        "other_names": list(record.get("other_names") or []),
        "employments": list(record.get("employments") or []),
        "last_modified": last_modified,
    }
