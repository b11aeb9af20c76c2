"""Run now under the overlap policy: simultaneous clicks against the live server, and "Run anyway"."""

import re
import threading

import pytest
import redis
import requests
from django.conf import settings
from django.urls import reverse

from jobs.models import Job, Run
from tests.conftest import in_threads

QUEUE = "jobsite-test-manual"  # no worker consumes it: the runs stay active
CLICKS = 20


@pytest.fixture
def quiet_queue():
    client = redis.Redis.from_url(settings.CELERY_BROKER_URL)
    yield
    client.delete(QUEUE)


def _operator_session(live_server, user) -> requests.Session:
    session = requests.Session()
    login = f"{live_server.url}/admin/login/"
    session.get(login)
    session.post(login, data={"username": user.username, "password": "admin-password",
                              "csrfmiddlewaretoken": session.cookies["csrftoken"], "next": "/admin/"})
    return session


def _run_now_form(session, url) -> dict:
    page = session.get(url).text
    return {
        "csrfmiddlewaretoken": re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page).group(1),
        "run_token": re.search(r'name="run_token" value="([0-9a-f]{32})"', page).group(1),
    }


def _click_together(live_server, admin_user, job, extra: dict) -> list[int]:
    """``CLICKS`` operators' forms, rendered first, then submitted at the same moment; their status codes."""
    url = live_server.url + reverse("admin:jobs_job_run", args=[job.pk])
    sessions = [_operator_session(live_server, admin_user) for _ in range(CLICKS)]
    forms = [_run_now_form(session, url) for session in sessions]
    start = threading.Barrier(CLICKS)
    codes: list[int] = []

    def click(session, form):
        start.wait()
        codes.append(session.post(url, data={**form, **extra}, allow_redirects=False).status_code)

    in_threads(click, zip(sessions, forms, strict=True))
    return codes


@pytest.mark.django_db(transaction=True)
def test_simultaneous_run_now_clicks_on_a_skip_job_start_one_run(live_server, admin_user, quiet_queue):
    job = Job.objects.create(title="Skip job", task_type="test_echo", queue=QUEUE, overlap_policy=Job.OverlapPolicy.SKIP)
    codes = _click_together(live_server, admin_user, job, {"_run": "1"})
    assert sorted(codes) == [200] * (CLICKS - 1) + [302]  # one redirect to its run, the others see why not
    assert Run.objects.filter(job=job).count() == 1


@pytest.mark.django_db(transaction=True)
def test_run_anyway_starts_a_run_beside_the_active_one(live_server, admin_user, quiet_queue):
    job = Job.objects.create(title="Skip job", task_type="test_echo", queue=QUEUE, overlap_policy=Job.OverlapPolicy.SKIP)
    codes = _click_together(live_server, admin_user, job, {"_run_anyway": "1"})
    assert codes == [302] * CLICKS
    assert Run.objects.filter(job=job, status=Run.Status.QUEUED).count() == CLICKS


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("policy", "outcome"),
    [("skip", "refused"), ("queue", "held"), ("allow", "queued"), ("replace", "queued")],
)
def test_run_now_follows_each_policy(client, admin_user, policy, outcome):
    client.force_login(admin_user)
    job = Job.objects.create(title="J", task_type="test_echo", queue=QUEUE, overlap_policy=policy)
    active = Run.objects.create(job=job, status=Run.Status.RUNNING, queue=QUEUE)
    url = reverse("admin:jobs_job_run", args=[job.pk])
    assert b'name="_run_anyway"' in client.get(url).content
    response = client.post(url, {"_run": "1"})
    new = Run.objects.filter(job=job).exclude(pk=active.pk).first()
    if outcome == "refused":
        assert response.status_code == 200 and new is None
        assert "overlap policy" in " ".join(response.context["form"].non_field_errors())
        return
    assert response.status_code == 302 and new.status == Run.Status.QUEUED
    assert new.held is (outcome == "held")
    active.refresh_from_db()
    assert (active.status == Run.Status.CANCELLING) is (policy == "replace")
