"""ROR data dump reader (release zip of every era) and record -> row mappings.

Member choice: ``*_schema_v2.json`` when present (v1.45 - v1.74 ship v1 and v2 files),
otherwise the single ``*-ror-data.json`` (v2.0 onwards: schema v2 only). A dump that
holds only schema v1 records (releases before v1.45) is refused with a message.
"""

from __future__ import annotations

import datetime as dt
import re
import zipfile
import zlib
from collections.abc import Iterator
from pathlib import Path

from vocabularies.exceptions import ImportFailed, RecordInvalid
from vocabularies.readers.files import SHARD_BREAK, ZIP_MAGIC, Prefetch, ProgressReader, head
from vocabularies.readers.jsonarray import JSONArrayError, json_array_items

ROR_ID = re.compile(r"^https://ror\.org/(0[a-z0-9]{8})$")
STATUSES = {"active", "inactive", "withdrawn"}
V1_MESSAGE = (
    "this ROR dump holds only schema v1 records (releases before v1.45, 2024-04-11); "
    "use a release from v1.45 onwards, which includes the schema v2 file"
)


def zip_member_select(names: list[str]) -> str:
    """Pick the schema v2 JSON member of a ROR release zip."""
    base = [n for n in names if not n.endswith("/") and "__MACOSX" not in n]
    v2 = [n for n in base if n.endswith("_schema_v2.json")]
    if len(v2) == 1:
        return v2[0]
    plain = [n for n in base if n.endswith("-ror-data.json")]
    if len(plain) == 1:
        return plain[0]
    raise ImportFailed(f"not a ROR release zip: expected one *-ror-data.json member, found {sorted(base)[:10]}")


def ror_records(
    path: Path, *, progress=None, max_member_bytes: int | None = None, shard: tuple[int, int] | None = None
) -> Iterator[dict]:
    """Yield the records of a ROR dump (zip, or the bare JSON array) one by one.

    ``shard=(index, count)``: parse only that shard's groups of records, each followed by
    ``SHARD_BREAK`` (see ``jsonarray``); ``count`` readers of the same dump yield every record once.
    """
    with open(path, "rb") as raw:
        magic = head(raw, 8)
        reporter = ProgressReader(raw, progress)
        if magic.startswith(ZIP_MAGIC):
            try:
                archive = zipfile.ZipFile(raw)
            except zipfile.BadZipFile as exc:
                raise ImportFailed(f"ROR dump {path.name} is not a readable zip (truncated or corrupt): {exc}") from exc
            name = zip_member_select(archive.namelist())
            info = archive.getinfo(name)
            if max_member_bytes is not None and info.file_size > max_member_bytes:
                raise ImportFailed(
                    f"zip member {name} declares {info.file_size} bytes, more than "
                    f"VOCABULARIES_MAX_MEMBER_BYTES={max_member_bytes}"
                )
            try:
                with archive.open(name) as member, Prefetch(member) as prefetched:
                    yield from _array(prefetched, name, reporter, shard)
            except (zipfile.BadZipFile, zlib.error, EOFError) as exc:
                raise ImportFailed(f"ROR dump {path.name}: member {name} is corrupt or truncated: {exc}") from exc
        elif magic.lstrip()[:1] == b"[":
            yield from _array(raw, path.name, reporter, shard)
        else:
            raise ImportFailed(f"{path.name} is not a ROR dump: expected a release .zip (or its JSON array)")
        reporter.finish()


def _array(stream, name: str, reporter: ProgressReader, shard: tuple[int, int] | None) -> Iterator[dict]:
    count = 0
    try:
        for record in json_array_items(stream, shard=shard):
            if record is SHARD_BREAK:
                yield record
                continue
            if count == 0 and isinstance(record, dict) and "names" not in record and "name" in record:
                raise ImportFailed(f"{name}: {V1_MESSAGE}")
            count += 1
            reporter.tick()
            yield record
    except JSONArrayError as exc:
        raise ImportFailed(f"{name}: {exc}") from exc
    if count == 0 and (shard is None or shard[0] == 0):  # (other shards may have no group of records)
        raise ImportFailed(f"{name}: no records (expected a JSON array of ROR records)")


