"""DataCite XML (kernel 4.0 to 4.7, namespace ``kernel-4``) -> the record's metadata dialect, pure.

Every 4.x kernel uses the one namespace and only added properties, so one reader
serves all of them. Elements and attributes the 4.5 dialect has no place for (4.6's
and 4.7's additions, anything unknown) are left out and reported as problems, each
with its path (``relatedIdentifiers[2]@relationTypeInformation``). Values are kept as
written; the record's schema checks them on save (so a 4.6 ``contributorType`` of
``Translator`` is reported there, on its field). Parsing is safe: no entities, no
DTD, no network.
"""

from __future__ import annotations

from lxml import etree

from exports.loaders.common import Loaded, LoadError, tidy
from exports.terms import KERNEL_NAMESPACE

_PARSER = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False, remove_comments=True, remove_pis=True, huge_tree=False)
_LANG = "{http://www.w3.org/XML/1998/namespace}lang"
_XSI = "{http://www.w3.org/2001/XMLSchema-instance}"
# XML attribute -> dialect key where they differ.
_KEY = {"schemeURI": "schemeUri", "valueURI": "valueUri", "rightsURI": "rightsUri", "awardURI": "awardUri", _LANG: "lang"}


class _Reader:
    """Walks one ``<resource>``, collecting problems as it goes."""

    def __init__(self):
        self.problems: list[str] = []

    def problem(self, path: str, message: str):
        self.problems.append(f"{path}: {message}")

    def attrs(self, el, path: str, allowed: tuple = ()) -> dict:
        out = {}
        for name, value in el.attrib.items():
            if name.startswith(_XSI):
                continue
            key = _KEY.get(name, name)
            if key in allowed:
                out[key] = value.strip()
            else:
                self.problem(f"{path}@{key}", "not a DataCite 4.5 attribute here (left out)")
        return out

    def children(self, el, path: str):
        """Yield (local name, child) for the kernel-4 children of ``el``; report foreign ones."""
        for child in el:
            if not isinstance(child.tag, str):
                continue
            qname = etree.QName(child)
            if qname.namespace != KERNEL_NAMESPACE:
                self.problem(f"{path}.{qname.localname}", f"element of namespace {qname.namespace!r} (left out)")
                continue
            yield qname.localname, child

    def unknown(self, path: str, name: str):
        self.problem(f"{path}.{name}", "not a DataCite 4.5 element here (left out)")

    def listed(self, el, path: str, tag: str, read) -> list:
        """Read the ``tag`` children of the wrapper ``el`` with ``read(child, path)``."""
        out = []
        for name, child in self.children(el, path):
            if name == tag:
                out.append(read(child, f"{path}[{len(out)}]"))
            else:
                self.unknown(path, name)
        return out

    # -- people -----------------------------------------------------------------------------

    def person(self, el, path: str, kind: str, *, nested: bool = False) -> dict:
        out = self.attrs(el, path, ("contributorType",) if kind == "contributor" else ())
        ids, affs = [], []
        for name, child in self.children(el, path):
            if name == f"{kind}Name":
                out.update(self.attrs(child, f"{path}.name", ("nameType", "lang")))
                out["name"] = _text(child)
            elif name in ("givenName", "familyName"):
                out[name] = _text(child)
            elif name == "nameIdentifier" and not nested:
                ident = self.attrs(child, f"{path}.nameIdentifiers[{len(ids)}]", ("nameIdentifierScheme", "schemeUri"))
                ids.append(dict(ident, nameIdentifier=_text(child)))
            elif name == "affiliation" and not nested:
                allowed = ("affiliationIdentifier", "affiliationIdentifierScheme", "schemeUri")
                aff = self.attrs(child, f"{path}.affiliation[{len(affs)}]", allowed)
                affs.append(dict(aff, name=_text(child)))
            else:
                self.unknown(path, name)
        out["nameIdentifiers"] = ids
        out["affiliation"] = affs
        return out

    # -- simple lists -------------------------------------------------------------------------

    def texts(self, el, path: str, key: str, allowed: tuple, tag: str):
        def read(child, sub):
            return dict(self.attrs(child, sub, allowed), **{key: _text(child)})

        return self.listed(el, path, tag, read)

    def point(self, el, path: str) -> dict:
        out = {}
        for name, child in self.children(el, path):
            if name in ("pointLongitude", "pointLatitude"):
                out[name] = _number(child, f"{path}.{name}", self)
            else:
                self.unknown(path, name)
        return out

    def geo_location(self, el, path: str) -> dict:
        out, polygons = {}, []
        for name, child in self.children(el, path):
            if name == "geoLocationPlace":
                out[name] = _text(child)
            elif name == "geoLocationPoint":
                out[name] = self.point(child, f"{path}.{name}")
            elif name == "geoLocationBox":
                box = {}
                for side, value in self.children(child, f"{path}.{name}"):
                    box[side] = _number(value, f"{path}.{name}.{side}", self)
                out[name] = box
            elif name == "geoLocationPolygon":
                if polygons:
                    self.problem(f"{path}.geoLocationPolygon", "only the first polygon fits the dialect (others left out)")
                    continue
                for tag, pt in self.children(child, f"{path}.{name}"):
                    if tag in ("polygonPoint", "inPolygonPoint"):
                        polygons.append({tag: self.point(pt, f"{path}.{name}[{len(polygons)}]")})
                    else:
                        self.unknown(f"{path}.{name}", tag)
            else:
                self.unknown(path, name)
        out["geoLocationPolygon"] = polygons
        return out

    def funding(self, el, path: str) -> dict:
        out = {}
        for name, child in self.children(el, path):
            if name in ("funderName", "awardTitle"):
                out[name] = _text(child)
            elif name == "funderIdentifier":
                out.update(self.attrs(child, f"{path}.{name}", ("funderIdentifierType", "schemeUri")))
                out[name] = _text(child)
            elif name == "awardNumber":
                out.update(self.attrs(child, f"{path}.{name}", ("awardUri",)))
                out[name] = _text(child)
            else:
                self.unknown(path, name)
        return out

    def related_item(self, el, path: str) -> dict:
        out = self.attrs(el, path, ("relatedItemType", "relationType"))
        for name, child in self.children(el, path):
            sub = f"{path}.{name}"
            if name == "relatedItemIdentifier":
                attrs = self.attrs(child, sub, ("relatedItemIdentifierType", "relatedMetadataScheme", "schemeUri", "schemeType"))
                kind = attrs.pop("relatedItemIdentifierType", None)
                out.update(attrs)  # the dialect keeps the scheme attributes on the item
                out[name] = {"relatedItemIdentifier": _text(child), "relatedItemIdentifierType": kind}
            elif name in ("creators", "contributors"):
                tag = name[:-1]
                out[name] = self.listed(child, sub, tag, lambda c, p, tag=tag: self.person(c, p, tag, nested=True))
            elif name == "titles":
                out[name] = self.texts(child, sub, "title", ("lang", "titleType"), "title")
            elif name == "number":
                out.update(self.attrs(child, sub, ("numberType",)))
                out[name] = _text(child)
            elif name in ("publicationYear", "volume", "issue", "firstPage", "lastPage", "publisher", "edition"):
                out[name] = _text(child)
            else:
                self.unknown(path, name)
        return out

    # -- the resource -----------------------------------------------------------------------

    def resource(self, root) -> tuple[str, dict]:
        meta: dict = {}
        doi = ""
        self.attrs(root, "resource")
        for name, el in self.children(root, "resource"):
            handler = _TOP.get(name)
            if name == "identifier":
                kind = el.get("identifierType")
                if kind != "DOI":
                    self.problem("identifier", f"identifierType {kind!r} is not DOI")
                doi = _text(el)
            elif handler is None:
                self.unknown("resource", name)
            else:
                handler(self, el, meta)
        return doi, meta


def _text(el) -> str:
    """The element's text, with ``<br/>`` (kernel 4.0 descriptions) as line breaks, stripped."""
    if len(el):
        parts = [el.text or ""]
        for child in el:  # entity references (never expanded) and the like carry no text
            if isinstance(child.tag, str):
                parts.append("\n" if etree.QName(child).localname == "br" else (child.text or ""))
            parts.append(child.tail or "")
        return "".join(parts).strip()
    return (el.text or "").strip()


def _number(el, path: str, reader: _Reader):
    text = _text(el)
    try:
        return float(text)
    except ValueError:
        reader.problem(path, f"{text!r} is not a number")
        return None


def _wrapped(key: str, tag: str, value_key: str, allowed: tuple):
    def handle(reader: _Reader, el, meta: dict):
        meta[key] = reader.texts(el, key, value_key, allowed, tag)

    return handle


def _people(kind: str):
    def handle(reader: _Reader, el, meta: dict):
        meta[f"{kind}s"] = reader.listed(el, f"{kind}s", kind, lambda c, p: reader.person(c, p, kind))

    return handle


def _plain(key: str, tag: str):
    def handle(reader: _Reader, el, meta: dict):
        meta[key] = [item[tag] for item in reader.texts(el, key, tag, (), tag)]

    return handle


