"""JSON Schema (draft 2020-12) of a job type's arguments, generated from its marshmallow schema.

Pure: takes a marshmallow ``Schema`` instance, returns a dict. Types, ``required``,
defaults (``load_default``, in their JSON form), ``enum`` from ``OneOf``, bounds from
``Range`` and ``Length``, ``pattern`` from ``Regexp``, formats for dates, times, e-mails,
URLs and UUIDs, descriptions from ``metadata["help"]``; nested schemas, lists, tuples and
dicts recurse. The result never accepts what the marshmallow schema rejects for the
covered constraints; it may be stricter (a date-time needs its UTC offset, booleans are
JSON booleans), so a client that follows it builds input the server takes.
"""

from __future__ import annotations

from typing import Any

from marshmallow import RAISE, Schema, fields, missing, validate

from jobs.arguments import to_json_safe

DIALECT = "https://json-schema.org/draft/2020-12/schema"
DECIMAL_PATTERN = r"^-?(\d+(\.\d*)?|\.\d+)([eE][-+]?\d+)?$"

# Checked in order: subclasses before their bases (Email and URL are Strings, AwareDateTime a DateTime).
_SIMPLE: list[tuple[type, dict]] = [
    (fields.Email, {"type": "string", "format": "email"}),
    (fields.URL, {"type": "string", "format": "uri"}),
    (fields.UUID, {"type": "string", "format": "uuid"}),
    (fields.String, {"type": "string"}),
    (fields.Boolean, {"type": "boolean"}),
    (fields.Integer, {"type": "integer"}),
    (fields.Float, {"type": "number"}),
    (fields.DateTime, {"type": "string", "format": "date-time"}),
    (fields.Date, {"type": "string", "format": "date"}),
    (fields.Time, {"type": "string", "format": "time"}),
    (fields.TimeDelta, {"type": "number"}),
]


def schema_to_jsonschema(schema: Schema, *, title: str = "") -> dict:
    """The JSON Schema of what ``schema.load`` accepts, with the dialect and an optional title."""
    out = {"$schema": DIALECT, **_object(schema)}
    if title:
        out["title"] = title
    return out


def _object(schema: Schema) -> dict:
    properties, required = {}, []
    for name, field in schema.fields.items():
        if field.dump_only:
            continue
        key = field.data_key or name
        properties[key] = field_to_jsonschema(field)
        if field.required:
            required.append(key)
    out: dict[str, Any] = {"type": "object", "properties": properties}
    if required:
        out["required"] = required
    if schema.unknown == RAISE:
        out["additionalProperties"] = False
    return out


def field_to_jsonschema(field: fields.Field) -> dict:
    """One field: its type, constraints, default and description."""
    out = _type_of(field)
    for validator in _validators(field):
        out.update(_constraint(validator, out))
    default = _default(field)
    if default is not missing:
        out["default"] = default
    help_text = field.metadata.get("help") or field.metadata.get("description")
    if help_text:
        out["description"] = str(help_text)
    if field.metadata.get("title"):
        out["title"] = str(field.metadata["title"])
    if field.allow_none:
        out = _nullable(out)
    return out


def _type_of(field: fields.Field) -> dict:
    if isinstance(field, fields.Decimal):
        return {"anyOf": [{"type": "number"}, {"type": "string", "pattern": DECIMAL_PATTERN}]}
    if isinstance(field, fields.Nested):
        nested = field.schema
        inner = _object(nested)
        return {"type": "array", "items": inner} if field.many else inner
    if isinstance(field, fields.List):
        return {"type": "array", "items": field_to_jsonschema(field.inner)}
    if isinstance(field, fields.Tuple):
        items = [field_to_jsonschema(f) for f in field.tuple_fields]
        return {"type": "array", "prefixItems": items, "minItems": len(items), "maxItems": len(items)}
    if isinstance(field, fields.Dict):
        out: dict[str, Any] = {"type": "object"}
        if field.value_field is not None:
            out["additionalProperties"] = field_to_jsonschema(field.value_field)
        if field.key_field is not None:
            out["propertyNames"] = _type_of(field.key_field)
        return out
    if isinstance(field, fields.Constant):
        return {"const": to_json_safe(field.constant)}
    if isinstance(field, fields.Enum):
        return {"enum": [to_json_safe(m.value if field.by_value else m.name) for m in field.enum]}
    for cls, schema in _SIMPLE:
        if isinstance(field, cls):
            return dict(schema)
    return {}  # Raw and unknown custom fields: any JSON value


def _validators(field: fields.Field) -> list:
    return [v for v in field.validators if isinstance(v, validate.Validator)]


def _constraint(validator: validate.Validator, typed: dict) -> dict:
    kind = typed.get("type")
    if isinstance(validator, validate.OneOf):
        return {"enum": [to_json_safe(choice) for choice in validator.choices]}
    if isinstance(validator, validate.Range):
        out = {}
        if validator.min is not None:
            out["minimum" if validator.min_inclusive else "exclusiveMinimum"] = to_json_safe(validator.min)
        if validator.max is not None:
            out["maximum" if validator.max_inclusive else "exclusiveMaximum"] = to_json_safe(validator.max)
        return out
    if isinstance(validator, validate.Length):
        low, high = ("minItems", "maxItems") if kind == "array" else (
            ("minProperties", "maxProperties") if kind == "object" else ("minLength", "maxLength")
        )
        if validator.equal is not None:
            return {low: validator.equal, high: validator.equal}
        out = {}
        if validator.min is not None:
            out[low] = validator.min
        if validator.max is not None:
            out[high] = validator.max
        return out
    if isinstance(validator, validate.Regexp):
        return {"pattern": validator.regex.pattern}
    if isinstance(validator, validate.Equal):
        return {"const": to_json_safe(validator.comparable)}
    return {}


def _default(field: fields.Field):
    value = field.load_default
    if value is missing:
        return missing
    if callable(value):
        value = value()
    if value is None:
        return None
    try:
        return to_json_safe(field._serialize(value, None, None))
    except (TypeError, ValueError, AttributeError):
        return to_json_safe(value)


def _nullable(out: dict) -> dict:
    kind = out.get("type")
    if isinstance(kind, str):
        out = {**out, "type": [kind, "null"]}
        if "enum" in out and None not in out["enum"]:
            out["enum"] = [*out["enum"], None]
        return out
    return {"anyOf": [out, {"type": "null"}]}
