"""Pure loaders: DataCite XML (kernel 4.0-4.7) and JSON documents -> records in the ``exports.schema`` dialect.

A loader turns one document (bytes) into ``Loaded`` records: the DOI, the metadata
normalised into the record's dialect, the tombstone flag, and ``problems``: one
``"field: message"`` line for each value that could not be mapped (an element the
dialect has no place for, a name identifier whose scheme cannot be told, ...). The
values themselves are still checked by the record's schema when they are saved. A
document that cannot be read at all raises ``LoadError``. No ORM, no I/O.
"""

from __future__ import annotations

from exports.loaders import datacite_json, datacite_xml
from exports.loaders.common import Loaded, LoadError, tidy

__all__ = ["Loaded", "LoadError", "document_load", "tidy"]


def document_load(name: str, data: bytes) -> list[Loaded]:
    """Load the records of one document, chosen by its name (``.xml`` or ``.json``)."""
    lower = name.lower()
    if lower.endswith(".xml"):
        return [datacite_xml.load(data)]
    if lower.endswith(".json"):
        return datacite_json.load(data)
    raise LoadError(f"{name}: not a .xml or .json document")
