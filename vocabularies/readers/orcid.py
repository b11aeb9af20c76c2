"""ORCID Public Data File reader (summaries .tar.gz, or a folder of per-iD XML files).

Each file is an ORCID ``record:record`` (API 3.0; the 2.x layout without
``activities:affiliation-group`` is read the same way). XML is parsed with lxml
``iterparse`` with entity resolution and network access off; a DOCTYPE that declares
entities is refused. A deactivated record (``history:deactivation-date``) is returned
as a deletion.
"""

from __future__ import annotations

import datetime as dt
import os
import re
import tarfile
import threading
from collections.abc import Iterator
from pathlib import Path

from lxml import etree

from vocabularies.exceptions import ImportFailed, RecordInvalid
from vocabularies.readers.files import DELETE, GZIP_MAGIC, archive_corrupt, head
from vocabularies.readers.orcidcuts import _head, _slim
from vocabularies.readers.orcidtar import run_members, tar_blocks

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


def _q(name: str) -> str:
    prefix, local = name.split(":")
    return f"{{{NS[prefix]}}}{local}"


def _first_children(elem) -> dict:
    """Tag -> first child element with that tag: one pass, instead of one path search per field."""
    found: dict = {}
    if elem is not None:
        for child in elem:
            found.setdefault(child.tag, child)
    return found


def _text(elem) -> str:
    return elem.text.strip() if elem is not None and elem.text else ""


ORGANIZATION, NAME, ADDRESS, CITY, COUNTRY = (
    _q("common:organization"), _q("common:name"), _q("common:address"), _q("common:city"), _q("common:country"),
)
DISAMBIGUATED, DISAMBIGUATED_ID, DISAMBIGUATION_SOURCE = (
    _q("common:disambiguated-organization"), _q("common:disambiguated-organization-identifier"),
    _q("common:disambiguation-source"),
)
DEPARTMENT, ROLE, START_DATE, END_DATE, YEAR = (
    _q("common:department-name"), _q("common:role-title"), _q("common:start-date"), _q("common:end-date"), _q("common:year"),
)


def _employment(fields: dict) -> dict:
    """Map the children of an ``employment-summary`` (see ``_first_children``) to a plain dict."""
    org = _first_children(fields.get(ORGANIZATION))
    address = _first_children(org.get(ADDRESS))
    disambiguated = _first_children(org.get(DISAMBIGUATED))
    source = _text(disambiguated.get(DISAMBIGUATION_SOURCE)).upper()
    identifier = _text(disambiguated.get(DISAMBIGUATED_ID))
    return {
        "organisation": _text(org.get(NAME)),
        "city": _text(address.get(CITY)),
        "country": _text(address.get(COUNTRY)),
        "ror": identifier.rsplit("/", 1)[-1] if source == "ROR" else "",
        "grid": identifier if source == "GRID" else "",
        "ringgold": identifier if source == "RINGGOLD" else "",
        "department": _text(fields.get(DEPARTMENT)),
        "role": _text(fields.get(ROLE)),
        "start_year": _text(_first_children(fields.get(START_DATE)).get(YEAR)),
    }


_local = threading.local()
IDENTIFIER, PATH, HISTORY, LAST_MODIFIED, DEACTIVATION = (
    _q("common:orcid-identifier"), _q("common:path"), _q("history:history"), _q("common:last-modified-date"),
    _q("history:deactivation-date"),
)
PERSON, PERSON_NAME, OTHER_NAMES, OTHER_NAME, OTHER_NAME_CONTENT = (
    _q("person:person"), _q("person:name"), _q("other-name:other-names"), _q("other-name:other-name"),
    _q("other-name:content"),
)
GIVEN_NAMES, FAMILY_NAME, CREDIT_NAME = (
    _q("personal-details:given-names"), _q("personal-details:family-name"), _q("personal-details:credit-name"),
)
SUMMARY, EMPLOYMENTS, GROUP, EMPLOYMENT = (
    _q("activities:activities-summary"), _q("activities:employments"), _q("activities:affiliation-group"),
    _q("employment:employment-summary"),
)


def _employments(employments) -> list[dict]:
    """Current employments (no end date): grouped ones (3.0), then ungrouped ones (2.x layout)."""
    grouped, direct = [], []
    for child in employments if employments is not None else ():
        if child.tag == GROUP:
            grouped.extend(item for item in child if item.tag == EMPLOYMENT)
        elif child.tag == EMPLOYMENT:
            direct.append(child)
    found = []
    for elem in grouped + direct:
        fields = _first_children(elem)
        if END_DATE not in fields:
            found.append(_employment(fields))
    return found


def _record(root) -> dict:
    top = _first_children(root)
    history = _first_children(top.get(HISTORY))
    person = _first_children(top.get(PERSON))
    name = _first_children(person.get(PERSON_NAME))
    other_names = []
    for group in top[PERSON] if PERSON in top else ():
        if group.tag == OTHER_NAMES:
            for other in group:
                if other.tag == OTHER_NAME:
                    other_names.extend(_text(content) for content in other if content.tag == OTHER_NAME_CONTENT)
    return {
        "orcid_id": _text(_first_children(top.get(IDENTIFIER)).get(PATH)) or (root.get("path") or "").strip("/"),
        "given_names": _text(name.get(GIVEN_NAMES)),
        "family_name": _text(name.get(FAMILY_NAME)),
        "credit_name": _text(name.get(CREDIT_NAME)),
        "other_names": [n for n in other_names if n],
        "employments": _employments(_first_children(top.get(SUMMARY)).get(EMPLOYMENTS)),
        "last_modified": _text(history.get(LAST_MODIFIED)) or None,
        DEACTIVATED: DEACTIVATION in history,
    }


