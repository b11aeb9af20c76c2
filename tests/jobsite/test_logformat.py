"""JOBSITE_LOG_FORMAT=json: one JSON object per line, with the run and job inside a run."""

import io
import json
import logging
import os
import subprocess
import sys

import pytest
from celery import current_app

from jobs.models import Run
from jobs.runs import context
from jobs.runs.services import run_create
from jobsite.logformat import JsonFormatter, RunContextFilter
from jobsite.processes import worker_start
from tests.conftest import ROOT, wait_for, worker_env
from tests.factories import JobFactory


def _handler():
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(JsonFormatter())
    handler.addFilter(RunContextFilter())
    logger = logging.getLogger("tests.logformat")
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)
    logger.propagate = False
    return logger, handler, stream


def test_one_json_object_per_line_with_run_and_job_inside_a_run():
    logger, handler, stream = _handler()
    try:
        logger.info("outside key=%s", 1)
        token = context.activate(context.RunHandle(41, job_id=7))
        try:
            logger.warning("inside %s", "a run", extra={"records": 3})
        finally:
            context.deactivate(token)
        try:
            raise ValueError("bad\nvalue")
        except ValueError:
            logger.exception("failed")
    finally:
        logger.removeHandler(handler)
    lines = stream.getvalue().splitlines()
    assert len(lines) == 3
    outside, inside, failed = (json.loads(line) for line in lines)
    assert outside["message"] == "outside key=1" and outside["run_id"] is None and outside["job_id"] is None
    assert (inside["level"], inside["logger"], inside["message"]) == ("WARNING", "tests.logformat", "inside a run")
    assert (inside["run_id"], inside["job_id"], inside["records"]) == (41, 7, 3)
    assert "ValueError: bad\nvalue" in failed["exception"]
    assert inside["time"].endswith("+00:00")


def test_the_setting_switches_django_logging():
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "jobsite.settings", "JOBSITE_LOG_FORMAT": "json",
           "JOBSITE_VAR_DIR": str(ROOT / "var")}
    code = "import django, logging; django.setup(); logging.getLogger('probe').warning('hello %s', 'json')"
    result = subprocess.run([sys.executable, "-c", code], env=env, cwd=ROOT, capture_output=True, text=True, check=True)
    entry = json.loads(result.stderr.strip().splitlines()[-1])
    assert entry["message"] == "hello json" and entry["logger"] == "probe" and entry["run_id"] is None


@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
def test_the_worker_logs_json_with_the_run_and_job(tmp_path):
    queue = f"jobsite-test-json-{os.getpid()}"
    worker = worker_start(concurrency=1, log_path=tmp_path / "worker.log",
                          env=worker_env(JOBSITE_LOG_FORMAT="json", CELERY_TASK_DEFAULT_QUEUE=queue))
    try:
        job = JobFactory(task_type="test_echo")
        run = run_create(job=job, args={"message": "json-line", "lines": 2}, enqueue=False)
        current_app.send_task("jobs.execute_run", (run.pk,), queue=queue, task_id=run.task_id)
        wait_for(lambda: Run.objects.get(pk=run.pk).status == Run.Status.SUCCESS, message="the run")
        wait_for(lambda: "json-line" in (tmp_path / "worker.log").read_text(), message="the worker's lines")
    finally:
        worker.stop()
    entries = [json.loads(line) for line in (tmp_path / "worker.log").read_text().splitlines() if line.startswith("{")]
    assert entries, (tmp_path / "worker.log").read_text()[-2000:]
    echoed = [e for e in entries if e["message"] == "line 0: json-line"]
    assert echoed and echoed[0]["run_id"] == run.pk and echoed[0]["job_id"] == job.pk
    assert any(e["logger"].startswith("celery") and e["run_id"] is None for e in entries)
