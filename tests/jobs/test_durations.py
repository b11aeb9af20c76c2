"""``jobs.durations.duration_text``: the one duration format of the admin, the CLI and the e-mails."""

import datetime as dt

import pytest
from django.core import mail
from django.utils import timezone

from jobs.admin.views import run_state
from jobs.cli.follow import run_summary
from jobs.cli.tables import RUN_COLUMNS
from jobs.durations import duration_text
from jobs.runs.notifications import slow_notify
from tests.factories import JobFactory, RunFactory


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (dt.timedelta(milliseconds=25), "25 ms"),
        (0.0004, "0 ms"),
        (dt.timedelta(seconds=1), "1.0 s"),
        (12.34, "12.3 s"),
        (dt.timedelta(seconds=59.94), "59.9 s"),
        (dt.timedelta(minutes=4, seconds=5), "4 min 05 s"),
        (dt.timedelta(minutes=59, seconds=59.9), "59 min 59 s"),
        (dt.timedelta(hours=2, minutes=3, seconds=40), "2 h 03 min"),
        (dt.timedelta(days=1, minutes=1), "24 h 01 min"),
    ],
)
def test_duration_text_reads_as_people_write_it(value, text):
    assert duration_text(value) == text


def test_no_duration_is_a_dash_or_what_the_caller_asks_for():
    assert duration_text(None) == "-"
    assert duration_text(None, empty="") == ""


@pytest.mark.django_db
def test_admin_cli_and_mail_write_a_run_duration_the_same_way():
    start = timezone.now() - dt.timedelta(hours=1)
    job = JobFactory(notify_emails="ops@example.org", slow_factor=2.0)
    RunFactory(job=job, status="success", started_at=start, finished_at=start + dt.timedelta(seconds=30))
    run = RunFactory(job=job, status="success", started_at=start, finished_at=start + dt.timedelta(minutes=4, seconds=5))
    duration_column = next(column for column in RUN_COLUMNS if column.header == "Duration")
    assert duration_column.value(run) == "4 min 05 s"
    assert run_state(run)["duration_text"] == "4 min 05 s"
    assert f"run {run.pk} success in 4 min 05 s" == run_summary(run)
    assert slow_notify(run=run)
    assert "took 4 min 05 s, more than 2 x the median of the last 10 successes (1 min 00 s)." in mail.outbox[0].body
