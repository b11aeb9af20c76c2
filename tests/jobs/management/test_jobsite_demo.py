"""`manage.py jobsite_demo`: the admin user and demo jobs that `make run` starts with."""

import io
import re

import pytest
from django.contrib.auth.models import User
from django.core.management import call_command

from jobs.management.commands.jobsite_demo import generated_password

pytestmark = pytest.mark.django_db


def demo(monkeypatch, **env):
    for key in ("DJANGO_SUPERUSER_USERNAME", "DJANGO_SUPERUSER_PASSWORD", "PORT"):
        monkeypatch.delenv(key, raising=False)
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    out = io.StringIO()
    call_command("jobsite_demo", stdout=out)
    return out.getvalue()


def test_prints_a_working_password_and_where_to_log_in(monkeypatch):
    out = demo(monkeypatch, PORT="8799")
    password = re.search(r"created admin user 'admin' with password (\S+);", out).group(1)
    assert User.objects.get(username="admin").check_password(password)
    assert "open http://127.0.0.1:8799/admin/" in out
    again = demo(monkeypatch)
    assert "admin user 'admin' exists" in again and "changepassword admin" in again
    assert "http://127.0.0.1:8000/admin/" in again


def test_generated_passwords_never_start_or_end_with_a_dash():
    passwords = [generated_password() for _ in range(300)]
    assert all(p[0].isalnum() and p[-1].isalnum() for p in passwords)
    assert len(set(passwords)) == 300


@pytest.mark.parametrize("password", ["admin", "password123", "12345678901"])
def test_a_given_password_must_pass_the_validators(monkeypatch, password):
    from django.core.management import CommandError

    with pytest.raises(CommandError, match="DJANGO_SUPERUSER_PASSWORD refused") as refused:
        demo(monkeypatch, DJANGO_SUPERUSER_PASSWORD=password)
    assert refused.value.returncode == 2
    assert not User.objects.filter(username="admin").exists()


def test_a_strong_given_password_is_used_and_not_printed(monkeypatch):
    out = demo(monkeypatch, DJANGO_SUPERUSER_PASSWORD="Correct-Horse-Battery-9")
    assert "(from DJANGO_SUPERUSER_PASSWORD)" in out and "Correct-Horse" not in out
    assert User.objects.get(username="admin").check_password("Correct-Horse-Battery-9")


def test_no_demo_jobs_creates_the_admin_only(monkeypatch):
    from jobs.models import Job

    for key in ("DJANGO_SUPERUSER_USERNAME", "DJANGO_SUPERUSER_PASSWORD", "PORT"):
        monkeypatch.delenv(key, raising=False)
    out = io.StringIO()
    call_command("jobsite_demo", "--no-demo-jobs", stdout=out)
    assert "created admin user 'admin'" in out.getvalue()
    assert not Job.objects.exclude(task_type__in=["reap_lost_runs", "purge_runs"]).exists()
