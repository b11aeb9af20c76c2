"""The log writer process's protocol: frames in, rows stored in order, one report line out."""

import io
import logging
import subprocess
import sys
import time

import pytest
from django.db import connection

from jobs.logs.pipe import frame, serve
from jobs.models import Run, RunLog
from tests.factories import RunFactory


def _connect():
    params = connection.get_connection_params()
    return {k: v for k, v in params.items() if isinstance(v, (str, int, float))}


def _rows(n, start=0):
    return [(time.time(), logging.INFO, "tests.logpipe", f"line {i}") for i in range(start, start + n)]


@pytest.mark.django_db(transaction=True)
def test_serve_stores_every_batch_in_order_and_reports_the_count():
    run = RunFactory(status=Run.Status.RUNNING)
    stdin = io.BytesIO(frame({"connect": _connect(), "run_id": run.pk}) + frame((1, _rows(3))) + frame((4, _rows(2, 3))))
    stdout = io.StringIO()
    assert serve(stdin, stdout) == 0
    assert stdout.getvalue() == "ok 5\n"
    lines = RunLog.objects.filter(run=run).order_by("seq")
    assert list(lines.values_list("seq", "message")) == [(i + 1, f"line {i}") for i in range(5)]


@pytest.mark.django_db(transaction=True)
def test_serve_reports_a_refused_batch_with_the_count_stored_before_it():
    run = RunFactory(status=Run.Status.RUNNING)
    bad = [(time.time(), "not a level", "tests.logpipe", "x")]
    stdin = io.BytesIO(frame({"connect": _connect(), "run_id": run.pk}) + frame((1, _rows(2))) + frame((3, bad)))
    stdout = io.StringIO()
    assert serve(stdin, stdout) == 1
    status, count, reason = stdout.getvalue().split(" ", 2)
    assert (status, count) == ("error", "2")
    assert "integer" in reason  # struct.error: the level is not a number
    assert RunLog.objects.filter(run=run).count() == 2


def test_the_process_reports_a_missing_start_frame():
    done = subprocess.run([sys.executable, "-m", "jobs.logs.pipe"], input=b"", capture_output=True, timeout=30)
    assert done.returncode == 1
    assert done.stdout.decode().startswith("error 0 StopIteration")
