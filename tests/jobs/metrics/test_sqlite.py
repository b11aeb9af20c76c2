"""/metrics on SQLite (``make run``): no fold and no triggers, every run read at each scrape."""

import subprocess
import sys

from prometheus_client.parser import text_string_to_metric_families

from tests.conftest import ROOT
from tests.test_embedded import embedded_env  # noqa: F401  (the fixture)

SCRAPE = """
import datetime as dt
from django.test import Client
from django.utils import timezone
from jobs.models import Job, Run
job = Job.objects.create(title="Import", task_type="test_echo")
now = timezone.now()
for i in range(3):
    Run.objects.create(job=job, status="success", created_at=now, started_at=now,
                       finished_at=now + dt.timedelta(seconds=40 * i), counters={"created": 7 + i})
Run.objects.create(job=job, status="running", started_at=now)
Run.objects.filter(status="success").order_by("pk").first().delete()
print(Client().get("/metrics", HTTP_AUTHORIZATION="Bearer t").content.decode())
"""


def test_a_scrape_reads_every_run_on_sqlite(embedded_env):  # noqa: F811
    env = {**embedded_env, "JOBSITE_METRICS_TOKEN": "t", "DJANGO_ALLOWED_HOSTS": "testserver"}
    done = subprocess.run([sys.executable, "manage.py", "migrate", "--no-input", "-v0"], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    done = subprocess.run([sys.executable, "manage.py", "shell", "--no-imports", "-c", SCRAPE], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    families = {f.name: f for f in text_string_to_metric_families(done.stdout)}
    runs = {(s.labels["status"], s.value) for s in families["jobsite_runs"].samples if s.labels["job"] == "Import"}
    assert runs == {("success", 2), ("running", 1)}
    duration = {s.name: s.value for s in families["jobsite_run_duration_seconds"].samples
                if s.labels["job"] == "Import" and s.labels.get("le") in (None, "60.0")}
    assert duration == {"jobsite_run_duration_seconds_bucket": 1, "jobsite_run_duration_seconds_count": 2,
                        "jobsite_run_duration_seconds_sum": 120}
    counters = [(s.labels["counter"], s.value) for s in families["jobsite_job_last_run_counter"].samples]
    assert counters == [("created", 9)]
