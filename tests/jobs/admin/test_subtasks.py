"""Subtasks in the admin: top-level runs listed by default, the children panel on a parent's page."""

import re

import pytest
from django.test import Client
from django.urls import reverse

from jobs.admin.subtasks import CHILDREN_PER_PAGE
from jobs.models import Run
from jobs.runs.execution import run_execute
from jobs.runs.services import run_create
from tests.factories import JobFactory

pytestmark = pytest.mark.django_db
RUNS_URL = reverse("admin:jobs_run_changelist")


@pytest.fixture
def su(admin_user):
    client = Client()
    client.force_login(admin_user)
    return client


def _fanned_out(children: int, **args) -> Run:
    parent = run_create(job=JobFactory(task_type="test_fanout", title="Fan"), args={"children": children, **args})
    run_execute(run_id=parent.pk)
    return parent


def _listed_ids(html: str) -> set[int]:
    return {int(pk) for pk in re.findall(r'href="/admin/jobs/run/(\d+)/change/', html)}


def test_the_run_list_shows_top_level_runs_unless_asked_for_subtasks(su):
    parent = _fanned_out(3)
    children = set(Run.objects.filter(parent=parent).values_list("pk", flat=True))
    assert _listed_ids(su.get(RUNS_URL).content.decode()) == {parent.pk}
    assert _listed_ids(su.get(RUNS_URL, {"level": "subtasks"}).content.decode()) == children
    assert _listed_ids(su.get(RUNS_URL, {"level": "all"}).content.decode()) == children | {parent.pk}


def test_a_parents_page_counts_and_pages_its_children(su):
    parent = _fanned_out(CHILDREN_PER_PAGE + 5, fail=[0])
    children = list(Run.objects.filter(parent=parent).order_by("pk"))
    run_execute(run_id=children[0].pk)
    html = su.get(reverse("admin:jobs_run_change", args=[parent.pk])).content.decode()
    assert f"Subtasks ({CHILDREN_PER_PAGE + 5})" in html
    counts = re.search(r'<p class="jobs-children-counts">(.*?)</p>', html, re.S).group(1)
    assert re.sub(r"<[^>]+>", "", counts).split(" · ") == ["Queued 54", "Failed 1"]
    assert html.count('<tr class="jobs-child">') == CHILDREN_PER_PAGE and "page 1 of 2" in html
    second = su.get(reverse("admin:jobs_run_change", args=[parent.pk]), {"children_page": 2}).content.decode()
    assert second.count('<tr class="jobs-child">') == 5
    assert f'href="/admin/jobs/run/{children[-1].pk}/change/"' in second


def test_a_subtasks_page_links_to_its_parent(su):
    parent = _fanned_out(1)
    child = Run.objects.get(parent=parent)
    html = su.get(reverse("admin:jobs_run_change", args=[child.pk])).content.decode()
    assert "<strong>part 0</strong>" in html and f'a subtask of <a href="/admin/jobs/run/{parent.pk}/change/">' in html
