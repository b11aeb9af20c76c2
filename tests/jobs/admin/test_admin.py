"""The job system's admin pages: lists, forms, run now, cancel / run again, permissions."""

import datetime as dt
import re
from urllib.parse import urlencode

import pytest
from django.contrib.admin.models import LogEntry
from django.contrib.auth.models import Group, Permission
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from jobs.admin.forms import ARG_PREFIX
from jobs.models import Job, Run, RunLog
from tests.factories import JobFactory, RunFactory, UserFactory
from tests.jobs.admin.test_forms import JOB_BASE

pytestmark = pytest.mark.django_db

A = ARG_PREFIX
JOBS_URL = reverse("admin:jobs_job_changelist")
RUNS_URL = reverse("admin:jobs_run_changelist")


def staff_client(group=None, **kwargs):
    user = UserFactory(is_staff=True)
    if group:
        user.groups.add(Group.objects.get(name=group))
    client = Client(**kwargs)
    client.force_login(user)
    client.user = user
    return client


@pytest.fixture
def operator():
    return staff_client("Job operators")


@pytest.fixture
def viewer():
    return staff_client("Job viewers")


def job_url(job, view="change"):
    return reverse(f"admin:jobs_job_{view}", args=[job.pk])


def run_url(run, view="change"):
    return reverse(f"admin:jobs_run_{view}", args=[run.pk])


def settings_post(**extra):
    base = {k: v for k, v in JOB_BASE.items() if k != "task_type"}
    return {**base, "title": "A job", **extra}


# --- job list ---------------------------------------------------------------------------


def make_jobs(n):
    for i in range(n):
        job = JobFactory(title=f"bulk {i:03d}", task_type="test_echo" if i % 3 else "gone_type")
        RunFactory(job=job, status=Run.Status.FAILED)
        RunFactory(job=job, status=Run.Status.SUCCESS)


def list_queries(client):
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(JOBS_URL)
    assert response.status_code == 200
    return len(ctx.captured_queries)


def test_job_list_query_count_is_constant(su, django_assert_num_queries):
    make_jobs(5)
    few = list_queries(su)
    make_jobs(45)
    with django_assert_num_queries(few):
        response = su.get(JOBS_URL)
    assert response.content.count(b'class="jobs-badge jobs-status-success"') == 50


def test_job_list_shows_type_last_run_and_count(su):
    job = JobFactory(title="Echo job", task_type="test_echo")
    RunFactory(job=job, status=Run.Status.FAILED, created_at=timezone.now() - dt.timedelta(hours=2))
    newest = RunFactory(job=job, status=Run.Status.SUCCESS)
    JobFactory(title="Orphan", task_type="not_installed")
    html = su.get(JOBS_URL).content.decode()
    row = re.search(r"<tr.*?Echo job.*?</tr>", html, re.S).group(0)
    assert "Echo" in row and "jobs-status-success" in row and run_url(newest) in row
    assert f"?job={job.pk}\">2<" in row
    orphan = re.search(r"<tr.*?Orphan.*?</tr>", html, re.S).group(0)
    assert "unavailable" in orphan and "never" in orphan


def test_job_list_filters_and_search(su):
    echo = JobFactory(title="alpha", task_type="test_echo")
    RunFactory(job=echo, status=Run.Status.FAILED)
    fail = JobFactory(title="beta", task_type="test_fail", active=False)
    RunFactory(job=fail, status=Run.Status.SUCCESS)
    JobFactory(title="gamma", task_type="test_echo")

    def titles(query):
        response = su.get(JOBS_URL + query)
        assert response.status_code == 200
        return sorted(j.title for j in response.context["cl"].result_list)

    assert titles("?task_type=test_echo") == ["alpha", "gamma"]
    assert titles("?active__exact=0") == ["beta"]
    assert titles("?last_status=failed") == ["alpha"]
    assert titles("?last_status=never&task_type=test_echo") == ["gamma"]
    assert titles("?q=bet") == ["beta"]


def test_unavailable_job_type_pages_render(su):
    job = JobFactory(title="Orphan", task_type="not_installed", default_args={"x": 1})
    RunFactory(job=job)
    assert su.get(JOBS_URL).status_code == 200
    assert su.get(JOBS_URL + "?task_type=not_installed").status_code == 200
    response = su.get(job_url(job))
    assert response.status_code == 200
    html = response.content.decode()
    assert "is not installed" in html and "&quot;x&quot;: 1" in html
    assert job_url(job, "run") not in html


