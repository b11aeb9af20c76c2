"""Forms generated from marshmallow schemas: field kinds, conversion to JSON, errors on fields."""

import datetime as dt
import decimal

import pytest
from django import forms

from jobs.admin.forms import ARG_PREFIX, AnyJSONField, StringListField, job_form_class, run_now_form_class
from tests.factories import JobFactory

pytestmark = pytest.mark.django_db

A = ARG_PREFIX

JOB_BASE = {
    "title": "All fields",
    "task_type": "test_fields",
    "description": "",
    "active": "on",
    "queue": "",
    "overlap_policy": "skip",
    "missed_grace_seconds": "300",
    "max_retries": "0",
    "retry_backoff_seconds": "60",
    "notify_emails": "",
}


def job_form(data):
    form_class = job_form_class("test_fields", adding=True)
    return form_class(data={**JOB_BASE, **data})


def test_every_schema_field_gets_a_matching_form_field():
    fields = job_form_class("test_fields", adding=True).base_fields
    expected = {
        "text": forms.CharField,
        "count": forms.IntegerField,
        "ratio": forms.FloatField,
        "amount": forms.DecimalField,
        "flag": forms.BooleanField,
        "when": forms.DateTimeField,
        "day": forms.DateField,
        "email": forms.EmailField,
        "url": forms.CharField,
        "mode": forms.TypedChoiceField,
        "tags": StringListField,
        "extra": AnyJSONField,
        "raw": AnyJSONField,
    }
    for name, kind in expected.items():
        assert isinstance(fields[A + name], kind), name
    assert fields[A + "mode"].choices == [("", "---------"), ("fast", "fast"), ("slow", "slow")]
    assert fields[A + "url"].widget.input_type == "url"
    assert fields[A + "text"].required is True
    assert fields[A + "amount"].required is False
    assert fields[A + "count"].initial == 1
    assert fields[A + "mode"].initial == "fast"


def test_valid_values_become_json_defaults():
    form = job_form(
        {
            A + "text": "hello",
            A + "count": "7",
            A + "ratio": "0.25",
            A + "amount": "12.50",
            A + "flag": "on",
            A + "when": "2024-01-31T12:00:00+00:00",
            A + "day": "2024-02-01",
            A + "email": "a@example.org",
            A + "url": "https://example.org/x",
            A + "mode": "slow",
            A + "tags": "one\n two \n\nthree",
            A + "extra": '{"a": [1, 2]}',
            A + "raw": "[1, \"x\"]",
        }
    )
    assert form.is_valid(), form.errors
    args = form.default_args
    assert args["text"] == "hello"
    assert args["count"] == 7
    assert args["ratio"] == 0.25
    assert decimal.Decimal(args["amount"]) == decimal.Decimal("12.50")
    assert args["flag"] is True
    assert dt.datetime.fromisoformat(args["when"]) == dt.datetime(2024, 1, 31, 12, tzinfo=dt.UTC)
    assert args["day"] == "2024-02-01"
    assert args["email"] == "a@example.org"
    assert args["url"] == "https://example.org/x"
    assert args["mode"] == "slow"
    assert args["tags"] == ["one", "two", "three"]
    assert args["extra"] == {"a": [1, 2]}
    assert args["raw"] == [1, "x"]


def test_empty_optional_fields_are_left_to_schema_defaults():
    form = job_form({A + "text": "only this"})
    assert form.is_valid(), form.errors
    assert "amount" not in form.default_args
    assert "when" not in form.default_args
    assert form.default_args["text"] == "only this"


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("count", "seven"),
        ("ratio", "x"),
        ("amount", "1.234"),
        ("when", "not a date"),
        ("day", "2024-13-45"),
        ("email", "not-an-email"),
        ("mode", "medium"),
        ("extra", "{broken"),
    ],
)
def test_bad_values_are_errors_on_their_field(field, value):
    form = job_form({A + "text": "x", A + field: value})
    assert not form.is_valid()
    assert A + field in form.errors, form.errors


def test_schema_errors_land_on_their_field():
    # A URL without scheme passes the browser's field but not marshmallow's URL validator.
    form = job_form({A + "text": "x", A + "url": "not a url"})
    assert not form.is_valid()
    assert A + "url" in form.errors
    # Dict accepts only an object: a JSON list is a schema error on that field.
    form = job_form({A + "text": "x", A + "extra": "[1, 2]"})
    assert not form.is_valid()
    assert list(form.errors) == [A + "extra"]
    assert "dict" in form.errors[A + "extra"][0].lower() or "mapping" in form.errors[A + "extra"][0].lower()


def test_required_schema_field_is_required():
    form = job_form({})
    assert not form.is_valid()
    assert A + "text" in form.errors


