"""Record -> DataCite Metadata Schema 4.5 XML, built with lxml (pure: no ORM).

Element and attribute names follow the kernel-4.5 XSD; the input is the record's
metadata in the ``exports.schema`` dialect, already completed from the vocabularies
(``exports.links``). Empty values are left out, so missing optional fields never
produce empty elements (the XSD forbids most of them).
"""

from __future__ import annotations

from lxml import etree

from exports.terms import KERNEL_NAMESPACE, SCHEMA_LOCATION

EXTENSION = "xml"
MEDIA_TYPE = "application/xml"

_NS = f"{{{KERNEL_NAMESPACE}}}"
_XSI = "http://www.w3.org/2001/XMLSchema-instance"
_LANG = "{http://www.w3.org/XML/1998/namespace}lang"
_NSMAP = {None: KERNEL_NAMESPACE, "xsi": _XSI}
_SUB = etree.SubElement

# JSON key -> XML attribute, where they differ only by URI spelling.
_ATTR = {"schemeUri": "schemeURI", "valueUri": "valueURI", "rightsUri": "rightsURI", "awardUri": "awardURI", "lang": _LANG}


def _keys(*names) -> tuple:
    """Pairs (JSON key, XML attribute) for ``_el``, computed once per element kind."""
    return tuple((name, _ATTR.get(name, name)) for name in names)


def _el(parent, tag, text=None, value=None, keys=()):
    """Append ``<tag>`` with ``text`` and the non-empty attributes ``keys`` of ``value`` (hot path: kept lean)."""
    el = _SUB(parent, _NS + tag)
    if text is not None:
        el.text = text
    for src, dst in keys:
        attr = value.get(src)
        if attr:
            el.set(dst, attr)
    return el


_K_NAME = _keys("nameType", "lang")
_K_NAME_ID = _keys("nameIdentifierScheme", "schemeUri")
_K_AFF = _keys("affiliationIdentifier", "affiliationIdentifierScheme", "schemeUri")
_K_CONTRIB = _keys("contributorType")
_K_TITLE = _keys("lang", "titleType")
_K_PUBLISHER = _keys("publisherIdentifier", "publisherIdentifierScheme", "schemeUri", "lang")
_K_TYPES = _keys("resourceTypeGeneral")
_K_SUBJECT = _keys("subjectScheme", "schemeUri", "valueUri", "classificationCode", "lang")
_K_DATE = _keys("dateType", "dateInformation")
_K_ALT = _keys("alternateIdentifierType")
_K_REL = _keys("relatedIdentifierType", "relationType", "relatedMetadataScheme", "schemeUri", "schemeType", "resourceTypeGeneral")
_K_RIGHTS = _keys("rightsUri", "rightsIdentifier", "rightsIdentifierScheme", "schemeUri", "lang")
_K_DESC = _keys("descriptionType", "lang")
_K_FUNDER = _keys("funderIdentifierType", "schemeUri")
_K_AWARD = _keys("awardUri")
_K_ITEM = _keys("relatedItemType", "relationType")
_K_ITEM_ID = _keys("relatedItemIdentifierType")
_K_ITEM_SCHEME = _keys("relatedMetadataScheme", "schemeUri", "schemeType")
_K_NUMBER = _keys("numberType")
_DOI = (("identifierType", "identifierType"),)
_DOI_VALUE = {"identifierType": "DOI"}


def _named(value: dict, key: str, identifier_key: str) -> str:
    """The name of an affiliation or funder; never its identifier in its place (see exports.links)."""
    name = value.get(key)
    if not name:
        raise ValueError(f"{identifier_key} {value.get(identifier_key)} has no name (names are resolved by exports.links)")
    return name


def _names(parent, person, name_tag):
    _el(parent, name_tag, person["name"], person, _K_NAME)
    if person.get("givenName"):
        _el(parent, "givenName", person["givenName"])
    if person.get("familyName"):
        _el(parent, "familyName", person["familyName"])


def _person(parent, tag, person, name_tag):
    el = _el(parent, tag, None, person, _K_CONTRIB)
    _names(el, person, name_tag)
    for ident in person.get("nameIdentifiers") or ():
        if ident.get("nameIdentifier"):
            _el(el, "nameIdentifier", ident["nameIdentifier"], ident, _K_NAME_ID)
    for aff in person.get("affiliation") or ():
        _el(el, "affiliation", _named(aff, "name", "affiliationIdentifier"), aff, _K_AFF)
    return el


def _titles(parent, titles):
    wrap = _el(parent, "titles")
    for t in titles:
        _el(wrap, "title", t["title"], t, _K_TITLE)


def _point(parent, tag, point):
    el = _el(parent, tag)
    _el(el, "pointLongitude", repr(float(point["pointLongitude"])))
    _el(el, "pointLatitude", repr(float(point["pointLatitude"])))


def _plain_list(root, wrapper, tag, values):
    if values:
        wrap = _el(root, wrapper)
        for value in values:
            _el(wrap, tag, value)