def test_unavailable_job_cannot_be_run(su):
    job = JobFactory(task_type="not_installed")
    response = su.post(job_url(job, "run"), {"override": "{}", "_run": "1"}, follow=True)
    assert response.status_code == 200
    assert "cannot be run" in response.content.decode()
    assert not Run.objects.filter(job=job).exists()


def test_unavailable_job_settings_can_still_be_saved(su):
    job = JobFactory(title="Orphan", task_type="not_installed", default_args={"x": 1})
    response = su.post(job_url(job), settings_post(title="Renamed", active=""))
    assert response.status_code == 302, response.context["adminform"].form.errors
    job.refresh_from_db()
    assert (job.title, job.active, job.default_args) == ("Renamed", False, {"x": 1})


# --- add / change -------------------------------------------------------------------------


def test_add_page_asks_for_the_type_first(su):
    response = su.get(reverse("admin:jobs_job_add"))
    assert response.status_code == 200
    assert b"choose its type" in response.content
    assert b"?task_type=test_fields" in response.content
    response = su.get(reverse("admin:jobs_job_add") + "?task_type=test_fields")
    assert response.status_code == 200
    form = response.context["adminform"].form
    assert A + "tags" in form.fields and A + "mode" in form.fields
    assert b"Run control" in response.content


def test_add_job_goes_through_the_schema(su):
    url = reverse("admin:jobs_job_add") + "?task_type=test_echo"
    response = su.post(url, settings_post(task_type="test_echo", **{A + "message": "hi", A + "lines": "5"}))
    assert response.status_code == 302
    job = Job.objects.get(title="A job")
    assert job.default_args == {"message": "hi", "lines": 5}
    assert job.created_by == su.user
    assert LogEntry.objects.filter(object_id=str(job.pk)).exists()


def test_add_job_errors_land_on_fields(su):
    url = reverse("admin:jobs_job_add")
    response = su.post(url, settings_post(task_type="test_fields", **{A + "url": "nope", A + "count": "x"}))
    assert response.status_code == 200
    errors = response.context["adminform"].form.errors
    assert set(errors) == {A + "text", A + "url", A + "count"}
    assert not Job.objects.filter(task_type="test_fields").exists()


def test_change_job_defaults_and_run_control(su):
    job = JobFactory(task_type="test_echo", default_args={"message": "old"})
    response = su.get(job_url(job))
    assert response.context["adminform"].form.fields[A + "message"].initial == "old"
    data = settings_post(title="New", max_retries="3", notify_on=["failed"], **{A + "message": "new", A + "lines": "2"})
    response = su.post(job_url(job), data)
    assert response.status_code == 302
    job.refresh_from_db()
    assert (job.title, job.max_retries, job.notify_on) == ("New", 3, ["failed"])
    assert job.default_args == {"message": "new", "lines": 2}


# --- run now ------------------------------------------------------------------------------


def test_run_now_page_previews_build_task_arguments(su):
    job = JobFactory(task_type="test_since")
    started = timezone.now().replace(microsecond=0) - dt.timedelta(days=1)
    RunFactory(job=job, status=Run.Status.SUCCESS, started_at=started)
    response = su.get(job_url(job, "run"))
    assert response.status_code == 200
    assert started.isoformat() in response.context["preview"]


def test_run_now_creates_a_run_and_records_who(su):
    job = JobFactory(task_type="test_echo", default_args={"lines": 1})
    response = su.post(job_url(job, "run"), {A + "message": "typed", A + "lines": "", "_run": "1"})
    run = Run.objects.get(job=job)
    assert response.status_code == 302 and response["Location"] == run_url(run)
    assert run.args == {"message": "typed", "lines": 1}
    assert (run.trigger, run.started_by, run.status) == (Run.Trigger.ADMIN, su.user, Run.Status.QUEUED)
    entry = LogEntry.objects.get(object_id=str(job.pk))
    assert entry.get_change_message() == f"Ran job: run {run.pk}"


def test_run_now_preview_does_not_run(su):
    job = JobFactory(task_type="test_echo")
    response = su.post(job_url(job, "run"), {A + "message": "p", "_preview": "1"})
    assert response.status_code == 200
    assert '"message": "p"' in response.context["preview"]
    assert not Run.objects.exists()


