"""In Chromium: the admin and the project's own scripts work under the Content-Security-Policy."""

import pytest

from jobs.models import Run
from tests.factories import JobFactory
from tests.jobs.admin.test_browser import browser_page  # noqa: F401  (the shared Chromium fixture)

# Every CSP violation in any document of the page is recorded on window.cspViolations.
RECORD_VIOLATIONS = """
window.cspViolations = [];
document.addEventListener('securitypolicyviolation', (e) => {
  window.cspViolations.push(e.violatedDirective + ' ' + (e.blockedURI || 'inline') + ' ' + e.sourceFile + ':' + e.lineNumber);
});
"""


@pytest.mark.browser
@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
def test_admin_and_run_page_work_under_the_policy(live_server, celery_worker, admin_user, browser_page):  # noqa: F811
    page = browser_page
    page.add_init_script(RECORD_VIOLATIONS)
    console = []
    page.on("console", lambda message: console.append(message.text))
    seen = []

    def visit_check():
        seen.append(page.url)
        assert page.evaluate("window.cspViolations") == [], page.url

    job = JobFactory(title="CSP echo", task_type="test_echo", default_args={"lines": 3})
    page.goto(f"{live_server.url}/admin/login/?next=/admin/jobs/job/")
    visit_check()
    page.fill("#id_username", "admin")
    page.fill("#id_password", "admin-password")
    page.click("input[type=submit]")
    page.wait_for_url("**/admin/jobs/job/")
    visit_check()

    # The add page's script (job_form.js) reloads the form for another type.
    page.goto(f"{live_server.url}/admin/jobs/job/add/?task_type=test_echo")
    visit_check()
    page.locator("#job_form select.jobs-type-select").select_option("test_fail")
    page.wait_for_url("**task_type=test_fail**")
    visit_check()

    # Run now (admin's jsi18n and the form's media), then the live run page (run.js polling).
    page.goto(f"{live_server.url}/admin/jobs/job/{job.pk}/")
    page.get_by_role("link", name="Run now").click()
    visit_check()
    page.fill("#id_arg__message", "under-csp")
    page.click("input[name=_run]")
    page.wait_for_url("**/admin/jobs/run/*/change/")
    page.wait_for_selector("#jobs-run-status [data-status=success]", timeout=60_000)
    page.wait_for_function("document.querySelectorAll('#jobs-run-logs tbody tr').length >= 3", timeout=30_000)
    # The progress bar's width is set by the script from data-percent (no inline style).
    assert page.evaluate("document.querySelector('.jobs-progress-bar').style.width") != ""
    visit_check()
    assert Run.objects.get(job=job).status == Run.Status.SUCCESS

    # An admin page with the admin's own scripts (actions, collapsible fieldsets, calendar widgets).
    page.goto(f"{live_server.url}/admin/jobs/run/")
    page.locator("#action-toggle").check()
    visit_check()
    page.goto(f"{live_server.url}/admin/auth/user/{admin_user.pk}/change/")
    visit_check()
    assert not [text for text in console if "Content Security Policy" in text], console
