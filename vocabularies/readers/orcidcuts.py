"""Byte-level cuts of an ORCID record: only the part the import reads goes to the XML parser.

Pure functions over the raw bytes of one record file; each returns None when the
document is not written the way ORCID writes it, and the caller then parses more of it.
"""

from __future__ import annotations

EMPLOYMENTS_END = b"</activities:employments>"
HEAD_CLOSE = b"</activities:activities-summary></record:record>"


def _head(data: bytes) -> bytes | None:
    """The record up to its employments, closed: what we read precedes works, fundings, ...

    Works are usually most of a record (the real sample: 24 KB of 289 KB precede them).
    Only for documents written the way ORCID writes them (``record:`` and ``activities:``
    prefixes); if the cut document does not parse, the whole one is parsed instead.
    """
    if not data.lstrip()[:200].startswith((b"<?xml", b"<record:record")):
        return None
    end = data.find(EMPLOYMENTS_END)
    if end < 0 or data.find(b"<record:record", 0, end) < 0:
        return None
    return data[: end + len(EMPLOYMENTS_END)] + HEAD_CLOSE


_BOUNDARY = frozenset(b" \t\r\n>/")


def _element(data: bytes, name: bytes, start: int, end: int) -> bytes | None:
    """The first ``<name …>…</name>`` (or ``<name …/>``) within ``data[start:end]``; b"" when absent.

    None when it is there but not closed within the range (the caller then parses more).
    """
    opening = b"<" + name
    at = data.find(opening, start, end)
    while at >= 0 and data[at + len(opening)] not in _BOUNDARY:
        at = data.find(opening, at + 1, end)
    if at < 0:
        return b""
    tag_end = data.find(b">", at, end)
    if tag_end < 0:
        return None
    if data[tag_end - 1] == 0x2F:  # "/>": empty element
        return data[at : tag_end + 1]
    closing = b"</" + name + b">"
    close = data.find(closing, tag_end, end)
    return data[at : close + len(closing)] if close >= 0 else None


def _has_markup_declaration(data: bytes) -> bool:
    """True when ``data`` holds ``<!`` (DOCTYPE, comment, CDATA): memchr for "!" beats a 2-byte search."""
    at = data.find(b"!")
    while at >= 0:
        if at and data[at - 1] == 0x3C:
            return True
        at = data.find(b"!", at + 1)
    return False


def _start_tag(data: bytes, name: bytes, start: int) -> tuple[int, int] | None:
    """(start, end) of the first non-empty start tag ``<name …>`` from ``start`` on, else None."""
    opening = b"<" + name
    at = data.find(opening, start)
    while at >= 0 and data[at + len(opening)] not in _BOUNDARY:
        at = data.find(opening, at + 1)
    tag_end = data.find(b">", at) if at >= 0 else -1
    if tag_end < 0 or data[tag_end - 1] == 0x2F:
        return None
    return at, tag_end + 1


def _slim(data: bytes) -> bytes | None:
    """Only the elements the import reads, re-assembled under the record's own root tag.

    The iD, the history, the name and other names of the person, and the employments:
    a few KB of a ~36 KB summary, so lxml builds a tree of ~1/10 of the nodes ``_head``
    gives it. Only for documents written the way ORCID writes them (no DOCTYPE, comment
    or CDATA, the usual prefixes); otherwise None, and ``_head`` or a full parse is used.
    """
    root = data.find(b"<record:record")
    if root < 0 or _has_markup_declaration(data):
        return None
    root_end = data.find(b">", root)
    person = _start_tag(data, b"person:person", root_end)
    if root_end < 0 or data[root_end - 1] == 0x2F or person is None:
        return None
    person_end = data.find(b"</person:person>", person[1])
    summary = _start_tag(data, b"activities:activities-summary", max(person_end, 0))
    if person_end < 0 or summary is None:
        return None
    parts = (
        _element(data, b"common:orcid-identifier", root_end, person[0]),
        _element(data, b"history:history", root_end, person[0]),
        _element(data, b"person:name", person[1], person_end),
        _element(data, b"other-name:other-names", person[1], person_end),
        _element(data, b"activities:employments", summary[1], len(data)),
    )
    if None in parts:
        return None
    identifier, history, name, other_names, employments = parts
    return b"".join((
        data[root : root_end + 1], identifier, history, data[person[0] : person[1]], name, other_names,
        b"</person:person>", data[summary[0] : summary[1]], employments, HEAD_CLOSE,
    ))