def test_range_validator_becomes_bounds():
    form_class = job_form_class("test_echo", adding=True)
    assert form_class.base_fields[A + "lines"].max_value == 1_000_000
    form = form_class(data={**JOB_BASE, "task_type": "test_echo", A + "lines": "-1"})
    assert not form.is_valid()
    assert A + "lines" in form.errors


def test_run_form_is_prefilled_with_job_defaults():
    job = JobFactory(task_type="test_fields", default_args={"text": "stored", "tags": ["a", "b"], "count": 4})
    form = run_now_form_class(job)()
    assert form.fields[A + "text"].initial == "stored"
    assert form.fields[A + "count"].initial == 4
    assert "a\nb" in str(form[A + "tags"])
    assert list(form.fields)[-1] == "override"


def test_run_form_builds_arguments_over_defaults():
    job = JobFactory(task_type="test_echo", default_args={"message": "default", "lines": 2})
    form = run_now_form_class(job)(data={A + "message": "typed", A + "lines": ""})
    assert form.is_valid(), form.errors
    assert form.build() == {"message": "typed", "lines": 2}


def test_json_override_replaces_the_fields():
    job = JobFactory(task_type="test_echo", default_args={"message": "default"})
    form = run_now_form_class(job)(data={A + "message": "typed", "override": '{"lines": 5}'})
    assert form.is_valid(), form.errors
    assert form.run_arguments() == {"lines": 5}
    assert form.build() == {"message": "default", "lines": 5}


@pytest.mark.parametrize(
    ("override", "expected"),
    [
        ('{"lines": "many"}', "lines"),
        ('{"lines": -3}', "lines"),
        ('{"unknown": 1}', "unknown"),
    ],
)
def test_json_override_rejects_what_the_schema_rejects(override, expected):
    job = JobFactory(task_type="test_echo")
    form = run_now_form_class(job)(data={"override": override})
    assert form.is_valid(), form.errors
    assert form.build() is None
    assert expected in " ".join(form.errors["override"])


def test_json_override_must_be_an_object():
    job = JobFactory(task_type="test_echo")
    form = run_now_form_class(job)(data={"override": "[1, 2]"})
    assert not form.is_valid()
    assert "JSON object" in form.errors["override"][0]


def test_run_form_field_errors_land_on_the_field():
    job = JobFactory(task_type="test_fields", default_args={"text": "x"})
    form = run_now_form_class(job)(data={A + "url": "nope"})
    assert form.is_valid(), form.errors
    assert form.build() is None
    assert A + "url" in form.errors


@pytest.mark.parametrize("key", ["help", "description", "help_text"])
def test_schema_help_text_is_shown_on_the_field(key):
    from marshmallow import fields as mf

    from jobs.admin.forms import form_field

    field = form_field("keep_days", mf.Integer(metadata={key: "Keep runs newer than this many days."}), required=False)
    assert field.help_text == "Keep runs newer than this many days."


def test_builtin_job_types_show_their_argument_help():
    fields = job_form_class("purge_runs", adding=True).base_fields
    assert fields[A + "keep_days"].help_text == "Keep runs newer than this many days."
    assert fields[A + "keep_last"].help_text == "Always keep each job's newest K runs."


def test_datetime_help_keeps_the_format_hint():
    from marshmallow import fields as mf

    from jobs.admin.forms import form_field

    field = form_field("since", mf.AwareDateTime(metadata={"help": "Records updated at or after this time."}), required=False)
    assert field.help_text == "Records updated at or after this time. ISO 8601, e.g. 2024-01-31T12:00:00+00:00"


@pytest.mark.parametrize(
    ("data", "field", "message"),
    [
        ({"soft_time_limit": "100", "time_limit": "50"}, "soft_time_limit", "Must be less than the time limit (50 s)."),
        ({"soft_time_limit": "50", "time_limit": "50"}, "soft_time_limit", "Must be less than the time limit (50 s)."),
        ({"notify_emails": "ops@example.org, not an email"}, "notify_emails", "Not an e-mail address: not, an, email."),
        ({"notify_emails": "ops@example.org\nnobody@"}, "notify_emails", "Not an e-mail address: nobody@."),
        ({"slow_factor": "-2"}, "slow_factor", "Enter a factor above 1"),
    ],
)
def test_run_control_nonsense_is_refused_on_its_field(data, field, message):
    form = job_form({A + "text": "x", **data})
    assert not form.is_valid()
    assert message in " ".join(form.errors[field])


def test_run_control_sensible_values_pass():
    form = job_form({
        A + "text": "x", "soft_time_limit": "50", "time_limit": "60", "slow_factor": "3",
        "notify_emails": "ops@example.org; dev@example.org\nlead@example.org",
    })
    assert form.is_valid(), form.errors
