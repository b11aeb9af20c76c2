"""DataCite JSON in every shape the REST API has served for kernel 4.x -> the record's dialect, pure.

Accepted documents: a REST API response for one DOI (``{"data": {...}}``) or a page of
them (``{"data": [...]}``), a bare ``attributes`` object, the ``datacite`` package's
dialect (``doi`` or ``identifiers``), and this project's native JSON
(``{"doi", "deleted", "metadata"}``). Shapes mapped into the dialect:

- ``publisher`` as a string (default GET) or an object (``?publisher=true``);
- ``affiliation`` as a string, a list of strings (default GET) or of objects (``?affiliation=true``);
- ``nameIdentifiers`` as strings (scheme told from the URL: ORCID, ROR, ISNI) or objects;
- ``types``: ``schemaOrg``, ``citeproc``, ``bibtex`` and ``ris`` are derived from
  ``resourceTypeGeneral`` and dropped;
- ``identifiers`` (the 2019-2020 API's alternate identifiers): the DOI itself dropped,
  the others mapped to ``alternateIdentifiers``;
- ``state`` ``registered`` or ``isActive: false``: a tombstone.

The API's bookkeeping attributes (counts, dates of registration, ``xml``, the
``schemaVersion`` of the serialization, ...) are not metadata and are dropped; the
native JSON's metadata is taken as stored. Anything else the dialect has no place for is left
out and reported as a problem with its path.
"""

from __future__ import annotations

import re

import orjson

from exports.loaders.common import Loaded, LoadError, tidy
from exports.schema import Metadata

# REST attributes that are not DataCite metadata properties (dropped without a word).
_BOOKKEEPING = {
    "doi", "prefix", "suffix", "identifiers", "contentUrl", "metadataVersion", "schemaVersion", "source", "isActive",
    "state", "reason", "xml", "created", "registered", "published", "updated", "event", "landingPage", "agency",
    "viewsOverTime", "downloadsOverTime", "citationsOverTime", "id", "type",
}
_TYPES_DERIVED = {"schemaOrg", "citeproc", "bibtex", "ris"}
_PERSON_KEYS = {"name", "nameType", "lang", "givenName", "familyName", "nameIdentifiers", "affiliation", "contributorType"}
_AFF_KEYS = {"name", "affiliationIdentifier", "affiliationIdentifierScheme", "schemeUri"}
_PUBLISHER_KEYS = {"name", "publisherIdentifier", "publisherIdentifierScheme", "schemeUri", "lang"}
_SCHEMES = (
    (re.compile(r"^(https?://orcid\.org/)?\d{4}-\d{4}-\d{4}-\d{3}[\dX]$", re.I), "ORCID", "https://orcid.org"),
    (re.compile(r"^https?://ror\.org/0[a-z0-9]{8}$", re.I), "ROR", "https://ror.org"),
    (re.compile(r"^(https?://isni\.org/isni/)?\d{15}[\dX]$", re.I), "ISNI", "http://isni.org/isni/"),
)
_PROPERTIES = set(Metadata().fields)


