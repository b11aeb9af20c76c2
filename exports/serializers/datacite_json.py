"""Record -> DataCite REST API JSON (``{"data": {"id", "type": "dois", "attributes": {...}}}``), pure.

Attributes carry the same properties as the XML. Affiliations and the publisher are
objects, as the REST API returns them with ``?affiliation=true&publisher=true`` and as
it accepts them on registration; ``publicationYear`` is an integer as in the API.
"""

from __future__ import annotations

import orjson

EXTENSION = "json"
MEDIA_TYPE = "application/vnd.api+json"

_LISTS = (
    "creators", "titles", "subjects", "contributors", "dates", "alternateIdentifiers", "relatedIdentifiers",
    "relatedItems", "sizes", "formats", "rightsList", "descriptions", "geoLocations", "fundingReferences",
)


def _iso(value):
    return value.isoformat().replace("+00:00", "Z") if value is not None else None


def _affiliations(people):
    out = []
    for person in people:
        affs = person.get("affiliation")
        if affs and any(not a.get("name") for a in affs):
            person = dict(person, affiliation=[dict(a, name=a.get("name") or a["affiliationIdentifier"]) for a in affs])
        out.append(person)
    return out


def attributes(record: dict) -> dict:
    """Return the REST ``attributes`` object of one native record."""
    meta = record["metadata"]
    doi = record["doi"]
    prefix, _, suffix = doi.partition("/")
    attrs = {"doi": doi, "prefix": prefix, "suffix": suffix, "identifiers": []}
    for key in _LISTS:
        attrs[key] = meta.get(key) or []
    attrs["creators"] = _affiliations(attrs["creators"])
    attrs["contributors"] = _affiliations(attrs["contributors"])
    attrs["fundingReferences"] = [
        dict(ref, funderName=ref.get("funderName") or ref["funderIdentifier"]) if not ref.get("funderName") else ref
        for ref in attrs["fundingReferences"]
    ]
    attrs["publisher"] = meta["publisher"]
    attrs["publicationYear"] = int(meta["publicationYear"])
    attrs["types"] = meta["types"]
    attrs["language"] = meta.get("language")
    attrs["version"] = meta.get("version")
    attrs["container"] = meta.get("container") or {}
    attrs["url"] = meta.get("url")
    attrs["schemaVersion"] = "http://datacite.org/schema/kernel-4"
    attrs["state"] = "registered" if record["deleted"] else "findable"
    attrs["isActive"] = not record["deleted"]
    attrs["created"] = _iso(record["created"])
    attrs["updated"] = _iso(record["updated"])
    return attrs


def to_dict(record: dict) -> dict:
    return {"data": {"id": record["doi"], "type": "dois", "attributes": attributes(record)}}


def serialize(record: dict) -> bytes:
    return orjson.dumps(to_dict(record), option=orjson.OPT_INDENT_2)