def _parser() -> etree.XMLParser:
    """One parser per thread: no entity expansion, no network, no DTD loading, size limits on."""
    parser = getattr(_local, "parser", None)
    if parser is None:
        parser = _local.parser = etree.XMLParser(
            resolve_entities=False, no_network=True, huge_tree=False, load_dtd=False,
            remove_comments=True, remove_pis=True, remove_blank_text=True,  # every value read is stripped
        )
    return parser


def orcid_parse(data: bytes, name: str) -> dict:
    """Parse one ORCID record document into a plain dict; raise ``RecordInvalid`` when unusable.

    Each record is its own small file: it is parsed in one go (only the elements read,
    see ``_slim``, else the head, see ``_head``), not with ``iterparse``, which costs 3x
    more per record here.
    """
    root = None
    for cut in (_slim, _head):
        piece = cut(data)
        if piece is None:
            continue
        try:
            root = etree.fromstring(piece, _parser())
            break
        except etree.XMLSyntaxError:
            root = None  # the shortcut did not fit this document: try the next one
    if root is None:
        try:
            root = etree.fromstring(data, _parser())
        except etree.XMLSyntaxError as exc:
            raise RecordInvalid(name, f"XML not well-formed or refused: {exc}") from exc
    dtd = root.getroottree().docinfo.internalDTD
    if dtd is not None and any(True for _ in dtd.iterentities()):
        raise RecordInvalid(name, "XML DOCTYPE declaring entities is refused")
    return _record(root)


def _member_id(name: str) -> str:
    match = FILE_NAME.search(name)
    return match.group(1) if match else name


def orcid_records(path: Path, *, progress=None, max_member_bytes: int | None = None) -> Iterator[dict | RecordInvalid]:
    """Yield parsed records of a summaries .tar.gz, a folder of XML files, or one XML file."""
    if path.is_dir():
        yield from _folder(path, progress)
        return
    with open(path, "rb") as raw:
        if head(raw).lstrip().startswith(b"<"):
            yield _parse_one(raw.read(MAX_RECORD_BYTES + 1), path.name)
            return
    yield from orcid_parsed(orcid_members(path, progress=progress, max_member_bytes=max_member_bytes))


def is_summaries_archive(path: Path) -> bool:
    """True for a gzip file (what a summaries .tar.gz is); False for a folder or an XML file."""
    if path.is_dir():
        return False
    with open(path, "rb") as raw:
        return head(raw).startswith(GZIP_MAGIC)


def record_limit(max_member_bytes: int | None) -> int:
    """The largest record member read (``VOCABULARIES_MAX_MEMBER_BYTES``, at most ``MAX_RECORD_BYTES``)."""
    return min(max_member_bytes or MAX_RECORD_BYTES, MAX_RECORD_BYTES)


def orcid_members(path: Path, *, progress=None, max_member_bytes: int | None = None):
    """Yield ``(xml bytes, iD)`` per record member of a summaries .tar.gz (``RecordInvalid`` for one too large).

    The same member walk as the forked parsers' (``readers.orcidtar``), in this process.
    """
    limit = record_limit(max_member_bytes)
    files = 0
    # Small blocks: the records before a damaged part of the dump come out before its error.
    for parts in tar_blocks(path, limit=limit, progress=progress, records=16):
        for item in block_members(parts, limit=limit, name=path.name):
            files += 1
            yield item
    if files == 0:
        raise ImportFailed(f"{path.name}: no XML records in the archive")


def block_members(parts: list, *, limit: int, name: str) -> Iterator[tuple[bytes, str] | RecordInvalid]:
    """``(xml bytes, iD)``, or ``RecordInvalid`` for a refused member, of each record of a block of ``tar_blocks``."""
    try:
        for part in parts:
            for data, member, *reason in [part] if isinstance(part, tuple) else run_members(part, limit=limit):
                yield RecordInvalid(_member_id(member), reason[0]) if data is None else (data, _member_id(member))
    except tarfile.TarError as exc:
        raise archive_corrupt(name, exc) from exc


def block_records(parts: list, *, name: str, max_member_bytes: int | None = None) -> Iterator:
    """The parsed records of one block of ``tar_blocks`` (in a parsing process)."""
    return orcid_parsed(block_members(parts, limit=record_limit(max_member_bytes), name=name))


def orcid_parsed(items):
    """Parsed records of ``(xml bytes, iD)`` items (a ``RecordInvalid`` or a ``SHARD_BREAK`` passes through)."""
    for item in items:
        yield _parse_one(*item) if item.__class__ is tuple else item


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
            raise RecordInvalid(orcid_id, "field 'last-modified-date' is not a date-time") from exc
    return {
        "orcid_id": orcid_id,
        "given_names": record.get("given_names") or "",
        "family_name": record.get("family_name") or "",
        "credit_name": record.get("credit_name") or "",
        "other_names": list(record.get("other_names") or []),
        "employments": list(record.get("employments") or []),
        "last_modified": last_modified,
    }
