"""Serializers: every DataCite XML validates against the official 4.5 XSD; JSON shapes."""

import json

import pytest
from lxml import etree

from exports.demo import demo_metadata
from exports.links import Links
from exports.serializers import datacite_json, datacite_xml, native_json
from tests.conftest import DATA
from tests.exports.conftest import minimal_metadata, native

XSD_PATH = DATA / "datacite" / "schema" / "kernel-4.5" / "metadata.xsd"
NS = {"d": "http://datacite.org/schema/kernel-4"}


@pytest.fixture(scope="module")
def xsd():
    return etree.XMLSchema(etree.parse(str(XSD_PATH)))


def rich_metadata():
    """Unicode in every text field, several creators with ORCIDs and ROR affiliations, both funder kinds."""
    return {
        "creators": [
            {
                "name": "Ó Súilleabháin, Gráinne", "nameType": "Personal", "givenName": "Gráinne", "familyName": "Ó Súilleabháin",
                "nameIdentifiers": [{"nameIdentifier": "https://orcid.org/0000-0002-1825-0097", "nameIdentifierScheme": "ORCID", "schemeUri": "https://orcid.org"}],
                "affiliation": [
                    {"name": "Scuola Internazionale Superiore di Studi Avanzati", "affiliationIdentifier": "https://ror.org/05qrfxd25",
                     "affiliationIdentifierScheme": "ROR", "schemeUri": "https://ror.org"},
                    {"affiliationIdentifier": "https://ror.org/01ggx4157", "affiliationIdentifierScheme": "ROR", "schemeUri": "https://ror.org"},
                ],
            },
            {
                "name": "山田, 太郎", "nameType": "Personal", "givenName": "太郎", "familyName": "山田", "lang": "ja",
                "nameIdentifiers": [{"nameIdentifier": "https://orcid.org/0000-0001-5109-3700", "nameIdentifierScheme": "ORCID", "schemeUri": "https://orcid.org"}],
                "affiliation": [{"name": "ETH Zürich", "affiliationIdentifier": "https://ror.org/05a28rw58", "affiliationIdentifierScheme": "ROR"}],
            },
            {"name": "Лаборатория «Климат»", "nameType": "Organizational"},
        ],
        "titles": [
            {"title": "Ædificium: données & <mesures> \"brutes\" — 熱力学", "lang": "fr"},
            {"title": "Übersetzter Titel", "titleType": "TranslatedTitle", "lang": "de"},
        ],
        "publisher": {"name": "Éditions Ñandú", "publisherIdentifier": "https://ror.org/04z8jg394", "publisherIdentifierScheme": "ROR",
                      "schemeUri": "https://ror.org/", "lang": "es"},
        "publicationYear": 2023,
        "types": {"resourceTypeGeneral": "Dataset", "resourceType": "Mesures de glaciers"},
        "subjects": [{"subject": "Glaciología", "subjectScheme": "Lokal", "lang": "es"}],
        "contributors": [{"name": "Dvořák, Zoë", "contributorType": "DataCurator", "nameType": "Personal",
                          "affiliation": [{"affiliationIdentifier": "https://ror.org/013meh722", "affiliationIdentifierScheme": "ROR"}]}],
        "dates": [{"date": "2023-02-01/2023-03-15", "dateType": "Collected", "dateInformation": "Campagne d'été"}],
        "language": "fr",
        "alternateIdentifiers": [{"alternateIdentifier": "Réf-42", "alternateIdentifierType": "Numéro local"}],
        "relatedIdentifiers": [
            {"relatedIdentifier": "10.5281/zenodo.123456", "relatedIdentifierType": "DOI", "relationType": "IsSupplementTo"},
            {"relatedIdentifier": "https://example.org/ñ", "relatedIdentifierType": "URL", "relationType": "References", "resourceTypeGeneral": "Text"},
        ],
        "sizes": ["12 Mo"], "formats": ["text/csv; charset=utf-8"], "version": "2.0β",
        "rightsList": [{"rights": "Licence ouverte — Étalab 2.0", "rightsUri": "https://www.etalab.gouv.fr/licence-ouverte", "lang": "fr"}],
        "descriptions": [{"description": "Résumé avec des caractères « spéciaux » & ligne\nnouvelle.", "descriptionType": "Abstract", "lang": "fr"}],
        "geoLocations": [{"geoLocationPlace": "Þingvellir, Ísland", "geoLocationPoint": {"pointLatitude": 64.25, "pointLongitude": -21.13},
                          "geoLocationBox": {"westBoundLongitude": -22, "eastBoundLongitude": -20.5, "southBoundLatitude": 63.9, "northBoundLatitude": 64.5}}],
        "fundingReferences": [
            {"funderName": "Europäische Kommission", "funderIdentifier": "https://ror.org/00k4n6c32", "funderIdentifierType": "ROR",
             "awardNumber": "101094346", "awardUri": "https://cordis.europa.eu/project/id/101094346", "awardTitle": "Förderung ñ"},
            {"funderIdentifier": "https://doi.org/10.13039/501100001711", "funderIdentifierType": "Crossref Funder ID", "awardNumber": "200021_1"},
        ],
    }


