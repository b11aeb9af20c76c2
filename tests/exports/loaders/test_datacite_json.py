"""DataCite JSON loader: every REST API shape of kernel 4.x, the package's dialect, the native JSON.

The REST documents below are small hand-written bodies in the shapes described in
FORMATS.md §4.2 (default GET: publisher and affiliations as strings; ``?affiliation=true``
``&publisher=true``: objects; the 2019-2020 ``identifiers`` list; ``types`` extras).
"""

import json

import orjson
import pytest

from exports.loaders import LoadError, datacite_json, document_load, tidy
from exports.schema import metadata_load
from tests.conftest import DATA

INVENIO = sorted((DATA / "datacite" / "invenio-datacite" / "tests-data").rglob("*.json"))


def rest_attributes(**extra):
    """Attributes as the default GET /dois/<doi> serves them (strings for publisher and affiliations)."""
    attrs = {
        "doi": "10.5281/zenodo.123", "prefix": "10.5281", "suffix": "zenodo.123",
        "identifiers": [{"identifier": "https://doi.org/10.5281/zenodo.123", "identifierType": "DOI"},
                        {"identifier": "oai:zenodo.org:123", "identifierType": "oai"}],
        "alternateIdentifiers": [{"alternateIdentifierType": "oai", "alternateIdentifier": "oai:zenodo.org:123"}],
        "creators": [{"name": "Doe, Jane", "nameType": "Personal", "givenName": "Jane", "familyName": "Doe",
                      "affiliation": ["CERN", "SISSA"], "nameIdentifiers": []}],
        "titles": [{"title": "Data of things", "lang": None}],
        "publisher": "Zenodo",
        "container": {},
        "publicationYear": 2021,
        "subjects": [],
        "contributors": [],
        "dates": [{"date": "2021-06-01", "dateType": "Issued"}],
        "language": None,
        "types": {"ris": "DATA", "bibtex": "misc", "citeproc": "dataset", "schemaOrg": "Dataset",
                  "resourceType": "", "resourceTypeGeneral": "Dataset"},
        "relatedIdentifiers": [], "relatedItems": [], "sizes": [], "formats": [], "version": None,
        "rightsList": [{"rights": "Open Access", "rightsUri": "info:eu-repo/semantics/openAccess"}],
        "descriptions": [{"description": "About things.", "descriptionType": "Abstract"}],
        "geoLocations": [], "fundingReferences": [],
        "url": "https://zenodo.org/record/123", "contentUrl": None, "metadataVersion": 3,
        "schemaVersion": "http://datacite.org/schema/kernel-4", "source": "api", "isActive": True,
        "state": "findable", "reason": None, "viewCount": 7, "downloadCount": 2, "citationCount": 0,
        "viewsOverTime": [], "xml": "PD94bWw=", "created": "2021-06-01T10:00:00Z", "registered": "2021-06-01T10:00:01Z",
        "published": "2021", "updated": "2024-01-01T00:00:00Z",
    }
    attrs.update(extra)
    return attrs


def envelope(attrs):
    return {"data": {"id": attrs["doi"], "type": "dois", "attributes": attrs,
                     "relationships": {"client": {"data": {"id": "cern.zenodo", "type": "clients"}}}}}


def test_default_get_shape_is_mapped():
    [loaded] = datacite_json.load(orjson.dumps(envelope(rest_attributes())))
    assert loaded.problems == [] and loaded.deleted is False
    meta = metadata_load(loaded.metadata)
    assert loaded.doi == "10.5281/zenodo.123"
    assert meta["publisher"] == {"name": "Zenodo"}
    assert meta["creators"][0]["affiliation"] == [{"name": "CERN"}, {"name": "SISSA"}]
    assert meta["types"] == {"resourceTypeGeneral": "Dataset"}  # extras and the blank resourceType dropped
    assert meta["alternateIdentifiers"] == [{"alternateIdentifierType": "oai", "alternateIdentifier": "oai:zenodo.org:123"}]
    assert meta["publicationYear"] == "2021" and meta["url"] == "https://zenodo.org/record/123"
    assert not {"schemaVersion", "viewCount", "xml", "state", "identifiers"} & set(meta)


def test_numeric_version_becomes_text():
    [loaded] = datacite_json.load(orjson.dumps(envelope(rest_attributes(version=2))))
    assert metadata_load(loaded.metadata)["version"] == "2"


