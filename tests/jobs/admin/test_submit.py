"""Run now: the one-time token, the page while the broker is down, bad JSON as form errors."""

import re

import pytest
from django.contrib.messages import get_messages

from jobs.models import Run
from tests.brokers import broker_down  # noqa: F401 - a fixture
from tests.factories import JobFactory
from tests.jobs.admin.test_admin import job_url, run_url

pytestmark = pytest.mark.django_db


def _token(client, job) -> str:
    page = client.get(job_url(job, "run")).content.decode()
    return re.search(r'name="run_token" value="([0-9a-f]{32})"', page).group(1)


def test_a_resubmitted_run_now_form_returns_the_first_run(su):  # noqa: F811
    job = JobFactory(task_type="test_echo")
    token = _token(su, job)
    first = su.post(job_url(job, "run"), {"run_token": token, "_run": "1"})
    again = su.post(job_url(job, "run"), {"run_token": token, "_run": "1"})
    run = Run.objects.get(job=job)
    assert first["Location"] == again["Location"] == run_url(run)
    assert "already submitted" in " ".join(m.message for m in get_messages(again.wsgi_request))
    assert _token(su, job) != token  # a new rendering, a new run


@pytest.mark.django_db(transaction=True)  # autocommit, as in production: the send happens inside the request
def test_run_now_while_the_broker_is_down_says_so_instead_of_failing(su, broker_down):  # noqa: F811
    job = JobFactory(task_type="test_echo")
    response = su.post(job_url(job, "run"), {"run_token": _token(su, job), "_run": "1"})
    run = Run.objects.get(job=job)
    assert response.status_code == 302 and response["Location"] == run_url(run)
    assert (run.status, run.message) == (Run.Status.QUEUED, "waiting for the broker")
    shown = " ".join(m.message for m in get_messages(response.wsgi_request))
    assert "will be sent as soon as the broker is back" in shown


@pytest.mark.parametrize(
    ("override", "field"),
    [("[" * 1000 + "]" * 1000, "override"), ('{"message": "a\\u0000b"}', "override"), ('{"message": "' + "x" * 70_000 + '"}', "override")],
    ids=["deep", "nul", "huge"],
)
def test_run_now_with_bad_json_is_a_form_error(su, override, field):  # noqa: F811
    job = JobFactory(task_type="test_echo")
    response = su.post(job_url(job, "run"), {"override": override, "_run": "1"})
    assert response.status_code == 200
    assert response.context["form"].errors
    assert not Run.objects.exists()