def _geo_locations(root, locations):
    wrap = _el(root, "geoLocations")
    for loc in locations:
        el = _el(wrap, "geoLocation")
        if loc.get("geoLocationPlace"):
            _el(el, "geoLocationPlace", loc["geoLocationPlace"])
        if loc.get("geoLocationPoint"):
            _point(el, "geoLocationPoint", loc["geoLocationPoint"])
        box = loc.get("geoLocationBox")
        if box:
            b = _el(el, "geoLocationBox")
            for key in ("westBoundLongitude", "eastBoundLongitude", "southBoundLatitude", "northBoundLatitude"):
                _el(b, key, repr(float(box[key])))
        if loc.get("geoLocationPolygon"):
            poly = _el(el, "geoLocationPolygon")
            for pt in loc["geoLocationPolygon"]:
                if pt.get("polygonPoint"):
                    _point(poly, "polygonPoint", pt["polygonPoint"])
                if pt.get("inPolygonPoint"):
                    _point(poly, "inPolygonPoint", pt["inPolygonPoint"])


def _funding(root, refs):
    wrap = _el(root, "fundingReferences")
    for ref in refs:
        el = _el(wrap, "fundingReference")
        _el(el, "funderName", _named(ref, "funderName", "funderIdentifier"))
        if ref.get("funderIdentifier"):
            _el(el, "funderIdentifier", ref["funderIdentifier"], ref, _K_FUNDER)
        if ref.get("awardNumber"):
            _el(el, "awardNumber", ref["awardNumber"], ref, _K_AWARD)
        if ref.get("awardTitle"):
            _el(el, "awardTitle", ref["awardTitle"])


def _related_items(root, items):
    wrap = _el(root, "relatedItems")
    for item in items:
        el = _el(wrap, "relatedItem", None, item, _K_ITEM)
        ident = item.get("relatedItemIdentifier")
        if ident:
            id_el = _el(el, "relatedItemIdentifier", ident["relatedItemIdentifier"], ident, _K_ITEM_ID)
            for src, dst in _K_ITEM_SCHEME:
                if item.get(src):
                    id_el.set(dst, item[src])
        if item.get("creators"):
            creators = _el(el, "creators")
            for person in item["creators"]:
                _names(_el(creators, "creator"), person, "creatorName")
        _titles(el, item["titles"])
        for key in ("publicationYear", "volume", "issue"):
            if item.get(key):
                _el(el, key, item[key])
        if item.get("number"):
            _el(el, "number", item["number"], item, _K_NUMBER)
        for key in ("firstPage", "lastPage", "publisher", "edition"):
            if item.get(key):
                _el(el, key, item[key])
        if item.get("contributors"):
            contributors = _el(el, "contributors")
            for person in item["contributors"]:
                c = _el(contributors, "contributor", None, person, _K_CONTRIB)
                _names(c, person, "contributorName")


def to_element(record: dict) -> etree._Element:
    """Build the ``<resource>`` element of one native record."""
    meta = record["metadata"]
    root = etree.Element(_NS + "resource", nsmap=_NSMAP)
    root.set(f"{{{_XSI}}}schemaLocation", f"{KERNEL_NAMESPACE} {SCHEMA_LOCATION}")
    _el(root, "identifier", record["doi"], _DOI_VALUE, _DOI)
    creators = _el(root, "creators")
    for person in meta["creators"]:
        _person(creators, "creator", person, "creatorName")
    _titles(root, meta["titles"])
    pub = meta["publisher"]
    _el(root, "publisher", pub["name"], pub, _K_PUBLISHER)
    _el(root, "publicationYear", meta["publicationYear"])
    types = meta["types"]
    _el(root, "resourceType", types.get("resourceType") or "", types, _K_TYPES)
    if meta.get("subjects"):
        wrap = _el(root, "subjects")
        for s in meta["subjects"]:
            _el(wrap, "subject", s["subject"], s, _K_SUBJECT)
    if meta.get("contributors"):
        wrap = _el(root, "contributors")
        for person in meta["contributors"]:
            _person(wrap, "contributor", person, "contributorName")
    if meta.get("dates"):
        wrap = _el(root, "dates")
        for d in meta["dates"]:
            _el(wrap, "date", d["date"], d, _K_DATE)
    if meta.get("language"):
        _el(root, "language", meta["language"])
    if meta.get("alternateIdentifiers"):
        wrap = _el(root, "alternateIdentifiers")
        for a in meta["alternateIdentifiers"]:
            _el(wrap, "alternateIdentifier", a["alternateIdentifier"], a, _K_ALT)
    if meta.get("relatedIdentifiers"):
        wrap = _el(root, "relatedIdentifiers")
        for r in meta["relatedIdentifiers"]:
            _el(wrap, "relatedIdentifier", r["relatedIdentifier"], r, _K_REL)
    _plain_list(root, "sizes", "size", meta.get("sizes"))
    _plain_list(root, "formats", "format", meta.get("formats"))
    if meta.get("version"):
        _el(root, "version", meta["version"])
    if meta.get("rightsList"):
        wrap = _el(root, "rightsList")
        for r in meta["rightsList"]:
            _el(wrap, "rights", r.get("rights"), r, _K_RIGHTS)
    if meta.get("descriptions"):
        wrap = _el(root, "descriptions")
        for d in meta["descriptions"]:
            _el(wrap, "description", d["description"], d, _K_DESC)
    if meta.get("geoLocations"):
        _geo_locations(root, meta["geoLocations"])
    if meta.get("fundingReferences"):
        _funding(root, meta["fundingReferences"])
    if meta.get("relatedItems"):
        _related_items(root, meta["relatedItems"])
    return root


def serialize(record: dict) -> bytes:
    """Return one record as a UTF-8 DataCite 4.5 XML document."""
    return etree.tostring(to_element(record), xml_declaration=True, encoding="UTF-8", pretty_print=True)
