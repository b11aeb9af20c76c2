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


def _unnamed(values, key: str, identifier_key: str):
    """Refuse an affiliation or funder without a name: no identifier is written in its place (see exports.links)."""
    for value in values:
        if not value.get(key):
            raise ValueError(f"{identifier_key} {value.get(identifier_key)} has no name (names are resolved by exports.links)")


def attributes(record: dict) -> dict:
    """Return the REST ``attributes`` object of one native record."""
    meta = record["metadata"]
    doi = record["doi"]
    prefix, _, suffix = doi.partition("/")
    attrs = {"doi": doi, "prefix": prefix, "suffix": suffix, "identifiers": []}
    for key in _LISTS:
        attrs[key] = meta.get(key) or []
    for person in (*attrs["creators"], *attrs["contributors"]):
        _unnamed(person.get("affiliation") or (), "name", "affiliationIdentifier")
    _unnamed(attrs["fundingReferences"], "funderName", "funderIdentifier")
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
