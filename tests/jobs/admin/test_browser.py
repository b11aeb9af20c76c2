"""End to end in headless Chromium: log in, run a job from its page, watch the run finish live; a viewer's 403."""

import os

import pytest
from django.contrib.auth.models import Group, Permission

from jobs.models import Run
from tests.factories import JobFactory, UserFactory

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
@pytest.mark.django_db(transaction=True)
def test_a_viewer_following_a_forbidden_link_sees_why(live_server, browser_page):
    # A transactional test may run after the flush that removed the migration's groups.
    viewers, _ = Group.objects.get_or_create(name="Job viewers")
    viewers.permissions.add(*Permission.objects.filter(codename__in=["view_job", "view_run", "view_runlog"]))
    UserFactory(username="viewer", is_staff=True).groups.add(viewers)
    job = JobFactory(title="Nightly echo")
    page = browser_page

    log_in(page, live_server, f"/admin/jobs/job/{job.pk}/change/", username="viewer", password="password")
    page.get_by_role("link", name="Edit schedule").click()

    page.wait_for_url(f"**/admin/jobs/job/{job.pk}/schedule/")
    assert page.inner_text("#site-name").strip() == "Jobsite administration"
    assert page.title() == "Permission denied | Jobsite administration"
    assert "needs the permission “Can change job”" in page.inner_text("#jobsite-forbidden-reason")
    # The admin's stylesheet applies: the header has its colour, not the browser's default white.
    assert page.evaluate("getComputedStyle(document.querySelector('#header')).backgroundColor") != "rgba(0, 0, 0, 0)"
    page.screenshot(path=f"{SCREENSHOT_DIR}/jobsite-403.png", full_page=True)
