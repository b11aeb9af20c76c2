"""``jobs runs --parent`` and ``jobs logs PARENT --children``."""

import io

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from jobs.models import Run
from jobs.runs.execution import run_execute
from jobs.runs.services import run_create
from tests.factories import JobFactory

pytestmark = pytest.mark.django_db


def _jobs(*args) -> str:
    out = io.StringIO()
    call_command("jobs", *args, stdout=out, stderr=io.StringIO())
    return out.getvalue()


def _family():
    parent = run_create(job=JobFactory(task_type="test_fanout", title="Fan"), args={"children": 2})
    run_execute(run_id=parent.pk)
    children = list(Run.objects.filter(parent=parent).order_by("pk"))
    for child in children:
        run_execute(run_id=child.pk)
    return parent, children


def test_runs_lists_top_level_runs_or_the_subtasks_of_a_parent():
    parent, children = _family()
    def listed_ids(out: str) -> list[int]:
        return [int(line.split()[0]) for line in out.splitlines()[3:] if line.strip()]

    assert listed_ids(_jobs("runs")) == [parent.pk]
    assert sorted(listed_ids(_jobs("runs", "--parent", str(parent.pk)))) == [child.pk for child in children]


def test_logs_with_children_merges_the_lines_in_time_order():
    parent, children = _family()
    out = _jobs("logs", str(parent.pk), "--children").splitlines()
    assert [line for line in out if "part " in line and "working" in line] == [
        line for line in out if line.startswith(f"[run {children[0].pk}]") and "working" in line
    ] + [line for line in out if line.startswith(f"[run {children[1].pk}]") and "working" in line]
    assert any(line.startswith(f"[run {parent.pk}]") for line in out)
    stamps = [line.split()[2] for line in out]
    assert stamps == sorted(stamps)


def test_logs_children_with_follow_is_bad_input():
    parent, _ = _family()
    with pytest.raises(CommandError) as info:
        _jobs("logs", str(parent.pk), "--children", "--follow")
    assert info.value.returncode == 2
