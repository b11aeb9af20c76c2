"""Reading a run's log: keyset pages, filters, chunks of every line."""

import pytest

from jobs.logs.selectors import LogFilter, log_chunks, log_page, log_tail
from tests.factories import RunFactory, log_lines_add

pytestmark = pytest.mark.django_db


def seqs(page):
    return [line.seq for line in page.lines]


def test_log_pages_are_keyset_by_seq():
    run = RunFactory()
    log_lines_add(run, 450)
    first = log_page(run.pk, LogFilter())
    assert seqs(first) == list(range(200)) and first.has_newer and not first.has_older
    second = log_page(run.pk, LogFilter(), after=first.last_seq)
    assert seqs(second) == list(range(200, 400)) and second.has_older
    third = log_page(run.pk, LogFilter(), after=second.last_seq)
    assert seqs(third) == list(range(400, 450)) and third.follows_tail
    back = log_page(run.pk, LogFilter(), before=third.first_seq)
    assert seqs(back) == list(range(200, 400)) and back.has_older and back.has_newer
    last = log_page(run.pk, LogFilter(), last=True)
    assert seqs(last) == list(range(250, 450)) and last.follows_tail


def test_log_level_filter_and_search():
    run = RunFactory()
    log_lines_add(run, 450)
    assert seqs(log_page(run.pk, LogFilter(level=40))) == [7, 107, 207, 307, 407]
    assert seqs(log_page(run.pk, LogFilter(q="LINE 12 ")))== [12]
    assert LogFilter.from_params({"log_level": "30", "log_q": " x "}, prefix="log_") == LogFilter(level=30, q="x")
    assert LogFilter.from_params({"log_level": "junk"}, prefix="log_") == LogFilter()


def test_log_tail_and_chunks():
    run = RunFactory()
    log_lines_add(run, 450)
    lines, skipped = log_tail(run.pk, LogFilter(), after=100, size=50)
    assert seqs_of(lines) == list(range(400, 450)) and skipped
    chunks = list(log_chunks(run.pk, after=9, chunk=200))
    assert [len(c) for c in chunks] == [200, 200, 40]
    assert chunks[0][0][0] == 10 and chunks[-1][-1][0] == 449
    assert [row[0] for rows in log_chunks(run.pk, LogFilter(level=40)) for row in rows] == [7, 107, 207, 307, 407]


def seqs_of(lines):
    return [line.seq for line in lines]
