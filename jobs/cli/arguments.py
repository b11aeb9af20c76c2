"""Turn ``--arg key=value`` and ``--json`` into the raw data a job type's schema loads.

Values stay strings wherever marshmallow can load a string (numbers, booleans, dates,
choices): the schema stays the one place that validates. Only the shape is decided
here: list fields take comma-separated or repeated keys, mapping and raw fields take
JSON. Syntax errors raise ``ArgumentsInvalid`` like schema errors do.
"""

from __future__ import annotations

import json
import sys

from marshmallow import Schema, fields

from jobs import conf
from jobs.arguments import ArgumentsJSONDecoder
from jobs.exceptions import ArgumentsInvalid

LIST_FIELDS = (fields.List, fields.Tuple)
JSON_FIELDS = (fields.Mapping, fields.Nested)


def _fields_by_key(schema: Schema) -> dict[str, fields.Field]:
    return {field.data_key or name: field for name, field in schema.load_fields.items()}


def _json(key: str, text: str, errors: dict):
    try:
        return json.loads(text, cls=ArgumentsJSONDecoder)
    except ValueError as exc:
        errors.setdefault(key, []).append(f"Not valid JSON: {exc}.")
        return None


def _list_items(key: str, text: str, errors: dict) -> list:
    if text.lstrip().startswith("["):
        value = _json(key, text, errors)
        if value is not None and not isinstance(value, list):
            errors.setdefault(key, []).append("Not a JSON list.")
        return value if isinstance(value, list) else []
    return [item.strip() for item in text.split(",") if item.strip()]


def json_text_read(json_text: str | None, errors: dict, stdin=None) -> str | None:
    """``--json``'s text: ``-`` reads standard input, ``@path`` reads a file, anything else is the JSON itself."""
    if json_text is None or (json_text != "-" and not json_text.startswith("@")):
        return json_text
    limit = conf.get("JOBS_ARGUMENTS_MAX_BYTES")
    try:
        if json_text == "-":
            text = (stdin or sys.stdin).read(limit + 1)
        else:
            with open(json_text[1:], encoding="utf-8") as file:
                text = file.read(limit + 1)
    except (OSError, UnicodeError) as exc:
        errors.setdefault("--json", []).append(f"Cannot read {json_text!r}: {exc}.")
        return None
    if len(text) > limit:
        errors.setdefault("--json", []).append(f"{json_text!r} is longer than {limit} characters.")
        return None
    return text


def cli_arguments_parse(*, schema: Schema, pairs: list[str] | None = None, json_text: str | None = None) -> dict:
    """Return the data for ``schema.load``: ``json_text`` (an object) overlaid with ``pairs``."""
    errors: dict[str, list[str]] = {}
    data: dict = {}
    json_text = json_text_read(json_text, errors)
    if json_text:
        loaded = _json("--json", json_text, errors)
        if loaded is not None and not isinstance(loaded, dict):
            errors.setdefault("--json", []).append("Must be a JSON object.")
        elif loaded is not None:
            data.update(loaded)
    known = _fields_by_key(schema)
    seen: set[str] = set()
    for pair in pairs or []:
        key, sep, text = pair.partition("=")
        key = key.strip()
        if not sep or not key:
            errors.setdefault("--arg", []).append(f"{pair!r} is not key=value.")
            continue
        field = known.get(key)
        if isinstance(field, LIST_FIELDS):
            previous = data.get(key) if key in seen else []
            data[key] = list(previous) + _list_items(key, text, errors)
        elif key in seen:
            errors.setdefault(key, []).append("Given more than once.")
        elif isinstance(field, JSON_FIELDS):
            data[key] = _json(key, text, errors)
        elif isinstance(field, fields.Raw):
            try:
                data[key] = json.loads(text)
            except ValueError:
                data[key] = text
        elif text == "" and field is not None and field.allow_none and not isinstance(field, fields.String):
            data[key] = None
        else:
            data[key] = text
        seen.add(key)
    if errors:
        raise ArgumentsInvalid(errors)
    return data
