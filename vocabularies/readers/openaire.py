"""OpenAIRE Graph ``project.tar`` reader (tar of gzip JSON Lines) and project -> row mapping.

The three key spellings of the dumps are accepted (≤ v7 ``funding``/``funding_stream``/
``startdate``, v8 ``fundingStream``/``startDate``, v9+ ``fundings``); see FORMATS.md §3.2.
"""

from __future__ import annotations

import datetime as dt
import re
import tarfile
from collections.abc import Iterator
from pathlib import Path

import orjson

from vocabularies.exceptions import ImportFailed, RecordInvalid
from vocabularies.readers.files import (
    GZIP_MAGIC,
    INFLATE_ERRORS,
    Prefetch,
    ProgressReader,
    archive_corrupt,
    head,
    inflating,
    is_tar,
    tar_stream_members,
)

MEMBER = re.compile(r"\.json\.gz$")

# OpenAIRE id prefix (12 characters before "::") -> funder ROR id (invenio-vocabularies' table, MIT).
FUNDER_PREFIXES = {
    "corda__h2020": "00k4n6c32", "corda_______": "00k4n6c32", "corda_____he": "00k4n6c32",
    "erasmusplus_": "00k4n6c32", "nsf_________": "021nxhr62", "nih_________": "01cwqze88",
    "ukri________": "001aqnf71", "wt__________": "029chgv08", "fwf_________": "013tf3c58",
    "snsf________": "00yjd3n13", "anr_________": "00rbzpz17", "nwo_________": "04jsz6e67",
    "fct_________": "00snfqn58", "arc_________": "05mmh0f86", "nhmrc_______": "011kf5r70",
    "aka_________": "05k73zm37", "sfi_________": "0271asj38", "tubitakf____": "04w9kkr77",
    "irb_hr______": "03n51vw80", "mestd_______": "01znas443", "cihr________": "01gavpb45",
    "nserc_______": "01h531d29", "sshrc_______": "006cvnv84", "rcuk________": "00dq2kk65",
    "inca________": "03m8vkq32", "twcf________": "00x0z1472",
}


def openaire_projects(path: Path, *, progress=None, max_member_bytes: int | None = None) -> Iterator[dict | RecordInvalid]:
    """Yield the projects of a ``project.tar`` one by one, streaming each member."""
    with open(path, "rb") as raw:
        magic = head(raw)
        if not is_tar(magic):
            kind = "a gzip file" if magic.startswith(GZIP_MAGIC) else "not a tar archive"
            raise ImportFailed(f"{path.name} is not an OpenAIRE project.tar ({kind})")
        reporter = ProgressReader(raw, progress)
        members = 0
        try:
            with tarfile.open(fileobj=raw, mode="r|") as archive:
                for member in tar_stream_members(archive):
                    if not member.isfile() or not MEMBER.search(member.name):
                        continue
                    if max_member_bytes is not None and member.size > max_member_bytes:
                        raise ImportFailed(
                            f"tar member {member.name} declares {member.size} bytes, more than "
                            f"VOCABULARIES_MAX_MEMBER_BYTES={max_member_bytes}"
                        )
                    members += 1
                    stream = inflating(archive.extractfile(member))
                    with Prefetch(stream) as prefetched:
                        yield from _lines(prefetched, member.name, reporter)
        except (tarfile.TarError, *INFLATE_ERRORS) as exc:
            raise archive_corrupt(path.name, exc) from exc
        if members == 0:
            raise ImportFailed(f"{path.name}: no part-*.json.gz members (not an OpenAIRE project dump)")
        reporter.finish()


def _split_lines(stream) -> Iterator[bytes]:
    rest = b""
    while block := stream.read(1 << 20):
        lines = (rest + block).split(b"\n")
        rest = lines.pop()
        yield from lines
    if rest:
        yield rest


def _lines(stream, member: str, reporter: ProgressReader):
    for number, line in enumerate(_split_lines(stream), 1):
        if not line.strip():
            continue
        reporter.tick()
        try:
            yield orjson.loads(line)
        except orjson.JSONDecodeError as exc:
            yield RecordInvalid(f"{member}:{number}", f"invalid JSON line: {exc}")


def _first(record: dict, *keys):
    for key in keys:
        value = record.get(key)
        if value not in (None, ""):
            return value
    return None


def _date(value, record_id: str, field: str) -> dt.date | None:
    if value in (None, ""):
        return None
    try:
        return dt.date.fromisoformat(str(value)[:10])
    except ValueError as exc:
        raise RecordInvalid(record_id, f"field {field!r} is not a date") from exc


def award_row(record) -> dict:
    """Map an OpenAIRE project to the columns of ``Award`` (all key spellings)."""
    if not isinstance(record, dict):
        raise RecordInvalid("?", f"line is a {type(record).__name__}, not an object")
    openaire_id = record.get("id")
    if not isinstance(openaire_id, str) or "::" not in openaire_id:
        raise RecordInvalid(str(record.get("code") or "?"), "missing or malformed OpenAIRE id (field 'id')")
    if openaire_id.startswith("40|"):  # delta dataset: entity-type prefix
        openaire_id = openaire_id[3:]
    prefix = openaire_id.split("::", 1)[0]
    fundings = _first(record, "fundings", "funding") or []
    funding = fundings[0] if isinstance(fundings, list) and fundings and isinstance(fundings[0], dict) else {}
    stream = _first(funding, "fundingStream", "funding_stream") or {}
    stream_id = stream.get("id") if isinstance(stream, dict) else str(stream)
    stream_id = stream_id or ""
    parts = stream_id.split("::")
    return {
        "openaire_id": openaire_id,
        "number": str(record.get("code") or ""),
        "title": str(record.get("title") or ""),
        "acronym": str(record.get("acronym") or ""),
        "funder_ror_id": FUNDER_PREFIXES.get(prefix, ""),
        "programme": parts[1] if len(parts) > 1 else "",
        "funding_stream": stream_id,
        "start_date": _date(_first(record, "startDate", "startdate"), openaire_id, "startDate"),
        "end_date": _date(_first(record, "endDate", "enddate"), openaire_id, "endDate"),
        "url": str(_first(record, "websiteUrl", "websiteurl") or ""),
    }