def test_rich_record_validates_and_carries_every_field(xsd):
    xml = datacite_xml.serialize(native("10.82433/ünï-1", rich_metadata()))
    root = etree.fromstring(xml)
    assert xsd.validate(root), xsd.error_log
    assert xml.startswith(b"<?xml version='1.0' encoding='UTF-8'?>")
    assert root.findtext("d:titles/d:title", namespaces=NS) == "Ædificium: données & <mesures> \"brutes\" — 熱力学"
    assert root.findtext("d:publicationYear", namespaces=NS) == "2023"
    orcids = root.xpath("//d:creator/d:nameIdentifier[@nameIdentifierScheme='ORCID']/text()", namespaces=NS)
    assert orcids == ["https://orcid.org/0000-0002-1825-0097", "https://orcid.org/0000-0001-5109-3700"]
    rors = root.xpath("//d:creator/d:affiliation/@affiliationIdentifier", namespaces=NS)
    assert rors == ["https://ror.org/05qrfxd25", "https://ror.org/01ggx4157", "https://ror.org/05a28rw58"]
    # Without a vocabulary entry an unnamed affiliation / funder shows its identifier.
    assert root.xpath("//d:creator/d:affiliation/text()", namespaces=NS)[1] == "https://ror.org/01ggx4157"
    funders = root.xpath("//d:fundingReference/d:funderIdentifier/@funderIdentifierType", namespaces=NS)
    assert funders == ["ROR", "Crossref Funder ID"]
    assert root.xpath("//d:fundingReference/d:funderName/text()", namespaces=NS)[1] == "https://doi.org/10.13039/501100001711"


def test_names_come_from_the_vocabularies_when_the_record_has_none(xsd):
    links = Links(
        affiliations={"01ggx4157": "CERN", "013meh722": "University of Cambridge"},
        funders_fundref={"501100001711": "Swiss National Science Foundation"},
        awards={"200021_1": "Glaciers of the Alps"},
    )
    meta = rich_metadata()
    record = native("10.82433/links", meta)
    record["metadata"] = links.apply(record["metadata"])
    root = etree.fromstring(datacite_xml.serialize(record))
    assert xsd.validate(root), xsd.error_log
    assert root.xpath("//d:creator/d:affiliation/text()", namespaces=NS)[1] == "CERN"
    assert root.xpath("//d:contributor/d:affiliation/text()", namespaces=NS) == ["University of Cambridge"]
    assert root.xpath("//d:funderName/text()", namespaces=NS) == ["Europäische Kommission", "Swiss National Science Foundation"]
    assert root.xpath("//d:awardTitle/text()", namespaces=NS) == ["Förderung ñ", "Glaciers of the Alps"]
    # The record's own names win and the input is not modified.
    assert meta["fundingReferences"][1].get("funderName") is None


def test_minimal_record_has_no_empty_optional_elements(xsd):
    root = etree.fromstring(datacite_xml.serialize(native("10.82433/min", minimal_metadata())))
    assert xsd.validate(root), xsd.error_log
    tags = [etree.QName(el).localname for el in root]
    assert tags == ["identifier", "creators", "titles", "publisher", "publicationYear", "resourceType"]


def test_varied_demo_records_all_validate(xsd):
    for i in range(300):
        doi, meta = demo_metadata(i, named_links=i % 2 == 0)
        root = etree.fromstring(datacite_xml.serialize(native(doi, meta)))
        assert xsd.validate(root), (doi, str(xsd.error_log))


def test_control_character_in_stored_text_fails_to_serialize():
    record = native("10.82433/bad", minimal_metadata())
    record["metadata"]["titles"] = [{"title": "bell\x07"}]
    with pytest.raises(ValueError):
        datacite_xml.serialize(record)


def test_datacite_json_has_the_rest_api_shape():
    body = json.loads(datacite_json.serialize(native("10.82433/ünï-1", rich_metadata())))
    assert set(body) == {"data"}
    data = body["data"]
    assert data["id"] == "10.82433/ünï-1" and data["type"] == "dois"
    attrs = data["attributes"]
    assert attrs["doi"] == "10.82433/ünï-1" and attrs["prefix"] == "10.82433" and attrs["suffix"] == "ünï-1"
    assert attrs["publicationYear"] == 2023
    assert attrs["types"] == {"resourceTypeGeneral": "Dataset", "resourceType": "Mesures de glaciers"}
    assert attrs["creators"][0]["affiliation"][1]["name"] == "https://ror.org/01ggx4157"
    assert attrs["fundingReferences"][1]["funderName"] == "https://doi.org/10.13039/501100001711"
    assert attrs["state"] == "findable" and attrs["created"] == "2025-01-02T03:04:05Z"
    assert attrs["subjects"] == [{"subject": "Glaciología", "subjectScheme": "Lokal", "lang": "es"}]
    assert attrs["sizes"] == ["12 Mo"] and attrs["relatedItems"] == []


def test_native_json_is_the_stored_record():
    record = native("10.82433/n", rich_metadata())
    body = json.loads(native_json.serialize(record))
    assert body == {"doi": "10.82433/n", "created": "2025-01-02T03:04:05Z", "updated": "2025-01-02T03:04:05Z",
                    "deleted": False, "metadata": json.loads(json.dumps(record["metadata"]))}
