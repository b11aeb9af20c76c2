"""End to end in headless Chromium: log in, run a job from its page, watch the run finish live."""

import os

import pytest

from jobs.models import Run
from tests.factories import JobFactory

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


@pytest.mark.browser
@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
def test_run_a_job_and_watch_it_finish(live_server, celery_worker, admin_user, browser_page):
    job = JobFactory(title="Browser echo", task_type="test_echo", default_args={"lines": 3})
    page = browser_page

    page.goto(f"{live_server.url}/admin/login/?next=/admin/jobs/job/")
    page.fill("#id_username", "admin")
    page.fill("#id_password", "admin-password")
    page.click("input[type=submit]")
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
    page.wait_for_function("document.querySelector('.field-finished_at .readonly').textContent.trim() !== '-'")
    assert page.inner_text(".field-started_at .readonly").strip() != "-"
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
    page.goto(f"{live_server.url}/admin/login/?next=/admin/jobs/run/{run.pk}/change/")
    page.fill("#id_username", "admin")
    page.fill("#id_password", "admin-password")
    page.click("input[type=submit]")
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
