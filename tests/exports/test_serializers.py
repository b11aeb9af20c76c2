"""Serializers: every DataCite XML validates against the official 4.5 XSD; JSON shapes."""

import json

import pytest
from lxml import etree

from exports import demo
from exports.demo import demo_metadata
from exports.links import Links, LinkUnresolved
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


RICH_LINKS = Links(
    affiliations={"01ggx4157": "CERN", "013meh722": "University of Cambridge"},
    funders_fundref={"501100001711": "Swiss National Science Foundation"},
    awards={"200021_1": "Glaciers of the Alps"},
)


def rich_native(doi):
    """The rich record with its unnamed links named from a vocabulary, as an export hands it over."""
    record = native(doi, rich_metadata())
    record["metadata"] = RICH_LINKS.apply(record["metadata"])
    return record


def demo_links():
    """What the vocabularies know about the demo records' ROR and Crossref Funder ids."""
    return Links(affiliations=dict(demo.ORGS), funders_ror=dict(demo.FUNDERS_ROR), funders_fundref=dict(demo.FUNDERS_CROSSREF))


def test_rich_record_validates_and_carries_every_field(xsd):
    xml = datacite_xml.serialize(rich_native("10.82433/ünï-1"))
    root = etree.fromstring(xml)
    assert xsd.validate(root), xsd.error_log
    assert xml.startswith(b"<?xml version='1.0' encoding='UTF-8'?>")
    assert root.findtext("d:titles/d:title", namespaces=NS) == "Ædificium: données & <mesures> \"brutes\" — 熱力学"
    assert root.findtext("d:publicationYear", namespaces=NS) == "2023"
    orcids = root.xpath("//d:creator/d:nameIdentifier[@nameIdentifierScheme='ORCID']/text()", namespaces=NS)
    assert orcids == ["https://orcid.org/0000-0002-1825-0097", "https://orcid.org/0000-0001-5109-3700"]
    rors = root.xpath("//d:creator/d:affiliation/@affiliationIdentifier", namespaces=NS)
    assert rors == ["https://ror.org/05qrfxd25", "https://ror.org/01ggx4157", "https://ror.org/05a28rw58"]
    funders = root.xpath("//d:fundingReference/d:funderIdentifier/@funderIdentifierType", namespaces=NS)
    assert funders == ["ROR", "Crossref Funder ID"]


@pytest.mark.parametrize("module", [datacite_xml, datacite_json])
def test_no_serializer_writes_an_identifier_where_a_name_belongs(module):
    """An unnamed link reaching a serializer (links not applied) is refused, never written as its URL."""
    with pytest.raises(ValueError, match="affiliationIdentifier https://ror.org/01ggx4157 has no name"):
        module.serialize(native("10.82433/unnamed", rich_metadata()))


def test_apply_refuses_a_link_neither_the_record_nor_the_vocabulary_names():
    links = Links(affiliations={"01ggx4157": "CERN"})
    with pytest.raises(LinkUnresolved) as info:
        links.apply(rich_metadata())
    assert str(info.value) == (
        "contributors[0].affiliation[0]: ROR https://ror.org/013meh722 is not in the vocabulary and the record gives no name; "
        "fundingReferences[1]: Crossref Funder ID https://doi.org/10.13039/501100001711 is not in the vocabulary and the record gives no name"
    )


def test_names_come_from_the_vocabularies_when_the_record_has_none(xsd):
    meta = rich_metadata()
    record = native("10.82433/links", meta)
    record["metadata"] = RICH_LINKS.apply(record["metadata"])
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
    links = demo_links()
    for i in range(300):
        doi, meta = demo_metadata(i, named_links=i % 2 == 0)
        record = native(doi, meta)
        record["metadata"] = links.apply(record["metadata"])
        root = etree.fromstring(datacite_xml.serialize(record))
        assert xsd.validate(root), (doi, str(xsd.error_log))


def test_control_character_in_stored_text_fails_to_serialize():
    record = native("10.82433/bad", minimal_metadata())
    record["metadata"]["titles"] = [{"title": "bell\x07"}]
    with pytest.raises(ValueError):
        datacite_xml.serialize(record)


def test_datacite_json_has_the_rest_api_shape():
    body = json.loads(datacite_json.serialize(rich_native("10.82433/ünï-1")))
    assert set(body) == {"data"}
    data = body["data"]
    assert data["id"] == "10.82433/ünï-1" and data["type"] == "dois"
    attrs = data["attributes"]
    assert attrs["doi"] == "10.82433/ünï-1" and attrs["prefix"] == "10.82433" and attrs["suffix"] == "ünï-1"
    assert attrs["publicationYear"] == 2023
    assert attrs["types"] == {"resourceTypeGeneral": "Dataset", "resourceType": "Mesures de glaciers"}
    assert attrs["creators"][0]["affiliation"][1]["name"] == "CERN"
    assert attrs["fundingReferences"][1]["funderName"] == "Swiss National Science Foundation"
    assert attrs["state"] == "findable" and attrs["created"] == "2025-01-02T03:04:05Z"
    assert attrs["subjects"] == [{"subject": "Glaciología", "subjectScheme": "Lokal", "lang": "es"}]
    assert attrs["sizes"] == ["12 Mo"] and attrs["relatedItems"] == []


def test_native_json_is_the_stored_record():
    record = native("10.82433/n", rich_metadata())
    body = json.loads(native_json.serialize(record))
    assert body == {"doi": "10.82433/n", "created": "2025-01-02T03:04:05Z", "updated": "2025-01-02T03:04:05Z",
                    "deleted": False, "metadata": json.loads(json.dumps(record["metadata"]))}
