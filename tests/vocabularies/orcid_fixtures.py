"""ORCID XML for the tests, all derived from the one real public record in tests/data
(0000-0003-0902-4386, record 3.0). Variants are produced from it here, and say how:
no real 2.x, deactivated or family-name-less sample was found (FORMATS.md §2.3, §5)."""

from lxml import etree

from tests.vocabularies.conftest import ORCID_RECORD

REAL_ID = "0000-0003-0902-4386"
NS = {
    "activities": "http://www.orcid.org/ns/activities",
    "history": "http://www.orcid.org/ns/history",
    "personal-details": "http://www.orcid.org/ns/personal-details",
    "common": "http://www.orcid.org/ns/common",
}


def real() -> bytes:
    return ORCID_RECORD.read_bytes()


def _tree():
    return etree.fromstring(real(), etree.XMLParser(resolve_entities=False, no_network=True))


def with_id(orcid_id: str, xml: bytes | None = None) -> bytes:
    """The real record re-keyed to another iD (path, uri and root @path)."""
    return (xml or real()).replace(REAL_ID.encode(), orcid_id.encode())


def layout_2x() -> bytes:
    """Derived: the 2.x layout, i.e. employment summaries directly under activities:employments."""
    root = _tree()
    for group in root.iterfind(".//activities:employments/activities:affiliation-group", NS):
        parent = group.getparent()
        for child in list(group):
            if child.tag.endswith("employment-summary"):
                parent.append(child)
        parent.remove(group)
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8")


def deactivated(orcid_id: str) -> bytes:
    """Derived: the record with a history:deactivation-date."""
    root = _tree()
    history = root.find("history:history", NS)
    date = etree.SubElement(history, f"{{{NS['history']}}}deactivation-date")
    date.text = "2024-01-01T00:00:00.000Z"
    return with_id(orcid_id, etree.tostring(root, xml_declaration=True, encoding="UTF-8"))


def without_family_name() -> bytes:
    """Derived: family-name removed (legal per XSD, minOccurs=0)."""
    root = _tree()
    family = root.find(".//personal-details:family-name", NS)
    family.getparent().remove(family)
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8")


BOMB = b"""<?xml version="1.0"?>
<!DOCTYPE record [
 <!ENTITY a "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa">
 <!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">
 <!ENTITY c "&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;">
 <!ENTITY d "&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;">
 <!ENTITY e "&d;&d;&d;&d;&d;&d;&d;&d;&d;&d;&d;&d;&d;&d;&d;&d;&d;&d;&d;&d;">
 <!ENTITY f "&e;&e;&e;&e;&e;&e;&e;&e;&e;&e;&e;&e;&e;&e;&e;&e;&e;&e;&e;&e;">
 <!ENTITY g "&f;&f;&f;&f;&f;&f;&f;&f;&f;&f;&f;&f;&f;&f;&f;&f;&f;&f;&f;&f;">
]>
<record:record xmlns:record="http://www.orcid.org/ns/record" xmlns:common="http://www.orcid.org/ns/common" path="/0000-0002-1825-0097">
 <common:orcid-identifier><common:path>0000-0002-1825-0097</common:path></common:orcid-identifier>
 <x>&g;</x>
</record:record>
"""

EXTERNAL = b"""<?xml version="1.0"?>
<!DOCTYPE record [ <!ENTITY xxe SYSTEM "file:///etc/passwd"> ]>
<record:record xmlns:record="http://www.orcid.org/ns/record" xmlns:common="http://www.orcid.org/ns/common" path="/0000-0002-1825-0097">
 <common:orcid-identifier><common:path>0000-0002-1825-0097</common:path></common:orcid-identifier>
 <x>&xxe;</x>
</record:record>
"""


def small() -> bytes:
    """Derived: the real record with its works removed (~20 KB instead of 289 KB), for dumps of many records."""
    root = _tree()
    works = root.find(".//activities:works", NS)
    if works is not None:
        works.getparent().remove(works)
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8")


def many(count: int) -> dict[str, bytes]:
    """Derived: ``count`` records of distinct iDs and family names; every 5th last modified in 2010, every 9th
    deactivated, and one (the 50th, when there are 50) a refused entity bomb."""
    base = small()
    records = {}
    for number in range(count):
        orcid_id = f"0000-0001-{number // 10000:04d}-{number % 10000:04d}"
        if number == 49:
            records[orcid_id] = BOMB
            continue
        xml = deactivated(orcid_id) if number % 9 == 8 else with_id(orcid_id, base)
        xml = xml.replace(b"Demeranville", f"Demeranville {number}".encode())
        if number % 5 == 0:
            xml = xml.replace(b"2021-07-20T12:15:44.981Z", b"2010-07-20T12:15:44.981Z")
        records[orcid_id] = xml
    return records
