"""Pure serializers: a native record dict -> bytes. No ORM, no I/O.

A native record is ``{"doi", "created", "updated", "deleted", "metadata"}`` (see
``exports.models.record_native``), with metadata already completed from the
vocabularies by ``exports.links``.
"""

from exports.serializers import datacite_json, datacite_xml, native_json

SERIALIZERS = {
    "datacite-xml": datacite_xml,
    "datacite-json": datacite_json,
    "json": native_json,
}
NAMES = tuple(SERIALIZERS)


def get(name: str):
    """Return the serializer module called ``name`` (KeyError when unknown)."""
    return SERIALIZERS[name]
