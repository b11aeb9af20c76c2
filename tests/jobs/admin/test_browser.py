"""End to end in headless Chromium: log in, run a job from its page, watch the run finish live; what a viewer sees."""

import datetime as dt
import os
import re

import pytest
from django.contrib.auth.models import Group, Permission
from django.utils import timezone

from jobs.models import Run, RunLog
from tests.factories import JobFactory, RunFactory, UserFactory

CHROMIUM_ARGS = [
    "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
    "--disable-sync", "--no-first-run", "--disable-quic",
]
SCREENSHOT_DIR = os.environ.get("JOBS_SCREENSHOT_DIR", "/tmp")


@pytest.fixture
def browser_page(monkeypatch):
    from playwright.sync_api import sync_playwright

    # Playwright's sync API runs an event loop in this thread; the test's ORM calls are still synchronous.
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS)
        page = browser.new_page(viewport={"width": 1280, "height": 900})
        page.set_default_timeout(30_000)
        yield page
        browser.close()


def log_in(page, live_server, next_path, username="admin", password="admin-password"):
    """Sign in through the admin's login form and land on ``next_path``."""
    page.goto(f"{live_server.url}/admin/login/?next={next_path}")
    page.fill("#id_username", username)
    page.fill("#id_password", password)
    page.click("input[type=submit]")


@pytest.mark.browser
@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
def test_run_a_job_and_watch_it_finish(live_server, celery_worker, admin_user, browser_page):
    job = JobFactory(title="Browser echo", task_type="test_echo", default_args={"lines": 3})
    page = browser_page

    log_in(page, live_server, "/admin/jobs/job/")
    page.get_by_role("link", name="Browser echo").click()
    page.get_by_role("link", name="Run now").click()

    page.fill("#id_arg__message", "from-browser")
    page.screenshot(path=f"{SCREENSHOT_DIR}/jobs-run-now.png", full_page=True)
    page.click("input[name=_run]")

    page.wait_for_url("**/admin/jobs/run/*/change/")
    run = Run.objects.get(job=job)
    assert run.args["message"] == "from-browser"
    # Mark the document: a reload would lose this, so finding it later proves in-place updates.
    page.evaluate("document.body.dataset.noReload = 'yes'")
    page.wait_for_selector("#jobs-run-status [data-status=success]", timeout=60_000)
    page.wait_for_function("document.querySelectorAll('#jobs-run-logs tbody tr').length >= 3", timeout=30_000)
    assert page.evaluate("document.body.dataset.noReload") == "yes"
    log_text = page.inner_text("#jobs-run-logs")
    assert log_text.count("from-browser") == 3
    assert page.is_hidden("#jobs-cancel-button")
    # The read-only timing fields follow the run too (they said "-" until a reload).
    page.wait_for_function("document.querySelector('.field-finished_at_display .readonly').textContent.trim() !== '-'")
    assert page.inner_text(".field-started_at_display .readonly").strip() != "-"
    assert page.inner_text(".field-duration_display .readonly").strip() != "-"
    page.screenshot(path=f"{SCREENSHOT_DIR}/jobs-run-page.png", full_page=True)
    run.refresh_from_db()
    assert run.status == Run.Status.SUCCESS


@pytest.mark.browser
@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
def test_live_log_keeps_only_the_newest_lines(live_server, celery_worker, admin_user, browser_page):
    from jobs.runs.dispatch import run_enqueue
    from jobs.runs.services import run_create

    job = JobFactory(title="Chatty echo", task_type="test_echo", default_args={"lines": 3000, "message": "chatty"})
    run = run_create(job=job, trigger=Run.Trigger.ADMIN, enqueue=False)
    page = browser_page
    log_in(page, live_server, f"/admin/jobs/run/{run.pk}/change/")
    page.wait_for_selector("#jobs-run-status [data-status=queued]")
    run_enqueue(run=run, resend=True)  # stored unsent on purpose; the page is polling already: every line arrives live
    page.wait_for_selector("#jobs-run-status [data-status=success]", timeout=60_000)
    page.wait_for_function(
        "document.querySelector('#jobs-run-logs tbody tr:last-child td.jobs-log-message')?.textContent.includes('line 2999')",
        timeout=30_000,
    )
    rows = page.evaluate("document.querySelectorAll('#jobs-run-logs tbody tr').length")
    assert 0 < rows <= 1000
    assert page.is_visible("#jobs-run-logs-trimmed")
    page.screenshot(path=f"{SCREENSHOT_DIR}/jobs-run-page-live-tail.png", full_page=False)


