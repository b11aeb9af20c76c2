"""The one input check: arguments validated by the type's schema, built over defaults, stored as JSON."""

import datetime as dt
import decimal
import json
import uuid
import zoneinfo

import pytest

from jobs.arguments import arguments_validate, default_args_clean, to_json_safe
from jobs.exceptions import ArgumentsInvalid, JobTypeUnavailable
from jobs.models import Run
from jobs.runs.services import run_create
from tests.factories import JobFactory

Status = Run.Status


def test_to_json_safe_turns_datetimes_decimals_and_containers_into_json():
    paris = zoneinfo.ZoneInfo("Europe/Paris")
    value = {
        "naive": dt.datetime(2026, 1, 2, 3, 4, 5),
        "aware": dt.datetime(2026, 7, 1, 12, 0, tzinfo=paris),
        "day": dt.date(2026, 1, 2),
        "at": dt.time(3, 4),
        "amount": decimal.Decimal("1.50"),
        "id": uuid.UUID(int=1),
        "nested": [(1, 2), {3}, {"x": decimal.Decimal("0.1")}],
        7: None,
    }
    safe = to_json_safe(value)
    assert safe == {
        "naive": "2026-01-02T03:04:05+00:00",
        "aware": "2026-07-01T12:00:00+02:00",
        "day": "2026-01-02",
        "at": "03:04:00",
        "amount": "1.50",
        "id": "00000000-0000-0000-0000-000000000001",
        "nested": [[1, 2], [3], {"x": "0.1"}],
        "7": None,
    }
    assert json.loads(json.dumps(safe)) == safe


@pytest.mark.django_db
def test_run_arguments_merge_over_defaults_and_are_validated():
    job = JobFactory(task_type="test_echo", default_args={"message": "default", "lines": 5})
    assert run_create(job=job, args={"lines": "1"}).args == {"message": "default", "lines": 1}
    assert run_create(job=job).args == {"message": "default", "lines": 5}
    bare = JobFactory(task_type="test_echo")
    assert run_create(job=bare).args == {"message": "hello", "lines": 3}  # schema load_default
    with pytest.raises(ArgumentsInvalid) as info:
        run_create(job=job, args={"lines": "x", "colour": "red"})
    assert info.value.messages == {"lines": ["Not a valid integer."], "colour": ["Unknown field."]}
    assert str(info.value) == "lines: Not a valid integer.; colour: Unknown field."
    assert Run.objects.count() == 3


@pytest.mark.django_db
def test_run_arguments_are_stored_json_safe():
    job = JobFactory(task_type="test_fields")
    run = run_create(
        job=job, args={"text": "t", "amount": "1.5", "when": "2026-01-02T03:04:05+01:00", "day": "2026-01-02"}
    )
    run.refresh_from_db()
    assert run.args["amount"] == "1.50"
    assert run.args["when"] == "2026-01-02T03:04:05+01:00"
    assert run.args["day"] == "2026-01-02"
    assert run.args["tags"] == [] and run.args["extra"] == {}


@pytest.mark.django_db
def test_arguments_validate_rejects_non_objects_and_unknown_types():
    with pytest.raises(ArgumentsInvalid) as info:
        arguments_validate(task_type="test_echo", data=["lines", 1])
    assert info.value.messages == {"_schema": ["Arguments must be a JSON object."]}
    with pytest.raises(JobTypeUnavailable):
        arguments_validate(task_type="nope", data={})
    with pytest.raises(JobTypeUnavailable):
        run_create(job=JobFactory(task_type="nope"))


@pytest.mark.django_db
def test_default_args_keep_only_given_keys_in_json_form():
    assert default_args_clean(task_type="test_echo", data={"lines": "4"}) == {"lines": 4}
    cleaned = default_args_clean(task_type="test_fields", data={"text": "x", "when": "2026-01-02T03:04:05Z"})
    assert cleaned == {"text": "x", "when": "2026-01-02T03:04:05+00:00"}
