"""docs/alerts.yml: valid rules (promtool when installed) that use only metrics /metrics exports."""

import re
import shutil
import subprocess

import pytest
import yaml
from prometheus_client.parser import text_string_to_metric_families

from tests.conftest import ROOT
from tests.factories import JobFactory, RunFactory

ALERTS = ROOT / "docs" / "alerts.yml"


def _rules():
    groups = yaml.safe_load(ALERTS.read_text())["groups"]
    return [rule for group in groups for rule in group["rules"]]


def test_rules_parse_and_name_the_three_alerts_the_issue_asks_for():
    names = {rule["alert"] for rule in _rules()}
    assert {"JobsiteJobNotSucceeded", "JobsiteJobFailureRateHigh", "JobsiteRunsStuckQueued"} <= names
    for rule in _rules():
        assert rule["expr"].strip() and rule["labels"]["severity"] and rule["annotations"]["summary"]


@pytest.mark.django_db
def test_rules_reference_only_exported_metrics(client, settings):
    settings.JOBS_METRICS_TOKEN = "t"
    job = JobFactory()
    RunFactory(job=job)  # so every family has samples
    text = client.get("/metrics", HTTP_AUTHORIZATION="Bearer t").content.decode()
    exported = set()
    for family in text_string_to_metric_families(text):
        exported |= {sample.name for sample in family.samples}
    exported |= {line.split()[2] for line in text.splitlines() if line.startswith("# TYPE")}
    for rule in _rules():
        used = set(re.findall(r"\bjobsite_[a-z_]+\b", rule["expr"]))
        assert used, rule["alert"]
        assert used <= exported, (rule["alert"], used - exported)


@pytest.mark.skipif(shutil.which("promtool") is None, reason="promtool (Debian package prometheus) not installed")
def test_promtool_checks_and_unit_tests_the_rules():
    subprocess.run(["promtool", "check", "rules", str(ALERTS)], check=True, capture_output=True)
    result = subprocess.run(["promtool", "test", "rules", "alerts_test.yml"], cwd=ALERTS.parent, capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr
