"""Marshmallow schema of a record's metadata: the DataCite 4.5 JSON dialect of the ``datacite`` package.

The dialect (``datacite.schema45`` input, close to the DataCite REST ``attributes``) keeps
every 4.5 property; the DOI itself lives on the record, so ``doi``/``prefix``/``suffix``
are accepted and dropped. Unknown keys are errors, so a typo is reported, not ignored.
Affiliations and funders may omit their name when a ROR / Crossref Funder id is given:
the name then comes from the vocabularies when exporting (``exports.links``).
"""

from __future__ import annotations

import re

from marshmallow import EXCLUDE, RAISE, Schema, ValidationError, fields, validate, validates_schema

from exports import terms

# XML 1.0 cannot carry C0 controls other than tab, newline and carriage return.
_FORBIDDEN_CHARS = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")
_YEAR = re.compile(r"^\d{4}$")
_DOI = re.compile(r"^10\.\d{4,9}/\S+$")


def _text_ok(value: str):
    if not value.strip():
        raise ValidationError("Must not be blank.")
    if _FORBIDDEN_CHARS.search(value):
        raise ValidationError("Contains a control character that XML cannot carry.")


def Text(*, required=False, **kw):  # noqa: N802 - reads like a field class
    return fields.String(required=required, validate=_text_ok, **kw)


def Choice(choices, *, required=False):  # noqa: N802
    return fields.String(required=required, validate=validate.OneOf(choices))


class Year(fields.Field):
    """A four-digit year, given as a string or an integer; loaded as a string."""

    def _deserialize(self, value, attr, data, **kwargs):
        text = str(value) if isinstance(value, int) and not isinstance(value, bool) else value
        if not isinstance(text, str) or not _YEAR.match(text):
            raise ValidationError("Must be a four-digit year.")
        return text


class Base(Schema):
    class Meta:
        unknown = RAISE


class NameIdentifier(Base):
    nameIdentifier = Text(required=True)
    nameIdentifierScheme = Text(required=True)
    schemeUri = Text()


class Affiliation(Base):
    name = Text()
    affiliationIdentifier = Text()
    affiliationIdentifierScheme = Text()
    schemeUri = Text()

    @validates_schema
    def _named(self, data, **kwargs):
        if not data.get("name") and not data.get("affiliationIdentifier"):
            raise ValidationError("Give a name or an affiliationIdentifier (ROR).", "name")


class Creator(Base):
    name = Text(required=True)
    nameType = Choice(terms.NAME_TYPES)
    lang = Text()
    givenName = Text()
    familyName = Text()
    nameIdentifiers = fields.List(fields.Nested(NameIdentifier))
    affiliation = fields.List(fields.Nested(Affiliation))


class Contributor(Creator):
    contributorType = Choice(terms.CONTRIBUTOR_TYPES, required=True)


class Title(Base):
    title = Text(required=True)
    titleType = Choice(terms.TITLE_TYPES)
    lang = Text()


class Publisher(Base):
    name = Text(required=True)
    publisherIdentifier = Text()
    publisherIdentifierScheme = Text()
    schemeUri = Text()
    lang = Text()


class Types(Base):
    resourceTypeGeneral = Choice(terms.RESOURCE_TYPES_GENERAL, required=True)
    resourceType = Text()


class Subject(Base):
    subject = Text(required=True)
    subjectScheme = Text()
    schemeUri = Text()
    valueUri = Text()
    classificationCode = Text()
    lang = Text()


class Date(Base):
    date = Text(required=True)
    dateType = Choice(terms.DATE_TYPES, required=True)
    dateInformation = Text()


class AlternateIdentifier(Base):
    alternateIdentifier = Text(required=True)
    alternateIdentifierType = Text(required=True)


class RelatedIdentifier(Base):
    relatedIdentifier = Text(required=True)
    relatedIdentifierType = Choice(terms.RELATED_IDENTIFIER_TYPES, required=True)
    relationType = Choice(terms.RELATION_TYPES, required=True)
    relatedMetadataScheme = Text()
    schemeUri = Text()
    schemeType = Text()
    resourceTypeGeneral = Choice(terms.RESOURCE_TYPES_GENERAL)


class Rights(Base):
    rights = Text()
    rightsUri = Text()
    rightsIdentifier = Text()
    rightsIdentifierScheme = Text()
    schemeUri = Text()
    lang = Text()


class Description(Base):
    description = Text(required=True)
    descriptionType = Choice(terms.DESCRIPTION_TYPES, required=True)
    lang = Text()


class Point(Base):
    pointLongitude = fields.Float(required=True, validate=validate.Range(-180, 180))
    pointLatitude = fields.Float(required=True, validate=validate.Range(-90, 90))


class Box(Base):
    westBoundLongitude = fields.Float(required=True, validate=validate.Range(-180, 180))
    eastBoundLongitude = fields.Float(required=True, validate=validate.Range(-180, 180))
    southBoundLatitude = fields.Float(required=True, validate=validate.Range(-90, 90))
    northBoundLatitude = fields.Float(required=True, validate=validate.Range(-90, 90))


class PolygonPoint(Base):
    polygonPoint = fields.Nested(Point)
    inPolygonPoint = fields.Nested(Point)


class GeoLocation(Base):
    geoLocationPlace = Text()
    geoLocationPoint = fields.Nested(Point)
    geoLocationBox = fields.Nested(Box)
    geoLocationPolygon = fields.List(fields.Nested(PolygonPoint))


