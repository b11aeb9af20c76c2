"""The charts in headless Chromium: the job page's durations (click a bar -> its run) and the Health page."""

import datetime as dt
import os
from pathlib import Path

import pytest
from django.utils import timezone

from jobs.models import Run
from jobs.scheduling.store import schedule_set
from tests.conftest import ROOT
from tests.factories import JobFactory, RunFactory
from tests.jobs.admin.test_browser import SCREENSHOT_DIR, browser_page  # noqa: F401 - the fixture

# JOBS_HEALTH_SCREENSHOT=1 refreshes the README's picture of the Health page.
HEALTH_PNG = ROOT / "docs" / "health.png" if os.environ.get("JOBS_HEALTH_SCREENSHOT") else Path(SCREENSHOT_DIR) / "jobs-health.png"


def _login(page, live_server, next_url):
    page.goto(f"{live_server.url}/admin/login/?next={next_url}")
    page.fill("#id_username", "admin")
    page.fill("#id_password", "admin-password")
    page.click("input[type=submit]")
    page.wait_for_url(f"**{next_url}")


def _bars(page, canvas_id, dataset=0):
    return page.evaluate(
        "([id, i]) => Chart.getChart(document.getElementById(id)).getDatasetMeta(i).data.length", [canvas_id, dataset]
    )


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_job_page_duration_chart(live_server, admin_user, browser_page):  # noqa: F811
    job = JobFactory(title="Charted", task_type="test_echo")
    now = timezone.now()
    for i in range(30):
        created = now - dt.timedelta(hours=30 - i)
        RunFactory(job=job, status=Run.Status.FAILED if i % 5 == 0 else Run.Status.SUCCESS, created_at=created,
                   started_at=created, finished_at=created + dt.timedelta(seconds=5 + i), counters={"created": i})
    RunFactory(job=job, status=Run.Status.QUEUED, created_at=now)
    page = browser_page
    _login(page, live_server, f"/admin/jobs/job/{job.pk}/change/")
    page.wait_for_selector("#jobs-duration-chart[data-drawn=yes]")
    assert _bars(page, "jobs-duration-chart") == 30
    colors = page.evaluate("Chart.getChart(document.getElementById('jobs-duration-chart')).data.datasets[0].backgroundColor")
    assert colors.count("#c62828") == 6 and colors.count("#2e7d32") == 24  # failed red, success green
    median = page.evaluate("Chart.getChart(document.getElementById('jobs-duration-chart')).data.datasets[1].data")
    assert set(median) == {19.5}
    page.wait_for_selector("#jobs-counters-chart[data-drawn=yes]")
    assert _bars(page, "jobs-counters-chart") == 30
    page.screenshot(path=f"{SCREENSHOT_DIR}/jobs-job-charts.png", full_page=True)

    # Click the newest bar: its run opens.
    newest = Run.objects.filter(job=job, status=Run.Status.SUCCESS).order_by("-created_at").first()
    x, y = page.evaluate(
        "(() => { const b = Chart.getChart(document.getElementById('jobs-duration-chart')).getDatasetMeta(0).data.at(-1);"
        " return [b.x, (b.y + b.base) / 2]; })()"
    )
    page.locator("#jobs-duration-chart").click(position={"x": x, "y": y})
    page.wait_for_url(f"**/admin/jobs/run/{newest.pk}/change/")


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_health_page_charts_runs_per_hour(live_server, admin_user, browser_page):  # noqa: F811
    now = timezone.now()
    titles = ["ORCID names", "ROR affiliations", "OpenAIRE awards", "Export records", "Purge old runs"]
    for j, title in enumerate(titles):
        job = JobFactory(title=title, task_type="test_echo")
        schedule_set(job=job, every=3600 * (j + 1))
        for hours in range(0, 24 * 7, 3 + j):
            created = now - dt.timedelta(hours=hours, minutes=7)
            status = Run.Status.FAILED if (hours + j) % 11 == 0 else Run.Status.SUCCESS
            RunFactory(job=job, status=status, created_at=created, started_at=created,
                       finished_at=created + dt.timedelta(seconds=20 * (j + 1) + hours % 13))
    failed_last = JobFactory(title="Nightly ORCID import", task_type="test_echo")
    RunFactory(job=failed_last, status=Run.Status.FAILED, created_at=now - dt.timedelta(hours=2),
               started_at=now - dt.timedelta(hours=2), finished_at=now - dt.timedelta(hours=1, minutes=50),
               message="HTTPError: 503 Service Unavailable for https://orcid.example/summaries.tar.gz")
    page = browser_page
    page.set_viewport_size({"width": 1400, "height": 1000})
    _login(page, live_server, "/admin/")
    page.get_by_role("link", name="Jobs health").click()
    page.wait_for_url("**/admin/jobs/health/")
    page.wait_for_selector("#jobs-hourly-chart[data-drawn=yes]")
    statuses = page.evaluate("Chart.getChart(document.getElementById('jobs-hourly-chart')).data.datasets.map(d => d.label)")
    assert statuses == ["success", "failed"]
    assert _bars(page, "jobs-hourly-chart", 0) == 24 * 7
    total = page.evaluate(
        "Chart.getChart(document.getElementById('jobs-hourly-chart')).data.datasets"
        ".reduce((n, d) => n + d.data.reduce((a, b) => a + b, 0), 0)"
    )
    assert total == Run.objects.filter(created_at__gte=now - dt.timedelta(days=7)).count()
    assert "Nightly ORCID import" in page.inner_text("#jobs-failing")
    assert page.locator("#jobs-next-ticks tbody tr").count() == 10
    assert page.locator("#jobs-slowest tbody tr").count() == len(titles) + 1
    page.screenshot(path=str(HEALTH_PNG), full_page=True)