def ror_id_of(record) -> str:
    if not isinstance(record, dict):
        raise RecordInvalid("?", f"record is a {type(record).__name__}, not an object")
    match = ROR_ID.match(record.get("id") or "") if isinstance(record.get("id"), str) else None
    if match is None:
        raise RecordInvalid(_label(record), "missing or malformed ROR id (field 'id')")
    return match.group(1)


def _label(record: dict) -> str:
    for name in record.get("names") or []:
        if isinstance(name, dict) and "ror_display" in (name.get("types") or []):
            return f"(no id) {name.get('value')}"
    return "?"


def _externals(record: dict) -> dict[str, list[str]]:
    """External ids by type, the preferred one first."""
    found: dict[str, list[str]] = {}
    for ext in record.get("external_ids") or ():
        if not isinstance(ext, dict) or ext.get("type") in found:
            continue
        values = [v for v in ext.get("all") or () if isinstance(v, str)]
        preferred = ext.get("preferred")
        if preferred and isinstance(preferred, str):
            values = [preferred] + [v for v in values if v != preferred]
        found[ext.get("type")] = values
    return found


def _last_modified(record: dict, ror_id: str) -> dt.date | None:
    value = ((record.get("admin") or {}).get("last_modified") or {}).get("date")
    if value is None:
        return None
    try:
        return dt.date.fromisoformat(value)
    except (TypeError, ValueError) as exc:
        raise RecordInvalid(ror_id, "field 'admin.last_modified.date' is not a date") from exc


def _common(record) -> tuple[dict, dict[str, list[str]], dict[str, list]]:
    """Fields shared by affiliations and funders, the external ids, and the names by type."""
    ror_id = ror_id_of(record)
    by_type: dict[str, list] = {"ror_display": [], "label": [], "alias": [], "acronym": []}
    for name in record.get("names") or ():
        if isinstance(name, dict) and isinstance(name.get("value"), str):
            for kind in name.get("types") or ():
                if kind in by_type:
                    by_type[kind].append(name)
    display = (by_type["ror_display"] or by_type["label"] or [{}])[0].get("value")
    if not display:
        raise RecordInvalid(ror_id, "no ror_display name")
    status = record.get("status")
    if status not in STATUSES:
        raise RecordInvalid(ror_id, "unknown value in field 'status'")
    locations = record.get("locations") or ()
    details = (locations[0].get("geonames_details") or {}) if locations and isinstance(locations[0], dict) else {}
    externals = _externals(record)
    common = {
        "ror_id": ror_id,
        "name": display,
        "status": status,
        "country": details.get("country_code") or "",
        "country_name": details.get("country_name") or "",
        "city": details.get("name") or "",
        "fundref_ids": externals.get("fundref", []),
        "last_modified": _last_modified(record, ror_id),
    }
    return common, externals, by_type


def affiliation_row(record) -> dict:
    """Map a ROR v2 record to the columns of ``Affiliation``."""
    common, externals, by_type = _common(record)
    labels: dict[str, list[str]] = {}
    for name in by_type["label"]:
        labels.setdefault(name.get("lang") or "", []).append(name["value"])
    successor = ""
    for relation in record.get("relationships") or ():
        if isinstance(relation, dict) and relation.get("type") == "successor":
            successor = str(relation.get("id") or "").rsplit("/", 1)[-1]
            break
    grid = externals.get("grid")
    common.update(
        acronyms=[n["value"] for n in by_type["acronym"]],
        aliases=[n["value"] for n in by_type["alias"]],
        labels=labels,
        types=[t for t in record.get("types") or () if isinstance(t, str)],
        grid_id=grid[0] if grid else "",
        isni_ids=externals.get("isni", []),
        wikidata_ids=externals.get("wikidata", []),
        successor=successor,
    )
    return common


def is_funder(record: dict, fundref_ids: list[str]) -> bool:
    """Funder <=> "funder" in types OR a Crossref Funder (fundref) id (see models.FUNDER_RULE)."""
    return "funder" in (record.get("types") or []) or bool(fundref_ids)


def funder_row(record) -> dict | None:
    """Map a ROR v2 record to the columns of ``Funder``, or None when it is not a funder."""
    common = _common(record)[0]
    if not is_funder(record, common["fundref_ids"]):
        return None
    return {key: common[key] for key in ("ror_id", "name", "country", "fundref_ids", "status", "last_modified")}