def test_object_shapes_are_kept():
    attrs = rest_attributes(
        publisher={"name": "Zenodo", "publisherIdentifier": "https://ror.org/04z8jg394", "publisherIdentifierScheme": "ROR",
                   "schemeUri": "https://ror.org/", "lang": "en"},
        creators=[{"name": "Doe, Jane", "affiliation": [
            {"name": "CERN", "affiliationIdentifier": "https://ror.org/01ggx4157", "affiliationIdentifierScheme": "ROR",
             "schemeUri": "https://ror.org"}],
            "nameIdentifiers": [{"nameIdentifier": "https://orcid.org/0000-0002-1825-0097", "nameIdentifierScheme": "ORCID",
                                 "schemeUri": "https://orcid.org"}]}],
    )
    [loaded] = datacite_json.load(orjson.dumps(envelope(attrs)))
    meta = metadata_load(loaded.metadata)
    assert meta["publisher"]["publisherIdentifier"] == "https://ror.org/04z8jg394"
    assert meta["creators"][0]["affiliation"][0]["affiliationIdentifier"] == "https://ror.org/01ggx4157"
    assert meta["creators"][0]["nameIdentifiers"][0]["nameIdentifierScheme"] == "ORCID"


def test_legacy_identifiers_and_string_name_identifiers():
    """The 2019-2020 API: no alternateIdentifiers key, ``identifiers`` instead; name identifiers as strings."""
    attrs = rest_attributes(alternateIdentifiers=None, creators=[{
        "name": "Doe, Jane", "affiliation": "CERN",
        "nameIdentifiers": ["https://orcid.org/0000-0002-1825-0097", "https://ror.org/01ggx4157", "local-42",
                            {"nameIdentifier": "", "nameIdentifierScheme": "ORCID", "schemeUri": "https://orcid.org"}],
    }])
    [loaded] = datacite_json.load(orjson.dumps(attrs))  # a bare attributes object
    meta = metadata_load(loaded.metadata)
    assert meta["alternateIdentifiers"] == [{"alternateIdentifier": "oai:zenodo.org:123", "alternateIdentifierType": "oai"}]
    assert meta["creators"][0]["affiliation"] == [{"name": "CERN"}]
    assert [(i["nameIdentifierScheme"], i["schemeUri"]) for i in meta["creators"][0]["nameIdentifiers"]] == [
        ("ORCID", "https://orcid.org"), ("ROR", "https://ror.org")]
    assert loaded.problems == [
        "creators[0].nameIdentifiers[2]: name identifier 'local-42' has no scheme and none can be told from it (left out)"]


def test_unknown_properties_are_reported_with_their_path():
    attrs = rest_attributes(awards=[{"x": 1}], titles=[{"title": "T", "script": "Latn"}])
    attrs["creators"][0]["orcid"] = "0000"
    [loaded] = datacite_json.load(orjson.dumps(envelope(attrs)))
    assert loaded.problems == [
        "awards: not a DataCite 4.5 property (left out)",
        "creators[0].orcid: not a DataCite 4.5 property here (left out)",
    ]
    # Within lists of the dialect, unknown keys stay: the record's schema names them on save.
    with pytest.raises(Exception, match="script"):
        metadata_load(loaded.metadata)


def test_page_of_dois_and_tombstones():
    hidden = rest_attributes(doi="10.5281/zenodo.9", state="registered", isActive=False)
    page = {"data": [envelope(rest_attributes())["data"], envelope(hidden)["data"]], "meta": {"total": 2},
            "links": {"self": "…"}}
    loaded = document_load("page.json", orjson.dumps(page))
    assert [(x.doi, x.deleted) for x in loaded] == [("10.5281/zenodo.123", False), ("10.5281/zenodo.9", True)]


def test_native_json_keeps_metadata_as_stored():
    meta = {"creators": [{"name": "A"}], "titles": [{"title": "T"}], "publisher": {"name": "P"},
            "publicationYear": "2020", "types": {"resourceTypeGeneral": "Text"}, "schemaVersion": "http://datacite.org/schema/kernel-4"}
    [loaded] = datacite_json.load(orjson.dumps({"doi": "10.1/x", "created": "…", "updated": "…", "deleted": True, "metadata": meta}))
    assert (loaded.doi, loaded.deleted, loaded.metadata) == ("10.1/x", True, meta)


@pytest.mark.parametrize("path", INVENIO, ids=lambda p: p.stem)
def test_package_dialect_examples_load_unchanged(path):
    data = json.loads(path.read_text())
    [loaded] = datacite_json.load(path.read_bytes())
    assert loaded.problems == []
    expected = tidy(metadata_load({k: v for k, v in data.items() if k != "schemaVersion"}))  # empty lists ("affiliation": []) dropped
    assert metadata_load(loaded.metadata) == expected


@pytest.mark.parametrize(("data", "message"), [
    (b"[1]", "is an object"), (b"{", "not valid JSON"), (b'{"data": {"type": "clients", "attributes": {}}}', "clients"),
    (b'{"data": [1]}', "attributes"),
])
def test_unreadable_documents_raise(data, message):
    with pytest.raises(LoadError, match=message):
        datacite_json.load(data)
