"""Two real beat processes against one database: one run per tick, no tick lost."""

import datetime as dt
import time

import pytest
from django.utils import timezone

from jobs.models import Run
from jobs.scheduling.store import schedule_set
from tests.conftest import wait_for
from tests.factories import JobFactory
from tests.jobs.scheduling.beatproc import Beat

worker_db = pytest.mark.django_db(transaction=True)


@pytest.mark.slow
@pytest.mark.worker
@worker_db
def test_two_beats_make_exactly_one_run_per_tick(celery_worker, tmp_path):
    job = JobFactory(task_type="test_echo", default_args={"lines": 1}, overlap_policy="allow")
    schedule_set(job=job, every="2s")
    beats = [Beat(tmp_path, "beat-a"), Beat(tmp_path, "beat-b")]
    both_started = timezone.now()  # on a loaded machine beat-b starts seconds after beat-a
    try:
        time.sleep(32)
    finally:
        for beat in beats:
            beat.stop()
    wait_for(lambda: not Run.objects.filter(job=job).active().exists(), timeout=30, message="runs to finish")

    due = list(Run.objects.filter(job=job).order_by("due_at").values_list("due_at", flat=True))
    assert len(due) == len(set(due)), "a tick has two runs"
    assert len(due) >= 14
    gaps = {later - earlier for earlier, later in zip(due, due[1:], strict=False)}
    assert gaps == {dt.timedelta(seconds=2)}, f"ticks lost: {sorted(gaps)}"
    assert all(d.microsecond == 0 and d.second % 2 == 0 for d in due)
    # Both beats really sent (nearly) every tick due while both ran: the duplicates were refused, not avoided.
    while_both = [d for d in due if d >= both_started]
    assert len(while_both) >= 12
    assert min(beat.sent() for beat in beats) >= len(while_both) - 2
    statuses = set(Run.objects.filter(job=job).values_list("status", flat=True))
    assert statuses == {Run.Status.SUCCESS}
    assert set(Run.objects.filter(job=job).values_list("trigger", flat=True)) == {Run.Trigger.SCHEDULE}