@pytest.mark.browser
@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
def test_the_run_page_shows_the_results_when_the_run_ends(live_server, celery_worker, admin_user, browser_page):
    from jobs.runs.dispatch import run_enqueue
    from jobs.runs.services import run_create

    job = JobFactory(title="Partial echo", task_type="test_partial", default_args={"bad": 2, "good": 3})
    run = run_create(job=job, trigger=Run.Trigger.ADMIN, enqueue=False)
    page = browser_page
    log_in(page, live_server, f"/admin/jobs/run/{run.pk}/change/")
    page.wait_for_selector("#jobs-run-status [data-status=queued]")
    assert page.locator("#jobs-run-errors").count() == 0
    page.evaluate("document.body.dataset.noReload = 'yes'")
    run_enqueue(run=run, resend=True)  # stored with enqueue=False: sent now, after all

    page.wait_for_selector("#jobs-run-status [data-status=partial_success]", timeout=60_000)
    # The errored entries and the tools of an ended run arrive without a reload.
    page.wait_for_selector("#jobs-run-errors", timeout=30_000)
    assert page.evaluate("document.body.dataset.noReload") == "yes"
    assert "entry-1" in page.inner_text("#jobs-run-errors")
    assert "Errored entries (2)" in page.inner_text("#jobs-run-errors h2")
    assert page.is_visible("#jobs-rerun-button")
    assert page.locator("#jobs-cancel-button").count() == 0 or page.is_hidden("#jobs-cancel-button")
    assert page.is_hidden("#jobs-run-reload")

    # Run again shows the arguments the new run gets before it starts.
    page.click("#jobs-rerun-button")
    page.wait_for_url(f"**/admin/jobs/run/{run.pk}/rerun/")
    assert '"bad": 2' in page.inner_text("#jobs-preview")
    assert Run.objects.filter(job=job).count() == 1
    page.click("#jobs-rerun-confirm")
    page.wait_for_url(lambda url: url.endswith("/change/") and f"/run/{run.pk}/" not in url)
    assert Run.objects.filter(job=job).count() == 2


