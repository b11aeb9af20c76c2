"""The jobs file, purely: parse with every problem reported, dump and read back, plan field by field."""

import pytest

from jobs.jobsfile import JobsFileInvalid, every_text, jobsfile_dump, jobsfile_parse, plan_lines, plan_make

FILE = """
version = 1

[jobs.nightly]
title = "Nightly import"
type = "test_echo"
defaults = { lines = 3, message = "hi" }
schedule = { cron = "0 3 * * *", timezone = "Europe/Zurich" }
run_control = { max_retries = 2, slow_factor = 3 }
notifications = { emails = ["ops@example.org"], on = ["failed"] }

[jobs.hourly]
title = "Hourly"
type = "test_echo"
active = false
schedule = { every = "1h", every_from = 2026-01-01T00:15:00Z }

[jobs.once]
title = "Once"
type = "test_echo"
schedule = { at = 2030-06-01T03:00:00+02:00 }
"""


def test_parse_fills_model_defaults_and_normalises_schedules():
    states = jobsfile_parse(FILE)
    nightly = states["nightly"]
    assert nightly["defaults"] == {"lines": 3, "message": "hi"}
    assert nightly["schedule"] == {"cron": "0 3 * * *", "timezone": "Europe/Zurich"}
    assert nightly["run_control"]["max_retries"] == 2 and nightly["run_control"]["slow_factor"] == 3.0
    assert nightly["run_control"]["missed_grace_seconds"] == 300 and nightly["run_control"]["time_limit"] is None
    assert nightly["active"] is True and nightly["notifications"] == {"emails": ["ops@example.org"], "on": ["failed"]}
    assert states["hourly"]["schedule"] == {"every": 3600, "every_from": "2026-01-01T00:15:00+00:00"}
    assert states["once"]["schedule"] == {"at": "2030-06-01T01:00:00+00:00"}


def test_dump_reads_back_unchanged():
    states = jobsfile_parse(FILE)
    assert jobsfile_parse(jobsfile_dump(states)) == states


def test_every_problem_is_reported_at_once():
    text = """
version = 1
[jobs.a]
title = "A"
type = "test_echo"
colour = "red"
schedule = { cron = "99 3 * * *" }
run_control = { max_retries = "two" }

[jobs.b]
type = "test_echo"
schedule = { every = "1h", at = 2030-01-01T00:00:00Z }

[jobs."bad key!"]
title = "C"
type = "test_echo"
"""
    with pytest.raises(JobsFileInvalid) as invalid:
        jobsfile_parse(text)
    errors = "\n".join(invalid.value.errors)
    assert "jobs.a: unknown keys colour" in errors
    assert "jobs.a.schedule: crontab '99 3 * * *' is not valid" in errors
    assert "jobs.a.run_control.max_retries: expected int, got str" in errors
    assert "jobs.b.title: required" in errors and "jobs.b.schedule: give exactly one of cron, every or at" in errors
    assert "jobs.bad key!: a key is" in errors


@pytest.mark.parametrize("text", ["not toml = = 1", "version = 2\n", "jobs = 3\n"])
def test_malformed_files_are_refused(text):
    with pytest.raises(JobsFileInvalid):
        jobsfile_parse(text)


def test_plan_creates_changes_and_deletes_field_by_field():
    desired = jobsfile_parse(FILE)
    current = {key: dict(state) for key, state in jobsfile_parse(FILE).items() if key != "once"}
    current["hourly"] = {**current["hourly"], "active": True}
    current["old"] = {**desired["once"], "title": "Old"}
    plan = plan_make(current, desired)
    assert [(c.action, c.key) for c in plan.changes] == [("change", "hourly"), ("create", "once")]
    assert plan.changes[0].fields == [("active", True, False)]
    assert plan.kept == ["old"]
    lines = plan_lines(plan)
    assert "~ change jobs.hourly (Hourly)" in lines and "    ~ active: True -> False" in lines
    assert "+ create jobs.once (Once)" in lines and "    + schedule.at = '2030-06-01T01:00:00+00:00'" in lines
    assert lines[-1] == "Plan: 1 to create, 1 to change, 0 to delete."
    pruned = plan_make(current, desired, prune=True)
    assert [(c.action, c.key) for c in pruned.changes][-1] == ("delete", "old") and pruned.kept == []


def test_no_changes_says_so():
    states = jobsfile_parse(FILE)
    assert plan_lines(plan_make(states, states)) == ["No changes: the database matches the file."]


@pytest.mark.parametrize(("seconds", "text"), [(86400, "1d"), (5400, "90m"), (3600, "1h"), (90, "90s")])
def test_every_text(seconds, text):
    assert every_text(seconds) == text
