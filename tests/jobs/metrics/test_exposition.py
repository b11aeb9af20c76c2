"""The text /metrics writes is byte for byte what prometheus_client's ``generate_latest`` writes for the same data."""

import datetime as dt

import pytest
from django.utils import timezone
from prometheus_client import generate_latest
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, HistogramMetricFamily
from prometheus_client.metrics_core import Metric

from jobs.metrics.collector import registry_build
from jobs.metrics.exposition import JOB_LABELS, JobFamily, JobLabels, exposition
from jobs.models import Run
from tests.factories import JobFactory, RunFactory
from tests.jobs.metrics.test_views import _history

TITLES = ['Quote " and backslash \\ job', "Two\nlines", "Zürich ✓ import", "", "{braces}, commas=and \\n"]
VALUES = [0, 1, -3, 0.1, 1e-7, 2.5e-3, 123456, 999999, 1000000, 1234567, -1234567, -(10**15), -(10**15) + 1,
          10**17, 12345.678, 1e300, float("inf"), float("-inf"), True]


class _Families:
    def __init__(self, families):
        self.families = families

    def collect(self):
        return self.families


def _same_text(families):
    text = exposition(_Families(families))
    assert text == generate_latest(_Families(families))
    return text


def _jobs():
    return [JobLabels(title, pk, f"type_{pk}") for pk, title in enumerate(TITLES, start=1)]


@pytest.mark.parametrize("extra", [(), ("status", "trigger"), ("counter",), ("zone",), ("a", "job_a", "le_x")])
def test_counters_and_gauges(extra):
    counter = JobFamily(CounterMetricFamily("jobsite_things", 'Things "counted"\\ \n twice.', labels=[*JOB_LABELS, *extra]), extra)
    gauge = JobFamily(GaugeMetricFamily("jobsite_level", "A level.", labels=[*JOB_LABELS, *extra]), extra)
    for job in _jobs():
        for i, value in enumerate(VALUES):
            labels = tuple(f'{name}-{i % 3}"\\\n' for name in extra)
            counter.add(job, labels, abs(value))
            gauge.add(job, labels, value)
    text = _same_text([counter, gauge])
    assert text.count(b"\n") == 2 * (2 + len(TITLES) * len(VALUES))


@pytest.mark.parametrize("extra", [(), ("status",), ("counter", "zone")])
def test_histograms(extra):
    family = JobFamily(HistogramMetricFamily("jobsite_took_seconds", "Took.", labels=[*JOB_LABELS, *extra]), extra)
    for job in _jobs():
        labels = tuple(f"{name}-{job.values[1]}" for name in extra)
        family.add(job, labels, [("0.5", 1), ("1.0", 1234567), ("+Inf", 10**7)], 98765.4321)
        family.add(job, labels, [("-1.0", 0), ("+Inf", 2)], 3.0)  # a negative bound: no count and sum
    _same_text([family])


def test_only_empty_counters_gauges_and_histograms_are_wrapped():
    with pytest.raises(ValueError, match="jobsite_x"):
        JobFamily(GaugeMetricFamily("jobsite_x", "X.", value=1))
    with pytest.raises(ValueError, match="jobsite_y"):
        JobFamily(Metric("jobsite_y", "Y.", "info"))


@pytest.mark.django_db
def test_a_scrape_is_what_generate_latest_writes(settings):
    settings.JOBS_METRICS_FOLD_SECONDS = 0
    _history()
    now = timezone.now()
    for title in TITLES:
        job = JobFactory(title=title, task_type="test_echo")
        RunFactory(job=job, started_at=now - dt.timedelta(seconds=1234567), finished_at=now,
                   counters={"created": 1234567, "weird \"name\"\n": 0.5})
        RunFactory(job=job, status=Run.Status.RUNNING, started_at=now)
    families = list(registry_build().collect())
    text = _same_text(families)
    assert b'job="Quote \\" and backslash \\\\ job"' in text and b"jobsite_vocabulary_records" in text
    assert sum(isinstance(f, JobFamily) for f in families) == 7
