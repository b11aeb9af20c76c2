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