def test_run_now_json_override_is_validated(su):
    job = JobFactory(task_type="test_echo")
    response = su.post(job_url(job, "run"), {"override": '{"lines": "many"}', "_run": "1"})
    assert response.status_code == 200
    assert "lines" in " ".join(response.context["form"].errors["override"])
    assert not Run.objects.exists()
    su.post(job_url(job, "run"), {A + "message": "ignored", "override": '{"message": "json"}', "_run": "1"})
    assert Run.objects.get().args["message"] == "json"


# --- runs list -------------------------------------------------------------------------------


def test_run_list_never_counts_the_whole_table(su):
    job = JobFactory()
    RunFactory.create_batch(30, job=job)
    with CaptureQueriesContext(connection) as ctx:
        response = su.get(RUNS_URL)
    assert response.status_code == 200
    assert len(response.context["cl"].result_list) == 30
    whole_counts = [
        q["sql"] for q in ctx.captured_queries
        if re.search(r'COUNT\(\*\).*FROM "jobs_run"', q["sql"]) and "LIMIT" not in q["sql"] and "WHERE" not in q["sql"]
    ]
    assert whole_counts == []


def test_run_list_estimates_past_the_exact_limit(su, monkeypatch):
    from jobs.admin.pagination import EstimatedCountPaginator

    monkeypatch.setattr(EstimatedCountPaginator, "exact_limit", 10)
    job = JobFactory()
    RunFactory.create_batch(25, job=job, status=Run.Status.SUCCESS)
    RunFactory.create_batch(15, job=job, status=Run.Status.FAILED)
    RunFactory.create_batch(3, job=job, status=Run.Status.CANCELLED)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE jobs_run")  # every row sampled: the planner's estimates are the true counts

    def shown(query=""):
        response = su.get(RUNS_URL + query)
        assert response.status_code == 200
        paginator = response.context["cl"].paginator
        text = re.search(r'<p class="paginator">(.*?)</p>', response.content.decode(), re.S).group(1)
        return " ".join(text.split()), paginator.is_estimate

    assert shown() == ("about 43 runs", True)  # the table's row estimate
    assert shown("?status__exact=success") == ("about 25 runs", True)  # the planner's estimate for the filter
    assert shown("?status__exact=failed") == ("about 15 runs", True)
    assert shown("?status__exact=cancelled") == ("3 runs", False)  # within the exact limit: counted


def test_run_list_filters_and_search(su):
    a = JobFactory(title="Alpha")
    b = JobFactory(title="Beta")
    r1 = RunFactory(job=a, status=Run.Status.FAILED, message="disk full", started_at=timezone.now())
    r2 = RunFactory(job=b, status=Run.Status.SUCCESS, trigger=Run.Trigger.CLI, task_id="abc-123")

    def ids(query):
        response = su.get(RUNS_URL + query)
        assert response.status_code == 200
        return sorted(r.pk for r in response.context["cl"].result_list)

    assert ids("?status__exact=failed") == [r1.pk]
    assert ids(f"?job={b.pk}") == [r2.pk]
    assert ids("?trigger__exact=cli") == [r2.pk]
    assert ids("?q=Alpha") == [r1.pk]
    assert ids("?q=disk") == [r1.pk]
    assert ids("?q=abc-123") == [r2.pk]
    assert ids(f"?q={r2.pk}") == [r2.pk]
    # The date filter's own links carry aware datetimes ("Past 7 days": created_at__gte=<midnight, local zone>).
    since = timezone.localtime(timezone.now() - dt.timedelta(days=1)).replace(hour=0, minute=0, second=0, microsecond=0)
    assert ids("?" + urlencode({"created_at__gte": str(since)})) == sorted([r1.pk, r2.pk])
    assert ids("?" + urlencode({"created_at__gte": str(since + dt.timedelta(days=3))})) == []


# --- run page --------------------------------------------------------------------------------


