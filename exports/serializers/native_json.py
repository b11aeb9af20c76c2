"""Record -> the site's own JSON (DOI, timestamps, tombstone flag and metadata as stored), pure."""

from __future__ import annotations

import orjson

EXTENSION = "json"
MEDIA_TYPE = "application/json"


def to_dict(record: dict) -> dict:
    return {
        "doi": record["doi"],
        "created": record["created"],
        "updated": record["updated"],
        "deleted": record["deleted"],
        "metadata": record["metadata"],
    }


def serialize(record: dict) -> bytes:
    # orjson writes aware datetimes as RFC 3339 with their offset.
    return orjson.dumps(to_dict(record), option=orjson.OPT_INDENT_2 | orjson.OPT_UTC_Z)
