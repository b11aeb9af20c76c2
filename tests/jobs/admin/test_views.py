"""The run page's log paging, the JSON endpoint it polls and the log download."""

import json
import re

import pytest
from django.urls import reverse
from django.utils import timezone

from jobs.logs.selectors import LOG_PAGE_SIZE
from jobs.models import Run
from tests.factories import RunFactory, log_lines_add

pytestmark = pytest.mark.django_db




def test_run_page_log_paging_and_filter(su):
    run = RunFactory()
    log_lines_add(run, 450)
    url = reverse("admin:jobs_run_change", args=[run.pk])
    html = su.get(url).content.decode()
    assert "line 199 of" in html and "line 200 of" not in html
    assert "log_after=199" in html and 'data-follow="0"' in html
    html = su.get(url + "?log_after=399").content.decode()
    assert "line 400 of" in html and "line 399 of" not in html and 'data-follow="1"' in html
    html = su.get(url + "?log_level=40&log_q=line").content.decode()
    assert html.count("jobs-level-40") == 5 and "jobs-level-20" not in html
    assert su.get(url + "?log_after=abc&log_before=xyz").status_code == 200


def test_status_endpoint_returns_state_and_new_lines(su):
    run = RunFactory(status=Run.Status.RUNNING, progress_done=3, progress_total=4, counters={"created": 2}, message="busy")
    log_lines_add(run, 10)
    url = reverse("admin:jobs_run_status", args=[run.pk])
    data = json.loads(su.get(url).content)
    assert data["status"] == "running" and data["active"] is True
    assert (data["progress_percent"], data["counters"], data["message"]) == (75.0, {"created": 2}, "busy")
    assert "logs" not in data
    data = json.loads(su.get(url, {"after": 6}).content)
    assert [line["seq"] for line in data["logs"]] == [7, 8, 9]
    assert data["logs"][0]["level"] == "ERROR" and data["more_logs"] is False
    data = json.loads(su.get(url, {"after": -1, "level": 40}).content)
    assert [line["seq"] for line in data["logs"]] == [7]
    assert su.get(reverse("admin:jobs_run_status", args=[999999])).status_code == 404


def test_download_streams_every_line(su):
    run = RunFactory()
    log_lines_add(run, 12_345)
    response = su.get(reverse("admin:jobs_run_logs", args=[run.pk]))
    assert response.status_code == 200 and response.streaming
    assert response["Content-Disposition"] == f'attachment; filename="run-{run.pk}.log"'
    text = b"".join(response.streaming_content).decode()
    lines = text.splitlines()
    assert len(lines) == 12_345
    assert lines[0].endswith("tests: line 0 of 12345") and "ERROR" in lines[7]
    assert lines[-1].endswith("line 12344 of 12345")


def page_seqs(html):
    """The seq of every log line the run page shows, in order."""
    return [int(seq) for seq in re.findall(r'<tr class="jobs-level-\d+"><td>(\d+)</td>', html)]


def test_run_page_shows_pages_of_200_lines_and_newer_goes_to_the_next_keyset_page(su):
    run = RunFactory()
    log_lines_add(run, 450, start=1000)  # seqs 1000..1449: pages are by seq, not by position
    url = reverse("admin:jobs_run_change", args=[run.pk])
    seen = []
    html = su.get(url).content.decode()
    while True:
        seen.append(page_seqs(html))
        assert f"{LOG_PAGE_SIZE} lines per page" in html
        newer = re.search(r'<a href="\?(log_after=\d+)#jobs-logs-module">Newer', html)
        if newer is None:
            break
        html = su.get(f"{url}?{newer.group(1)}").content.decode()
    assert [len(page) for page in seen] == [200, 200, 50]
    assert [seq for page in seen for seq in page] == list(range(1000, 1450))


def test_status_endpoint_gives_the_timing_fields_as_the_page_shows_them(su):
    started = timezone.now()
    run = RunFactory(status=Run.Status.RUNNING, started_at=started, heartbeat_at=started, finished_at=None)
    page = su.get(reverse("admin:jobs_run_change", args=[run.pk])).content.decode()
    data = json.loads(su.get(reverse("admin:jobs_run_status", args=[run.pk])).content)
    assert data["shown"]["finished_at"] == "-"
    for name in ("started_at", "heartbeat_at"):
        assert data["shown"][name] != "-"
        # Exactly what the read-only field of the page says, so the live update matches a reload.
        assert f'<div class="readonly">{data["shown"][name]}</div>' in page


def test_status_endpoint_tail_jumps_to_the_newest_lines(su):
    run = RunFactory(status=Run.Status.RUNNING)
    log_lines_add(run, 1200)
    url = reverse("admin:jobs_run_status", args=[run.pk])
    data = json.loads(su.get(url, {"after": 10, "tail": 1}).content)
    assert [line["seq"] for line in data["logs"]] == list(range(700, 1200))
    assert data["skipped_logs"] is True and data["more_logs"] is False
    data = json.loads(su.get(url, {"after": 1150, "tail": 1}).content)
    assert [line["seq"] for line in data["logs"]] == list(range(1151, 1200)) and data["skipped_logs"] is False
    data = json.loads(su.get(url, {"after": -1, "tail": 1, "level": 40}).content)
    assert [line["seq"] for line in data["logs"]] == [i for i in range(1200) if i % 100 == 7]


def test_log_paging_links_have_no_stray_ampersand(su):
    run = RunFactory(status=Run.Status.SUCCESS)
    log_lines_add(run, 450)
    page = su.get(reverse("admin:jobs_run_change", args=[run.pk])).content.decode()
    assert '?log_after=199#jobs-logs-module"' in page and '?log_last=1#jobs-logs-module"' in page and "?&amp;" not in page


def test_status_endpoint_sends_message_and_traceback_only_when_they_changed(su):
    run = RunFactory(status=Run.Status.RUNNING, message="m" * 100_000, traceback="t" * 100_000)
    url = reverse("admin:jobs_run_status", args=[run.pk])
    first = json.loads(su.get(url).content)
    assert first["message"] == run.message and first["texts"]
    same = json.loads(su.get(url, {"texts": first["texts"]}).content)
    assert "message" not in same and "traceback" not in same and same["status"] == "running"
    Run.objects.filter(pk=run.pk).update(message="changed")
    changed = json.loads(su.get(url, {"texts": first["texts"]}).content)
    assert changed["message"] == "changed" and changed["texts"] != first["texts"]