def test_run_page_shows_everything(su):
    job = JobFactory(task_type="test_echo")
    first = RunFactory(job=job, status=Run.Status.FAILED, attempt=0)
    run = RunFactory(
        job=job, status=Run.Status.PARTIAL_SUCCESS, retry_of=first, attempt=1, args={"message": "hi", "lines": 2},
        progress_done=5, progress_total=10, counters={"created": 3}, message="3 good, 1200 bad",
        traceback="Traceback: boom", errors=[{"id": f"e{i}", "reason": "bad"} for i in range(1200)],
        started_at=timezone.now() - dt.timedelta(seconds=5), finished_at=timezone.now(),
    )
    RunLog.objects.bulk_create(
        RunLog(run=run, seq=i, created_at=timezone.now(), level=30 if i == 3 else 20, logger="t", message=f"line {i}")
        for i in range(5)
    )
    response = su.get(run_url(run))
    assert response.status_code == 200
    html = response.content.decode()
    assert '&quot;message&quot;: &quot;hi&quot;' in html
    assert 'data-percent="50.0"' in html
    assert "created" in html and "3 good, 1200 bad" in html and "Traceback: boom" in html
    assert "Errored entries (1200, first 1000 shown)" in html
    assert html.count("<code>e") == 1000
    assert run_url(first) in html
    assert "line 4" in html and "jobs-level-30" in html
    assert "Run again" in html and "Cancel run" in html  # cancel hidden by `hidden` while not active
    assert su.get(run_url(first)).content.decode().count(run_url(run)) >= 1


# --- cancel / run again ----------------------------------------------------------------------


def test_cancel_queued_and_running_runs(operator):
    queued = RunFactory(status=Run.Status.QUEUED)
    running = RunFactory(status=Run.Status.RUNNING)
    assert operator.post(run_url(queued, "cancel")).status_code == 302
    assert operator.post(run_url(running, "cancel")).status_code == 302
    queued.refresh_from_db()
    running.refresh_from_db()
    assert (queued.status, queued.cancelled_by) == (Run.Status.CANCELLED, operator.user)
    assert running.status == Run.Status.CANCELLING
    messages = set(LogEntry.objects.filter(user=operator.user).values_list("change_message", flat=True))
    assert any(f"Cancelled run {queued.pk}" in m for m in messages)


def test_cancel_finished_run_says_so(operator):
    run = RunFactory(status=Run.Status.SUCCESS)
    response = operator.post(run_url(run, "cancel"), follow=True)
    assert "already ended" in response.content.decode()
    run.refresh_from_db()
    assert run.status == Run.Status.SUCCESS


def test_run_again_uses_the_same_arguments(operator):
    old = RunFactory(job=JobFactory(task_type="test_echo"), args={"message": "same", "lines": 1})
    response = operator.post(run_url(old, "rerun"))
    new = Run.objects.exclude(pk=old.pk).get()
    assert response["Location"] == run_url(new)
    assert (new.args, new.started_by, new.status) == (old.args, operator.user, Run.Status.QUEUED)
    assert LogEntry.objects.filter(change_message__contains=f"run {new.pk}").exists()


def test_list_actions_cancel_and_run_again(operator):
    job = JobFactory(task_type="test_echo")
    queued = RunFactory(job=job, status=Run.Status.QUEUED)
    done = RunFactory(job=job, status=Run.Status.SUCCESS, args={"lines": 7})
    response = operator.post(RUNS_URL, {"action": "cancel_selected", "_selected_action": [queued.pk, done.pk]})
    assert response.status_code == 302
    queued.refresh_from_db()
    assert queued.status == Run.Status.CANCELLED
    operator.post(RUNS_URL, {"action": "rerun_selected", "_selected_action": [done.pk]})
    assert Run.objects.filter(job=job, args={"lines": 7}).count() == 2


def test_run_again_of_an_unavailable_type_is_refused(operator):
    old = RunFactory(job=JobFactory(task_type="not_installed"))
    response = operator.post(run_url(old, "rerun"), follow=True)
    assert "cannot be run again" in response.content.decode()
    assert Run.objects.count() == 1


# --- permissions -----------------------------------------------------------------------------


def test_viewer_can_view_but_not_act(viewer):
    job = JobFactory(task_type="test_echo", default_args={"lines": 2})
    run = RunFactory(job=job, status=Run.Status.QUEUED)
    for url in (JOBS_URL, job_url(job), RUNS_URL, run_url(run), run_url(run, "status"), run_url(run, "logs")):
        assert viewer.get(url).status_code == 200, url
    assert viewer.get(job_url(job, "run")).status_code == 403
    assert viewer.post(job_url(job, "run"), {"_run": "1"}).status_code == 403
    assert viewer.post(run_url(run, "cancel")).status_code == 403
    assert viewer.post(run_url(run, "rerun")).status_code == 403
    response = viewer.post(RUNS_URL, {"action": "cancel_selected", "_selected_action": [run.pk]})
    run.refresh_from_db()
    assert run.status == Run.Status.QUEUED and Run.objects.count() == 1
    html = viewer.get(run_url(run)).content.decode()
    assert "Cancel run" not in html and "Run again" not in html
    html = viewer.get(job_url(job)).content.decode()
    assert "Run now" not in html and "&quot;lines&quot;: 2" in html
    assert "cancel_selected" not in viewer.get(RUNS_URL).content.decode()
    assert response.status_code in (200, 302)