def _single(key: str, allowed: tuple = ()):
    def handle(reader: _Reader, el, meta: dict):
        value = reader.attrs(el, key, allowed)
        if allowed:
            value["name"] = _text(el)
            meta[key] = value
        else:
            meta[key] = _text(el)

    return handle


def _resource_type(reader: _Reader, el, meta: dict):
    meta["types"] = dict(reader.attrs(el, "types", ("resourceTypeGeneral",)), resourceType=_text(el))


def _geo(reader: _Reader, el, meta: dict):
    meta["geoLocations"] = reader.listed(el, "geoLocations", "geoLocation", reader.geo_location)


def _funding(reader: _Reader, el, meta: dict):
    meta["fundingReferences"] = reader.listed(el, "fundingReferences", "fundingReference", reader.funding)


def _related_items(reader: _Reader, el, meta: dict):
    meta["relatedItems"] = reader.listed(el, "relatedItems", "relatedItem", reader.related_item)


_TOP = {
    "creators": _people("creator"),
    "contributors": _people("contributor"),
    "titles": _wrapped("titles", "title", "title", ("lang", "titleType")),
    "publisher": _single("publisher", ("publisherIdentifier", "publisherIdentifierScheme", "schemeUri", "lang")),
    "publicationYear": _single("publicationYear"),
    "resourceType": _resource_type,
    "subjects": _wrapped("subjects", "subject", "subject", ("subjectScheme", "schemeUri", "valueUri", "classificationCode", "lang")),
    "dates": _wrapped("dates", "date", "date", ("dateType", "dateInformation")),
    "language": _single("language"),
    "alternateIdentifiers": _wrapped("alternateIdentifiers", "alternateIdentifier", "alternateIdentifier", ("alternateIdentifierType",)),
    "relatedIdentifiers": _wrapped(
        "relatedIdentifiers", "relatedIdentifier", "relatedIdentifier",
        ("relatedIdentifierType", "relationType", "relatedMetadataScheme", "schemeUri", "schemeType", "resourceTypeGeneral"),
    ),
    "sizes": _plain("sizes", "size"),
    "formats": _plain("formats", "format"),
    "version": _single("version"),
    "rightsList": _wrapped("rightsList", "rights", "rights", ("rightsUri", "rightsIdentifier", "rightsIdentifierScheme", "schemeUri", "lang")),
    "descriptions": _wrapped("descriptions", "description", "description", ("descriptionType", "lang")),
    "geoLocations": _geo,
    "fundingReferences": _funding,
    "relatedItems": _related_items,
}


def load(data: bytes) -> Loaded:
    """Read one DataCite XML document (kernel 4.0-4.7) into a ``Loaded`` record."""
    try:
        root = etree.fromstring(data, _PARSER)
    except etree.XMLSyntaxError as exc:
        raise LoadError(f"not well-formed XML: {exc}") from exc
    qname = etree.QName(root)
    if qname.localname != "resource" or qname.namespace != KERNEL_NAMESPACE:
        raise LoadError(f"root element <{qname.localname}> in namespace {qname.namespace or '(none)'} is not a DataCite kernel-4 <resource>")
    reader = _Reader()
    doi, meta = reader.resource(root)
    if not doi:
        raise LoadError("no <identifier identifierType=\"DOI\">")
    return Loaded(doi=doi, metadata=tidy(meta), problems=reader.problems)
