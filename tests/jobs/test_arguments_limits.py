"""Bad input is a clear error in every entry point: limits on depth, size, NUL and dates, and schedules."""

import io
import json

import pytest
from django.core.management import CommandError, call_command

from jobs.arguments import ArgumentsJSONDecoder, arguments_validate
from jobs.exceptions import ArgumentsInvalid, ScheduleInvalid
from jobs.models import Run
from jobs.scheduling.store import parse_at, parse_cron, parse_every
from tests.factories import JobFactory

DEEP = "[" * 1000 + "]" * 1000


def _deep_dict(levels: int) -> dict:
    value: dict = {}
    for _ in range(levels):
        value = {"a": value}
    return value


@pytest.mark.parametrize(
    ("data", "field", "says"),
    [
        ({"extra": _deep_dict(1000)}, "extra", "levels deep"),
        ({"text": "nul\x00byte"}, "text", "NUL"),
        ({"text": "x" * 2_000_000}, "_schema", "at most 65536"),
        ({"text": "t", "when": "0001-01-01T00:00:00+00:00"}, "when", "between the years 1000 and 2999"),
        ({"text": "t", "day": "9999-12-31"}, "day", "between the years 1000 and 2999"),
    ],
    ids=["deep", "nul", "huge", "year-1", "year-9999"],
)
def test_arguments_past_the_limits_are_field_errors(data, field, says):
    with pytest.raises(ArgumentsInvalid) as info:
        arguments_validate(task_type="test_fields", data=data)
    assert says in " ".join(info.value.messages[field])


def test_json_too_deep_for_python_is_a_decoding_error():
    with pytest.raises(json.JSONDecodeError, match="nested too deeply"):
        json.loads(DEEP, cls=ArgumentsJSONDecoder)


@pytest.mark.parametrize(
    ("call", "text", "says"),
    [
        (lambda t: parse_cron(t), "0,1,2,3,4,5,6,7,8,9," * 13 + "10 * * * *", "longer than 240"),
        (lambda t: parse_every(t), "3000000d", "longer than 366 days"),
        (lambda t: parse_every(t), "9" * 5000 + "s", "not a positive number"),
        (lambda t: parse_cron("0 3 * * *", t), "Europe/" + "x" * 10_000, "longer than 63"),
        (lambda t: parse_at(t), "9999-12-31T23:59:59-05:00", "after the year 2999"),
    ],
    ids=["cron-240", "every-huge", "every-digits", "tz-10kb", "at-9999"],
)
def test_schedules_past_the_limits_are_clear_errors(call, text, says):
    with pytest.raises(ScheduleInvalid, match=says):
        call(text)


def _jobs(*args, stdin=None):
    out, err = io.StringIO(), io.StringIO()
    call_command("jobs", *args, stdout=out, stderr=err, **({"stdin": stdin} if stdin else {}))
    return out.getvalue()


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("json_text", "says"),
    [(DEEP, "nested too deeply"), ('{"text": "a\\u0000b"}', "NUL"), ('{"text": "t", "when": "0001-01-01T00:00Z"}', "1000")],
    ids=["deep", "nul", "year-1"],
)
def test_the_cli_exits_2_with_the_message(json_text, says):
    job = JobFactory(task_type="test_fields")
    with pytest.raises(CommandError, match=says) as info:
        _jobs("run", str(job.pk), "--json", json_text)
    assert info.value.returncode == 2 and not Run.objects.exists()


@pytest.mark.django_db
def test_the_cli_reads_json_from_a_file_or_stdin(tmp_path, monkeypatch):
    job = JobFactory(task_type="test_fields")
    path = tmp_path / "args.json"
    path.write_text('{"text": "from a file"}')
    _jobs("run", str(job.pk), "--json", f"@{path}")
    monkeypatch.setattr("sys.stdin", io.StringIO('{"text": "from stdin"}'))
    _jobs("run", str(job.pk), "--json", "-")
    assert sorted(Run.objects.values_list("args__text", flat=True)) == ["from a file", "from stdin"]
    with pytest.raises(CommandError, match="Cannot read") as info:
        _jobs("run", str(job.pk), "--json", f"@{tmp_path / 'missing.json'}")
    assert info.value.returncode == 2
