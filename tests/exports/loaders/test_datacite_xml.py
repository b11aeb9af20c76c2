"""DataCite XML loader: the real kernel-4.5 examples, older and newer kernels, unsafe input."""

import pytest
from lxml import etree

from exports.loaders import LoadError, datacite_xml
from exports.models import record_native
from exports.schema import metadata_load
from exports.serializers import datacite_xml as writer
from tests.conftest import DATA
from tests.exports.test_roundtrip import canonical

OFFICIAL = sorted((DATA / "datacite" / "schema" / "kernel-4.5" / "example").glob("*.xml"))
INVENIO = sorted((DATA / "datacite" / "invenio-datacite" / "tests-data").rglob("*.xml"))
XSD = DATA / "datacite" / "schema" / "kernel-4.5" / "metadata.xsd"


COORDINATES = {"pointLongitude", "pointLatitude", "westBoundLongitude", "eastBoundLongitude", "southBoundLatitude", "northBoundLatitude"}


def _numbers_as_floats(xml: bytes) -> bytes:
    """Coordinates as Python writes floats ("41.090" -> "41.09"): the same number, the writer's spelling."""
    root = etree.fromstring(xml)
    for el in root.iter():
        if isinstance(el.tag, str) and etree.QName(el).localname in COORDINATES:
            el.text = repr(float(el.text))
    return etree.tostring(root)


def _written(loaded) -> bytes:
    return writer.serialize(record_native(loaded.doi.lower(), metadata_load(loaded.metadata), None, None, False))


@pytest.mark.parametrize("path", OFFICIAL, ids=lambda p: p.stem)
def test_official_examples_load_and_write_back_the_same_xml(path):
    loaded = datacite_xml.load(path.read_bytes())
    assert loaded.problems == []
    assert canonical(_written(loaded)) == canonical(_numbers_as_floats(path.read_bytes()))


@pytest.mark.parametrize("path", INVENIO, ids=lambda p: p.stem)
def test_invenio_examples_load_into_valid_records(path):
    loaded = datacite_xml.load(path.read_bytes())
    assert loaded.problems == [] and loaded.doi.startswith("10.82433/")
    assert etree.XMLSchema(etree.parse(str(XSD))).validate(etree.fromstring(_written(loaded)))


def _example(replace: dict | None = None) -> bytes:
    text = (DATA / "datacite" / "schema" / "kernel-4.5" / "example" / "datacite-example-dataset-v4.xml").read_text()
    for old, new in (replace or {}).items():
        assert old in text, old
        text = text.replace(old, new)
    return text.encode()


def test_kernel_40_shapes_load():
    """Kernel 4.0: no nameType, plain-text affiliations, <br/> inside a description."""
    xml = _example({
        "meta/kernel-4/metadata.xsd": "meta/kernel-4.0/metadata.xsd",
        '<creatorName nameType="Organizational">': "<creatorName>",
        '<affiliation affiliationIdentifier="https://ror.org/043kfff89" affiliationIdentifierScheme="ROR">National Gallery</affiliation>':
            "<affiliation>National Gallery</affiliation>",
        "</description>": "<br/>Second paragraph</description>",
    })
    loaded = datacite_xml.load(xml)
    assert loaded.problems == []
    meta = metadata_load(loaded.metadata)
    assert "nameType" not in meta["creators"][0]
    assert meta["contributors"][0]["affiliation"] == [{"name": "National Gallery"}]
    assert meta["descriptions"][0]["description"].endswith("\nSecond paragraph")


def test_kernel_47_additions_are_reported_per_field():
    """4.6/4.7 elements and attributes the 4.5 dialect cannot hold are named, with their path."""
    xml = _example({
        "</titles>": '</titles><!-- 4.7 --><relatedIdentifiers><relatedIdentifier relatedIdentifierType="DOI" '
                     'relationType="Other" relationTypeInformation="derived by hand">10.1/x</relatedIdentifier></relatedIdentifiers>',
    })
    xml = xml.replace(b"<relatedIdentifiers>", b"<relatedIdentifiers>", 1)
    loaded = datacite_xml.load(xml)
    assert any(p.startswith("relatedIdentifiers[0]@relationTypeInformation: ") for p in loaded.problems), loaded.problems


def test_unknown_element_is_reported_and_left_out():
    xml = _example({"<publicationYear>": '<project xmlns="http://datacite.org/schema/kernel-4">P</project><publicationYear>'})
    loaded = datacite_xml.load(xml)
    assert loaded.problems == ["resource.project: not a DataCite 4.5 element here (left out)"]
    assert "project" not in loaded.metadata


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"<resource/>", "not a DataCite kernel-4"),
        (b'<resource xmlns="http://datacite.org/schema/kernel-3"/>', "kernel-3"),
        (b"<unclosed", "not well-formed"),
        (b'<resource xmlns="http://datacite.org/schema/kernel-4"><titles/></resource>', "no <identifier"),
    ],
)
def test_unreadable_documents_raise(data, message):
    with pytest.raises(LoadError, match=message):
        datacite_xml.load(data)


def test_entities_are_not_expanded():
    xml = (b'<?xml version="1.0"?><!DOCTYPE r [<!ENTITY x SYSTEM "file:///etc/passwd">]>'
           b'<resource xmlns="http://datacite.org/schema/kernel-4"><identifier identifierType="DOI">10.1/a</identifier>'
           b"<publicationYear>&x;</publicationYear></resource>")
    loaded = datacite_xml.load(xml)
    assert "root:" not in str(loaded.metadata)