def test_operator_can_run_and_cancel(operator):
    job = JobFactory(task_type="test_echo")
    html = operator.get(job_url(job)).content.decode()
    assert "Run now" in html
    assert operator.get(job_url(job, "run")).status_code == 200
    assert operator.post(job_url(job, "run"), {"_run": "1"}).status_code == 302
    run = Run.objects.get(job=job)
    assert "Cancel run" in operator.get(run_url(run)).content.decode()
    assert operator.post(run_url(run, "cancel")).status_code == 302
    run.refresh_from_db()
    assert run.status == Run.Status.CANCELLED
    # Operators have no change permission on jobs: the page is read-only for them.
    assert operator.post(job_url(job), settings_post(title="x")).status_code == 403


def test_anonymous_is_sent_to_login():
    job = JobFactory()
    run = RunFactory(job=job)
    client = Client()
    for url in (JOBS_URL, job_url(job), job_url(job, "run"), RUNS_URL, run_url(run), run_url(run, "status")):
        response = client.get(url)
        assert response.status_code == 302 and reverse("admin:login") in response["Location"], url
    response = client.post(run_url(run, "cancel"))
    assert response.status_code == 302 and reverse("admin:login") in response["Location"]
    run.refresh_from_db()
    assert run.status == Run.Status.SUCCESS


def csrf_token_of(client, url):
    html = client.get(url).content.decode()
    return re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', html).group(1)


def test_every_admin_post_needs_its_csrf_token(admin_user):
    client = Client(enforce_csrf_checks=True)
    client.force_login(admin_user)
    job = JobFactory(task_type="test_echo")
    run = RunFactory(job=job, status=Run.Status.QUEUED)
    posts = [
        (job_url(job, "run"), {"_run": "1"}),
        (run_url(run, "cancel"), {}),
        (run_url(run, "rerun"), {}),
        (job_url(job), settings_post()),
        (RUNS_URL, {"action": "cancel_selected", "_selected_action": [run.pk]}),
    ]
    for url, data in posts:
        assert client.post(url, data).status_code == 403, url
    assert Run.objects.count() == 1
    token = csrf_token_of(client, job_url(job, "run"))
    # The queued run is active: Run now follows the skip policy unless the operator runs it anyway.
    assert client.post(job_url(job, "run"), {"_run_anyway": "1", "csrfmiddlewaretoken": token}).status_code == 302
    token = csrf_token_of(client, run_url(run))
    assert client.post(run_url(run, "cancel"), {"csrfmiddlewaretoken": token}).status_code == 302
    run.refresh_from_db()
    assert run.status == Run.Status.CANCELLED


def test_staff_without_job_permissions_sees_nothing():
    client = staff_client()
    job = JobFactory()
    run = RunFactory(job=job)
    for url in (JOBS_URL, job_url(job), job_url(job, "run"), RUNS_URL, run_url(run), run_url(run, "status"), run_url(run, "logs")):
        assert client.get(url).status_code == 403, url
    assert staff_client("Job viewers").get(reverse("admin:jobs_job_add")).status_code == 403


def test_run_page_breadcrumb_names_the_job_not_a_stale_status(su):
    job = JobFactory(title="Nightly export")
    run = RunFactory(job=job, status=Run.Status.QUEUED)
    html = su.get(run_url(run)).content.decode()
    crumbs = re.search(r'<div class="breadcrumbs">(.*?)</div>', html, re.S).group(1)
    assert f"Run {run.pk} of Nightly export" in crumbs
    assert "(queued)" not in crumbs



def test_run_list_offers_show_all_only_when_filtered(su):
    RunFactory.create_batch(3, status=Run.Status.SUCCESS)
    assert "Show all" not in su.get(RUNS_URL).content.decode()
    filtered = su.get(RUNS_URL, {"status__exact": "failed"}).content.decode()
    assert "0 results" in filtered and "Show all" in filtered
    assert "Show all" in su.get(RUNS_URL, {"q": "nothing like this"}).content.decode()