@pytest.mark.browser
@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
def test_cancel_asks_first_and_the_run_says_who_cancelled_it_and_how_far_it_got(
    live_server, celery_worker, admin_user, browser_page
):
    from jobs.runs.services import run_create

    job = JobFactory(title="Slow records", task_type="test_slow", default_args={"seconds": 120, "records": 60_000})
    run = run_create(job=job, trigger=Run.Trigger.ADMIN)
    page = browser_page
    log_in(page, live_server, f"/admin/jobs/run/{run.pk}/change/")
    page.wait_for_selector("#jobs-run-status [data-status=running]", timeout=60_000)
    page.wait_for_function("/ of 60,000 records/.test(document.querySelector('.jobs-progress-text').textContent)")

    page.click("#jobs-cancel-button")
    page.wait_for_url(f"**/admin/jobs/run/{run.pk}/cancel/")
    assert "Cancel this run?" in page.inner_text("#content-main")
    run.refresh_from_db()
    assert run.status == Run.Status.RUNNING  # nothing happens before the confirmation
    page.click("#jobs-cancel-confirm")

    page.wait_for_url(f"**/admin/jobs/run/{run.pk}/change/")
    page.wait_for_selector("#jobs-run-status [data-status=cancelled]", timeout=60_000)
    message = page.inner_text("#jobs-run-message")
    assert re.fullmatch(r"cancelled by admin after [\d,]+ of 60,000 records", message.strip()), message
    page.wait_for_function("document.querySelector('#jobs-run-logs').textContent.includes('by=admin')")
    run.refresh_from_db()
    assert run.status == Run.Status.CANCELLED and run.cancelled_by == admin_user and run.message == message.strip()


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_run_now_keeps_the_previewed_override_open_and_the_fields_in_step(live_server, admin_user, browser_page):
    job = JobFactory(title="Override echo", task_type="test_echo", default_args={"lines": 3, "message": "default"})
    page = browser_page
    log_in(page, live_server, f"/admin/jobs/job/{job.pk}/run/")
    page.click("text=Advanced: arguments as JSON")
    page.fill("#id_override", '{"message": "from-json", "lines": 2}')
    page.click("input[name=_preview]")

    page.wait_for_selector("#jobs-preview")
    assert '"from-json"' in page.inner_text("#jobs-preview")
    assert page.is_visible("#id_override")  # still open after the preview
    assert '"from-json"' in page.input_value("#id_override")
    assert page.input_value("#id_arg__message") == "from-json"
    assert page.input_value("#id_arg__lines") == "2"
    page.click("input[name=_run]")
    page.wait_for_url("**/admin/jobs/run/*/change/")
    assert Run.objects.get(job=job).args == {"message": "from-json", "lines": 2}


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_filtering_the_log_keeps_the_page_on_the_log_and_times_show_seconds(live_server, admin_user, browser_page):
    started = timezone.now().replace(microsecond=0) - dt.timedelta(minutes=5)
    run = RunFactory(
        status=Run.Status.SUCCESS, started_at=started, finished_at=started + dt.timedelta(seconds=42),
        args={"lines": 150, "message": "tall"},
    )
    RunLog.objects.bulk_create(
        RunLog(run=run, seq=i, created_at=started, level=30 if i % 10 == 0 else 20, logger="t", message=f"line {i}")
        for i in range(150)
    )
    page = browser_page
    log_in(page, live_server, f"/admin/jobs/run/{run.pk}/change/")
    page.wait_for_selector("#jobs-run-logs")
    local = timezone.localtime(started)
    assert page.inner_text(".field-started_at_display .readonly").strip() == local.strftime("%Y-%m-%d %H:%M:%S")

    page.select_option("#jobs-log-filter select[name=log_level]", "30")
    page.click("#jobs-log-filter input[type=submit]")
    page.wait_for_url("**log_level=30**")
    page.wait_for_function("window.scrollY > 0")
    # Scrolled to the log's heading (or as far as the page goes), not back at the top of the page.
    scrolled, expected = page.evaluate(
        """() => {
          const top = document.getElementById('jobs-logs-module').getBoundingClientRect().top + window.scrollY;
          const most = document.scrollingElement.scrollHeight - window.innerHeight;
          return [window.scrollY, Math.min(top, most)];
        }"""
    )
    assert expected > 100 and abs(scrolled - expected) < 5
    assert page.evaluate("document.querySelectorAll('#jobs-run-logs tbody tr').length") == 15


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_a_viewer_following_a_forbidden_link_sees_why(live_server, browser_page):
    # A transactional test may run after the flush that removed the migration's groups.
    viewers, _ = Group.objects.get_or_create(name="Job viewers")
    viewers.permissions.add(*Permission.objects.filter(codename__in=["view_job", "view_run", "view_runlog"]))
    UserFactory(username="viewer", is_staff=True).groups.add(viewers)
    job = JobFactory(title="Nightly echo")
    page = browser_page

    run = Run.objects.create(job=job, status=Run.Status.RUNNING, trigger=Run.Trigger.ADMIN)
    log_in(page, live_server, f"/admin/jobs/job/{job.pk}/change/", username="viewer", password="password")
    # Only the actions the viewer may take are shown: the schedule without its edit button, no "Run now".
    page.wait_for_selector(".field-schedule_summary")
    assert page.get_by_role("link", name="Edit schedule").count() == 0
    assert page.get_by_role("link", name="Run now").count() == 0
    page.goto(f"{live_server.url}/admin/jobs/run/{run.pk}/change/")
    page.wait_for_selector("#jobs-run-status")
    assert page.locator("#jobs-cancel-button").count() == 0
    assert page.locator("#jobs-rerun-button").count() == 0
    page.goto(f"{live_server.url}/admin/jobs/run/")
    assert page.locator("select[name=action] option[value=cancel_selected]").count() == 0
    assert page.locator("select[name=action] option[value=rerun_selected]").count() == 0

    # A URL typed by hand gets the styled 403 page.
    page.goto(f"{live_server.url}/admin/jobs/job/{job.pk}/schedule/")
    assert page.inner_text("#site-name").strip() == "Jobsite administration"
    assert page.title() == "Permission denied | Jobsite administration"
    assert "needs the permission “Can change job”" in page.inner_text("#jobsite-forbidden-reason")
    # The admin's stylesheet applies: the header has its colour, not the browser's default white.
    assert page.evaluate("getComputedStyle(document.querySelector('#header')).backgroundColor") != "rgba(0, 0, 0, 0)"
    page.screenshot(path=f"{SCREENSHOT_DIR}/jobsite-403.png", full_page=True)
