"""A run's log through the API: keyset pages with filters, the streamed download, and the live follow (SSE)."""

from __future__ import annotations

import json

import pytest
import requests

from jobs.api.follow import log_events
from jobs.api.tokens import token_create
from jobs.logs.selectors import LogFilter
from jobs.models import Run
from tests.factories import JobFactory, RunFactory, log_lines_add

pytestmark = pytest.mark.django_db


def seqs(response):
    assert response.status_code == 200, response.content
    return [line["seq"] for line in response.json()["lines"]]


def test_log_pages_and_filters(su_api):
    run = RunFactory()
    log_lines_add(run, 450)
    url = f"/api/v1/runs/{run.pk}/logs/"
    first = su_api.get(url).json()
    assert [line["seq"] for line in first["lines"]] == list(range(200)) and first["has_newer"] and not first["has_older"]
    assert first["lines"][7]["level"] == "ERROR" and first["lines"][0]["message"] == "line 0 of 450"
    assert seqs(su_api.get(f"{url}?after={first['last_seq']}")) == list(range(200, 400))
    assert seqs(su_api.get(f"{url}?last=true&size=10")) == list(range(440, 450))
    assert seqs(su_api.get(f"{url}?before=10&size=3")) == [7, 8, 9]
    assert seqs(su_api.get(f"{url}?level=error")) == [7, 107, 207, 307, 407]
    assert seqs(su_api.get(f"{url}?level=40&q=LINE+307")) == [307]
    bad = su_api.get(f"{url}?level=loud&size=0")
    assert bad.status_code == 400 and set(bad.json()["errors"]) == {"level", "size"}


def test_log_download_streams_every_line(su_api):
    run = RunFactory()
    log_lines_add(run, 12)
    response = su_api.get(f"/api/v1/runs/{run.pk}/logs/download/")
    assert response.status_code == 200 and response["Content-Type"].startswith("text/plain")
    text = b"".join(response.streaming_content).decode()
    assert text.count("\n") == 12 and "ERROR" in text and text.splitlines()[11].endswith("tests: line 11 of 12")
    errors = b"".join(su_api.get(f"/api/v1/runs/{run.pk}/logs/download/?level=ERROR").streaming_content).decode()
    assert errors.splitlines() == [line for line in text.splitlines() if "ERROR" in line]


def parse_events(chunks):
    """Server-Sent Events as (event, id, data) tuples."""
    events = []
    for block in "".join(chunks).split("\n\n"):
        fields = dict(line.split(": ", 1) for line in block.splitlines() if ": " in line and not line.startswith(":"))
        if "event" in fields:
            events.append((fields["event"], fields.get("id"), json.loads(fields["data"])))
    return events


def test_follow_of_an_ended_run_sends_its_lines_and_ends(su_api):
    run = RunFactory(status=Run.Status.SUCCESS)
    log_lines_add(run, 600)
    response = su_api.get(f"/api/v1/runs/{run.pk}/logs/follow/?after=99", HTTP_ACCEPT="text/event-stream")
    assert response.status_code == 200 and response["Content-Type"] == "text/event-stream"
    events = parse_events(chunk.decode() for chunk in response.streaming_content)
    lines = [e for e in events if e[0] == "line"]
    assert [int(e[1]) for e in lines] == list(range(100, 600))
    assert events[-1][0] == "end" and events[-1][2]["status"] == "success"


def test_follow_polls_until_the_run_ends():
    run = RunFactory(status=Run.Status.RUNNING)
    log_lines_add(run, 2)
    sleeps = []

    def sleep(seconds):
        # Between polls, the run logs more and then ends.
        sleeps.append(seconds)
        if len(sleeps) == 1:
            log_lines_add(run, 3, start=2)
        else:
            Run.objects.filter(pk=run.pk).update(status=Run.Status.FAILED)

    events = parse_events(log_events(run.pk, LogFilter(), sleep=sleep))
    assert [int(e[1]) for e in events if e[0] == "line"] == [0, 1, 2, 3, 4]
    assert [e[2]["status"] for e in events if e[0] == "status"] == ["running", "failed"]
    assert events[-1][0] == "end" and len(sleeps) == 2


@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
def test_a_run_started_through_the_api_crosses_the_worker_and_is_followed_to_its_end(live_server, celery_worker, operator):
    job = JobFactory(task_type="test_echo", default_args={"lines": 40, "message": "over http"})
    _, secret = token_create(user=operator, name="ci")
    headers = {"Authorization": f"Bearer {secret}"}
    created = requests.post(f"{live_server.url}/api/v1/jobs/{job.pk}/runs/", json={"args": {"lines": 50}},
                            headers=headers, timeout=10)
    assert created.status_code == 201, created.text
    run_id = created.json()["id"]
    with requests.get(f"{live_server.url}/api/v1/runs/{run_id}/logs/follow/", headers={**headers, "Accept": "text/event-stream"},
                      stream=True, timeout=60) as response:
        assert response.status_code == 200
        events = parse_events(response.iter_content(chunk_size=None, decode_unicode=True))
    lines = [e[2]["message"] for e in events if e[0] == "line" and e[2]["message"].startswith("line ")]
    assert lines == [f"line {i}: over http" for i in range(50)]
    seqs = [int(e[1]) for e in events if e[0] == "line"]
    assert seqs == sorted(set(seqs))  # every line once, in order
    assert events[-1][0] == "end" and events[-1][2]["status"] == "success"
    run = Run.objects.get(pk=run_id)
    assert (run.status, run.trigger, run.started_by_id, run.host != "") == ("success", "api", operator.pk, True)