def test_add_page_says_when_the_asked_type_is_not_installed(su):
    response = su.get(reverse("admin:jobs_job_add") + "?task_type=no_such_type")
    assert response.status_code == 200 and b"choose its type" in response.content
    assert "Job type &#x27;no_such_type&#x27; is not installed" in response.content.decode()
    assert "is not installed" not in su.get(reverse("admin:jobs_job_add")).content.decode()


def _add_log_lines(run, n):
    now = timezone.now()
    RunLog.objects.bulk_create(RunLog(run=run, seq=i, created_at=now, level=20, logger="t", message="x") for i in range(n))


def test_delete_pages_count_log_lines_instead_of_listing_them(su):
    job = JobFactory(title="Chatty")
    runs = [RunFactory(job=job, status=Run.Status.SUCCESS) for _ in range(2)]
    for run in runs:
        _add_log_lines(run, 600)
    with CaptureQueriesContext(connection) as queries:
        page = su.get(job_url(job, "delete")).content.decode()
    assert len(queries) < 20
    assert "Run log:" not in page and "Log lines: 1200" in page and "Runs: 2" in page
    assert "2 run(s) and their log lines" in page
    page = su.get(run_url(runs[0], "delete")).content.decode()
    assert "Run log:" not in page and "Log lines: 600" in page and f"Run {runs[0].pk} of Chatty (success)" in page
    response = su.post(RUNS_URL, {"action": "delete_selected", "_selected_action": [runs[0].pk]})
    assert "Log lines: 600" in response.content.decode()
    assert su.post(job_url(job, "delete"), {"post": "yes"}).status_code == 302
    assert not Job.objects.filter(pk=job.pk).exists() and not Run.objects.exists() and not RunLog.objects.exists()


def test_delete_page_asks_for_run_delete_permission():
    job = JobFactory()
    RunFactory(job=job)
    client = staff_client()
    client.user.user_permissions.add(*Permission.objects.filter(codename__in=["view_job", "delete_job"]))
    page = client.get(job_url(job, "delete")).content.decode()
    assert "your account doesn" in page.lower() and "run" in page
    assert client.post(job_url(job, "delete"), {"post": "yes"}).status_code == 403
    assert Job.objects.exists()


def test_cancel_messages_say_what_happens_next(operator):
    queued = RunFactory(status=Run.Status.QUEUED)
    running = RunFactory(status=Run.Status.RUNNING)
    page = operator.post(run_url(queued, "cancel"), follow=True).content.decode()
    assert f"Run {queued.pk} cancelled." in page
    page = operator.post(run_url(running, "cancel"), follow=True).content.decode()
    assert f"Run {running.pk} was asked to stop: it ends as cancelled when its task next checks" in page


def test_run_now_error_note_counts_the_errors(su):
    job = JobFactory(task_type="test_fields", default_args={"text": "x"})
    one = su.post(job_url(job, "run"), {A + "count": "x", "_run": "1"}).content.decode()
    assert "Please correct the error below." in one
    two = su.post(job_url(job, "run"), {A + "count": "x", A + "ratio": "y", "_run": "1"}).content.decode()
    assert "Please correct the errors below." in two


def test_job_titles_are_escaped_on_run_and_delete_pages(su):
    job = JobFactory(title="<script>alert(1)</script>")
    run = RunFactory(job=job, status=Run.Status.SUCCESS)
    for url in (run_url(run), run_url(run, "delete"), job_url(job, "delete"), JOBS_URL, RUNS_URL):
        page = su.get(url).content.decode()
        assert "<script>alert(1)</script>" not in page, url
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page, url


def test_run_page_names_first_runs_and_retries(su):
    first = RunFactory(status=Run.Status.FAILED, attempt=0)
    retry = RunFactory(job=first.job, status=Run.Status.SUCCESS, retry_of=first, attempt=1)
    first_page = su.get(run_url(first)).content.decode()
    assert "first run (not a retry)" in first_page and f"retried as <a href=\"{run_url(retry)}\">run {retry.pk}</a> (retry 1," in first_page
    retry_page = su.get(run_url(retry)).content.decode()
    assert '<div class="readonly">retry 1</div>' in retry_page and "(first run," in retry_page


def test_run_list_date_drill_down_still_offers_show_all(su):
    RunFactory(status=Run.Status.SUCCESS)
    assert "Show all" in su.get(RUNS_URL, {"created_at__gte": "2000-01-01 00:00:00+00:00"}).content.decode()
    assert "Show all" not in su.get(RUNS_URL, {"o": "-1"}).content.decode()