class _Mapper:
    def __init__(self):
        self.problems: list[str] = []

    def problem(self, path: str, message: str):
        self.problems.append(f"{path}: {message}")

    def keep(self, obj: dict, allowed: set, path: str) -> dict:
        """``obj`` without the keys the dialect has no place for (each reported)."""
        out = {}
        for key, value in obj.items():
            if key in allowed:
                out[key] = value
            elif value not in (None, "", [], {}):
                self.problem(f"{path}.{key}", "not a DataCite 4.5 property here (left out)")
        return out

    def name_identifier(self, value, path: str):
        if isinstance(value, dict):
            return value if value.get("nameIdentifier") else None  # an empty identifier carries nothing
        text = str(value).strip()
        for pattern, scheme, uri in _SCHEMES:
            if pattern.match(text):
                return {"nameIdentifier": text, "nameIdentifierScheme": scheme, "schemeUri": uri}
        self.problem(path, f"name identifier {text!r} has no scheme and none can be told from it (left out)")
        return None

    def affiliations(self, value, path: str) -> list:
        if isinstance(value, str | dict):
            value = [value]
        out = []
        for i, aff in enumerate(value or ()):
            if isinstance(aff, str):
                out.append({"name": aff})
            elif isinstance(aff, dict):
                out.append(self.keep(aff, _AFF_KEYS, f"{path}[{i}]"))
            else:
                self.problem(f"{path}[{i}]", "an affiliation must be a string or an object (left out)")
        return out

    def person(self, person, path: str) -> dict:
        if not isinstance(person, dict):
            self.problem(path, "must be an object (left out)")
            return {}
        out = self.keep(person, _PERSON_KEYS, path)
        ids = out.get("nameIdentifiers")
        if ids:
            ids = [ids] if isinstance(ids, str | dict) else ids
            out["nameIdentifiers"] = [
                v for v in (self.name_identifier(x, f"{path}.nameIdentifiers[{i}]") for i, x in enumerate(ids)) if v
            ]
        if out.get("affiliation"):
            out["affiliation"] = self.affiliations(out["affiliation"], f"{path}.affiliation")
        return out

    def publisher(self, value):
        if isinstance(value, str):
            return {"name": value}
        if isinstance(value, dict):
            return self.keep(value, _PUBLISHER_KEYS, "publisher")
        return value

    def types(self, value):
        if not isinstance(value, dict):
            return value
        return {k: v for k, v in value.items() if k not in _TYPES_DERIVED}

    def identifiers(self, value, doi: str, meta: dict):
        """Map the legacy ``identifiers`` list to alternate identifiers (the DOI itself is dropped)."""
        alternates = list(meta.get("alternateIdentifiers") or [])
        known = {(a.get("alternateIdentifier"), a.get("alternateIdentifierType")) for a in alternates if isinstance(a, dict)}
        for ident in value or ():
            if not isinstance(ident, dict):
                continue
            text, kind = ident.get("identifier"), ident.get("identifierType")
            if not text or (kind == "DOI" and _doi_bare(text) == _doi_bare(doi)):
                continue
            if (text, kind) not in known:
                alternates.append({"alternateIdentifier": text, "alternateIdentifierType": kind})
                known.add((text, kind))
        if alternates:
            meta["alternateIdentifiers"] = alternates

    def attributes(self, attrs: dict, doi: str, *, native: bool = False) -> dict:
        meta = {}
        for key, value in attrs.items():
            if not native and (key in _BOOKKEEPING or key.endswith("Count")):
                continue
            if key not in _PROPERTIES:
                if value not in (None, "", [], {}):
                    self.problem(key, "not a DataCite 4.5 property (left out)")
                continue
            meta[key] = value
        for key in ("creators", "contributors"):
            if isinstance(meta.get(key), list):
                meta[key] = [self.person(p, f"{key}[{i}]") for i, p in enumerate(meta[key])]
        if "publisher" in meta:
            meta["publisher"] = self.publisher(meta["publisher"])
        if "types" in meta:
            meta["types"] = self.types(meta["types"])
        if isinstance(meta.get("version"), int | float) and not isinstance(meta["version"], bool):
            meta["version"] = str(meta["version"])  # some records carry a number
        if attrs.get("identifiers"):
            self.identifiers(attrs["identifiers"], doi, meta)
        return meta


def _doi_bare(text: str) -> str:
    text = text.strip().lower()
    for prefix in ("https://doi.org/", "http://doi.org/", "https://dx.doi.org/", "http://dx.doi.org/", "doi:"):
        if text.startswith(prefix):
            return text[len(prefix):]
    return text


def _doi_of(attrs: dict, fallback: str = "") -> str:
    if attrs.get("doi"):
        return attrs["doi"]
    for ident in attrs.get("identifiers") or ():
        if isinstance(ident, dict) and ident.get("identifierType") == "DOI" and ident.get("identifier"):
            return _doi_bare(ident["identifier"])
    return fallback


def attributes_load(attrs: dict, *, doi: str = "", native: bool = False) -> Loaded:
    """Map one REST ``attributes`` object (or the package's dialect) to a ``Loaded`` record.

    ``native``: the metadata of this project's own JSON, taken as stored (``schemaVersion`` kept).
    """
    mapper = _Mapper()
    doi = _doi_of(attrs, doi)
    meta = mapper.attributes(attrs, doi, native=native)
    deleted = attrs.get("state") == "registered" or attrs.get("isActive") is False
    return Loaded(doi=doi, metadata=tidy(meta), deleted=deleted, problems=mapper.problems)


def _resource(item) -> Loaded:
    if not isinstance(item, dict) or not isinstance(item.get("attributes"), dict):
        raise LoadError("a JSON:API resource needs an \"attributes\" object")
    if item.get("type") not in (None, "dois"):
        raise LoadError(f"a JSON:API resource of type {item.get('type')!r}, not \"dois\"")
    return attributes_load(item["attributes"], doi=item.get("id") or "")


def parse(data: dict) -> list[Loaded]:
    """Load an already decoded document (see the module's docstring for the shapes)."""
    if not isinstance(data, dict):
        raise LoadError("a DataCite JSON document is an object")
    if "data" in data:
        body = data["data"]
        return [_resource(item) for item in body] if isinstance(body, list) else [_resource(body)]
    if isinstance(data.get("metadata"), dict) and "doi" in data:  # this project's native JSON
        loaded = attributes_load(data["metadata"], doi=data["doi"], native=True)
        loaded.deleted = bool(data.get("deleted"))
        return [loaded]
    if "attributes" in data:
        return [_resource(data)]
    return [attributes_load(data)]


def load(data: bytes) -> list[Loaded]:
    """Load the records of one JSON document."""
    try:
        decoded = orjson.loads(data)
    except orjson.JSONDecodeError as exc:
        raise LoadError(f"not valid JSON: {exc}") from exc
    return parse(decoded)