class FundingReference(Base):
    funderName = Text()
    funderIdentifier = Text()
    funderIdentifierType = Choice(terms.FUNDER_IDENTIFIER_TYPES)
    schemeUri = Text()  # funderIdentifier@schemeURI (kernel 4.3+); not in the datacite package's dialect
    awardNumber = Text()
    awardUri = Text()
    awardTitle = Text()

    @validates_schema
    def _funder(self, data, **kwargs):
        if not data.get("funderName") and not data.get("funderIdentifier"):
            raise ValidationError("Give a funderName or a funderIdentifier (ROR or Crossref Funder ID).", "funderName")
        if data.get("funderIdentifier") and not data.get("funderIdentifierType"):
            raise ValidationError("Required with a funderIdentifier.", "funderIdentifierType")


class RelatedItemIdentifier(Base):
    relatedItemIdentifier = Text(required=True)
    relatedItemIdentifierType = Choice(terms.RELATED_IDENTIFIER_TYPES)


class RelatedItemCreator(Base):
    name = Text(required=True)
    nameType = Choice(terms.NAME_TYPES)
    givenName = Text()
    familyName = Text()
    lang = Text()
    # Accepted (the package's examples carry them) but not part of relatedItem in 4.5.
    affiliation = fields.List(fields.Dict())
    nameIdentifiers = fields.List(fields.Dict())


class RelatedItemContributor(RelatedItemCreator):
    contributorType = Choice(terms.CONTRIBUTOR_TYPES, required=True)


class RelatedItem(Base):
    relatedItemType = Choice(terms.RESOURCE_TYPES_GENERAL, required=True)
    relationType = Choice(terms.RELATION_TYPES, required=True)
    relatedItemIdentifier = fields.Nested(RelatedItemIdentifier)
    relatedMetadataScheme = Text()
    schemeUri = Text()
    schemeType = Text()
    creators = fields.List(fields.Nested(RelatedItemCreator))
    titles = fields.List(fields.Nested(Title), required=True, validate=validate.Length(min=1))
    publicationYear = Year()
    volume = Text()
    issue = Text()
    number = Text()
    numberType = Choice(terms.NUMBER_TYPES)
    firstPage = Text()
    lastPage = Text()
    publisher = Text()
    edition = Text()
    contributors = fields.List(fields.Nested(RelatedItemContributor))


class Container(Schema):
    class Meta:
        unknown = EXCLUDE

    type = fields.String()
    title = fields.String()
    identifier = fields.String()
    identifierType = fields.String()


class Metadata(Base):
    doi = fields.String()
    prefix = fields.String()
    suffix = fields.String()
    creators = fields.List(fields.Nested(Creator), required=True, validate=validate.Length(min=1))
    titles = fields.List(fields.Nested(Title), required=True, validate=validate.Length(min=1))
    publisher = fields.Nested(Publisher, required=True)
    publicationYear = Year(required=True)
    types = fields.Nested(Types, required=True)
    subjects = fields.List(fields.Nested(Subject))
    contributors = fields.List(fields.Nested(Contributor))
    dates = fields.List(fields.Nested(Date))
    language = Text()
    alternateIdentifiers = fields.List(fields.Nested(AlternateIdentifier))
    relatedIdentifiers = fields.List(fields.Nested(RelatedIdentifier))
    relatedItems = fields.List(fields.Nested(RelatedItem))
    sizes = fields.List(Text())
    formats = fields.List(Text())
    version = Text()
    rightsList = fields.List(fields.Nested(Rights))
    descriptions = fields.List(fields.Nested(Description))
    geoLocations = fields.List(fields.Nested(GeoLocation))
    fundingReferences = fields.List(fields.Nested(FundingReference))
    container = fields.Nested(Container)
    url = fields.Url()
    schemaVersion = fields.String()


_schema = Metadata()
_ON_RECORD = {"doi", "prefix", "suffix"}  # the record's own column holds the DOI


def doi_normalize(doi: str) -> str:
    """Return the DOI in the form stored on records (lower-case, no resolver prefix)."""
    doi = (doi or "").strip()
    for prefix in ("https://doi.org/", "http://doi.org/", "https://dx.doi.org/", "doi:"):
        if doi.lower().startswith(prefix):
            doi = doi[len(prefix):]
    return doi.lower()


def doi_valid(doi: str) -> bool:
    return bool(_DOI.match(doi)) and not _FORBIDDEN_CHARS.search(doi)


def metadata_load(data) -> dict:
    """Validate ``data`` and return the cleaned metadata (raises marshmallow ValidationError)."""
    if not isinstance(data, dict):
        raise ValidationError({"_schema": ["Metadata must be a JSON object."]})
    cleaned = _schema.load(data)
    return {key: value for key, value in cleaned.items() if key not in _ON_RECORD and value not in (None, [], {}, "")}


def messages_flatten(messages, path="") -> list[str]:
    """Turn marshmallow's nested error dict into ``creators[0].name: message`` lines."""
    if isinstance(messages, dict):
        lines = []
        for key, value in messages.items():
            if key == "_schema":
                sub = path
            elif isinstance(key, int):
                sub = f"{path}[{key}]"
            else:
                sub = f"{path}.{key}" if path else str(key)
            lines.extend(messages_flatten(value, sub))
        return lines
    if isinstance(messages, list | tuple):
        lines = []
        for item in messages:
            lines.extend(messages_flatten(item, path))
        return lines
    return [f"{path}: {messages}" if path else str(messages)]
