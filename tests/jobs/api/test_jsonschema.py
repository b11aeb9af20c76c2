"""The JSON Schema of job arguments: generated from marshmallow, checked with the jsonschema package."""

import datetime as dt

import jsonschema
import pytest
from marshmallow import Schema, ValidationError, fields, validate

from jobs.api.jsonschema import schema_to_jsonschema
from jobs.registry import registry

CHECKER = jsonschema.Draft202012Validator.FORMAT_CHECKER


def validator(schema):
    out = schema_to_jsonschema(schema)
    jsonschema.Draft202012Validator.check_schema(out)
    return jsonschema.Draft202012Validator(out, format_checker=CHECKER)


def defaults_of(schema: Schema) -> dict:
    """The arguments a run gets when none are given: the schema's own defaults, dumped to JSON."""
    loaded = schema.load({}) if not any(f.required for f in schema.fields.values()) else None
    return {} if loaded is None else {k: v for k, v in schema.dump(loaded).items() if k in loaded}


# Values each marshmallow field type rejects; the JSON Schema must reject them too.
BAD_BY_FIELD = {
    fields.Integer: ["x", "1.5x", [1], {"a": 1}],  # 1.5 is taken (truncated) by marshmallow
    fields.Float: ["x", [1.0]],
    fields.Boolean: ["maybe", [True], {"a": 1}],
    fields.DateTime: ["not a date", 12, "2026-13-01T00:00:00+00:00"],
    fields.Date: ["2026-02-30", "x", 5],
    fields.Email: ["no-at-sign", 3],
    fields.URL: ["not a url", 3],
    fields.String: [12, [1], {"a": 1}],
    fields.List: ["abc", 3, {"a": 1}],
    fields.Dict: ["abc", 3, [1]],
}


def bad_values(field):
    for cls, values in BAD_BY_FIELD.items():
        if isinstance(field, cls):
            return values
    return []


@pytest.mark.parametrize("type_id", sorted(registry.types))
def test_builtin_types_validate_their_defaults_and_reject_what_marshmallow_rejects(type_id):
    schema = registry.get(type_id).schema()
    check = validator(schema)
    defaults = defaults_of(schema)
    if all(not f.required for f in schema.fields.values()):
        check.validate(defaults)
    base = {name: "x" for name, f in schema.fields.items() if f.required}
    base.update(defaults)
    assert not check.is_valid({**base, "no_such_argument": 1})
    with pytest.raises(ValidationError):
        schema.load({**base, "no_such_argument": 1})
    for name, field in schema.fields.items():
        for value in bad_values(field):
            with pytest.raises(ValidationError):
                schema.load({**base, name: value})
            assert not check.is_valid({**base, name: value}), (name, value)


def test_every_field_kind_is_mapped():
    out = schema_to_jsonschema(registry.get("test_fields").schema(), title="All")
    props = out["properties"]
    assert out["title"] == "All" and out["required"] == ["text"] and out["additionalProperties"] is False
    assert props["count"] == {"type": "integer", "default": 1}
    assert props["ratio"] == {"type": "number", "default": 0.5}
    assert props["flag"] == {"type": "boolean", "default": False}
    assert props["when"]["format"] == "date-time" and props["day"]["format"] == "date"
    assert props["email"]["format"] == "email" and props["url"]["format"] == "uri"
    assert props["mode"] == {"type": "string", "enum": ["fast", "slow"], "default": "fast"}
    assert props["tags"] == {"type": "array", "items": {"type": "string"}, "default": []}
    assert props["extra"] == {"type": "object", "default": {}} and props["raw"] == {}
    check = validator(registry.get("test_fields").schema())
    assert check.is_valid({"text": "t", "amount": "12.50", "when": "2026-01-01T00:00:00Z", "day": "2026-01-02"})
    assert not check.is_valid({"text": "t", "amount": "twelve"})
    assert not check.is_valid({"text": "t", "mode": "medium"})
    assert not check.is_valid({"count": 1})


def test_constraints_nesting_and_nulls():
    class Inner(Schema):
        code = fields.String(required=True, validate=validate.Regexp(r"^[A-Z]{3}$"))

    class Outer(Schema):
        level = fields.Integer(validate=validate.Range(min=1, max=5, max_inclusive=False), metadata={"help": "How much."})
        name = fields.String(validate=validate.Length(min=2, max=4))
        items = fields.List(fields.Integer(), validate=validate.Length(max=2))
        inner = fields.Nested(Inner)
        many = fields.Nested(Inner, many=True)
        maybe = fields.Date(allow_none=True, load_default=dt.date(2026, 1, 2))
        pick = fields.String(allow_none=True, validate=validate.OneOf(["a", "b"]))

    out = schema_to_jsonschema(Outer())
    props = out["properties"]
    assert props["level"] == {"type": "integer", "minimum": 1, "exclusiveMaximum": 5, "description": "How much."}
    assert props["name"] == {"type": "string", "minLength": 2, "maxLength": 4}
    assert props["items"]["maxItems"] == 2
    assert props["maybe"] == {"type": ["string", "null"], "format": "date", "default": "2026-01-02"}
    assert props["pick"]["enum"] == ["a", "b", None]
    check = validator(Outer())
    good = {"level": 4, "name": "abc", "items": [1], "inner": {"code": "ABC"}, "many": [{"code": "XYZ"}], "maybe": None}
    assert check.is_valid(good)
    Outer().load(good)
    for bad in ({"level": 5}, {"name": "a"}, {"items": [1, 2, 3]}, {"inner": {"code": "abc"}}, {"many": [{}]},
                {"pick": "c"}):
        assert not check.is_valid(bad), bad
        with pytest.raises(ValidationError):
            Outer().load(bad)
