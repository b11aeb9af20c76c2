"""Amounts and progress for people: sizes in MB, records read, rate, time left (``jobs/units.py``)."""

import datetime as dt

import pytest
from django.utils import timezone

from jobs.models import Run
from jobs.units import amount_text, done_of_total_text, progress_text, rate_text, run_progress_text, size_text
from tests.factories import JobFactory, RunFactory


@pytest.mark.parametrize(
    ("n", "text"),
    [(0, "0 B"), (850, "850 B"), (12_400, "12.4 kB"), (8_726_753, "8.7 MB"), (26_213_721, "26.2 MB"), (1_250_000_000, "1.25 GB")],
)
def test_sizes_read_in_decimal_units(n, text):
    assert size_text(n) == text


def test_amounts_and_rates_name_their_unit():
    assert amount_text(15_000) == "15,000 records"
    assert amount_text(8_726_753, "bytes") == "8.7 MB"
    assert done_of_total_text(15_000, 60_000) == "15,000 of 60,000 records"
    assert done_of_total_text(8_726_753, 26_213_721, "bytes") == "8.7 MB of 26.2 MB"
    assert done_of_total_text(0, None) == ""
    assert rate_text(12_000_000, 10, "bytes") == "1.2 MB/s"
    assert rate_text(3500, 10) == "350 records/s"
    assert rate_text(5, 0) == ""


def test_an_active_byte_progress_shows_records_read_rate_and_time_left():
    text = progress_text(
        8_726_753, 26_213_721, unit="bytes", elapsed=10.0, active=True, counters={"created": 17, "unchanged": 3, "x": 9}
    )
    assert text == "8.7 MB of 26.2 MB (33.3%) · 20 records read · 872.7 kB/s · about 20.0 s left"


def test_an_ended_run_shows_its_average_rate_and_no_time_left():
    assert progress_text(60_000, 60_000, elapsed=30.0, active=False) == "60,000 of 60,000 records (100.0%) · 2,000 records/s"


@pytest.mark.django_db
def test_a_run_is_shown_in_its_job_types_unit():
    now = timezone.now()
    job = JobFactory(task_type="test_echo")
    run = RunFactory(
        job=job, status=Run.Status.RUNNING, started_at=now - dt.timedelta(seconds=20), progress_done=15_000,
        progress_total=60_000,
    )
    assert run_progress_text(run, now=now) == "15,000 of 60,000 records (25.0%) · 750 records/s · about 1 min 00 s left"
