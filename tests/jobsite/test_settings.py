"""Settings read in a fresh process: start-up refused for a bad key, `check --deploy` clean, .env first."""

import os
import secrets
import subprocess
import sys

import pytest

from tests.conftest import ROOT
from tests.test_compose import example_env


def base_env(tmp_path, **extra) -> dict:
    """The machine's environment without any site setting, on a var folder of its own."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "JOBSITE_", "DATABASE_", "CELERY_", "AXES_"))}
    env.update(DJANGO_SETTINGS_MODULE="jobsite.settings", PYTHONPATH=str(ROOT), JOBSITE_VAR_DIR=str(tmp_path / "var"))
    env.update(extra)
    return env


def manage(env, *args, cwd=ROOT):
    return subprocess.run(
        [sys.executable, str(ROOT / "manage.py"), *args], cwd=cwd, env=env, capture_output=True, text=True, timeout=120
    )


def env_example() -> dict:
    """The documented production environment (.env.example), its required secrets filled in."""
    values = {**example_env(), "DJANGO_SECRET_KEY": secrets.token_urlsafe(50), "POSTGRES_PASSWORD": secrets.token_urlsafe(20)}
    return {key: value for key, value in values.items() if value}


def test_documented_production_environment_passes_check_deploy(tmp_path):
    env = base_env(tmp_path, **env_example())
    env["DATABASE_URL"] = f"postgres://jobsite:{env['POSTGRES_PASSWORD']}@postgres:5432/jobsite"
    done = manage(env, "check", "--deploy", "--fail-level", "WARNING")
    assert done.returncode == 0, done.stdout + done.stderr
    assert "no issues" in done.stdout


def test_check_deploy_warns_without_the_production_environment(tmp_path):
    # The same check fails when HTTPS settings are switched off: the test above can fail.
    env = base_env(tmp_path, **{**env_example(), "DJANGO_SECURE_SSL_REDIRECT": "false", "DJANGO_SECURE_HSTS_SECONDS": "0"})
    done = manage(env, "check", "--deploy", "--fail-level", "WARNING")
    assert done.returncode != 0
    assert "security.W004" in done.stderr + done.stdout and "security.W008" in done.stderr + done.stdout


@pytest.mark.parametrize("key", [None, "change-me-in-production", "short"])
def test_start_up_is_refused_for_a_bad_secret_key_with_debug_off(tmp_path, key):
    env = base_env(tmp_path)
    if key is not None:
        env["DJANGO_SECRET_KEY"] = key
    done = manage(env, "check")
    assert done.returncode != 0
    assert "ImproperlyConfigured" in done.stderr and "DJANGO_SECRET_KEY" in done.stderr


def test_debug_start_up_reuses_one_generated_key_and_creates_no_folder(tmp_path):
    env = base_env(tmp_path, DJANGO_DEBUG="true")
    script = "from django.conf import settings; print(settings.SECRET_KEY)"
    code = [sys.executable, "-c", f"import django; django.setup(); {script}"]
    first = subprocess.run(code, cwd=ROOT, env=env, capture_output=True, text=True, timeout=60)
    assert first.returncode == 0, first.stderr
    assert not (tmp_path / "var").exists()  # nothing created at import time

    (tmp_path / "var").mkdir()
    keys = [subprocess.run(code, cwd=ROOT, env=env, capture_output=True, text=True, timeout=60).stdout for _ in range(2)]
    assert keys[0] == keys[1] == (tmp_path / "var" / "secret_key").read_text()


def test_dot_env_is_read_before_the_var_folder(tmp_path):
    # A copy of the project's settings package beside a .env: JOBSITE_VAR_DIR comes from it.
    project = tmp_path / "project"
    (project / "jobsite").mkdir(parents=True)
    for name in ("settings.py", "secretkey.py"):
        (project / "jobsite" / name).write_text((ROOT / "jobsite" / name).read_text())
    (project / "jobsite" / "__init__.py").write_text("")
    (project / ".env").write_text(f"JOBSITE_VAR_DIR={tmp_path / 'from-dotenv'}\nDJANGO_DEBUG=true\n")
    env = base_env(tmp_path, PYTHONPATH=f"{project}{os.pathsep}{ROOT}")
    del env["JOBSITE_VAR_DIR"]
    code = "import jobsite.settings as s; print(s.VAR_DIR); print(s.DATABASES['default']['NAME'])"
    done = subprocess.run([sys.executable, "-c", code], cwd=project, env=env, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    var_dir, database = done.stdout.split()
    assert var_dir == str(tmp_path / "from-dotenv")
    assert database == str(tmp_path / "from-dotenv" / "jobsite.sqlite3")


def test_readme_lists_every_setting():
    import re

    from jobs.conf import DEFAULTS as JOBS_DEFAULTS
    from vocabularies.conf import DEFAULTS as VOCABULARIES_DEFAULTS

    readme = (ROOT / "README.md").read_text()
    names = set(JOBS_DEFAULTS) | set(VOCABULARIES_DEFAULTS)
    for folder in ("exports", "jobsite"):
        for path in (ROOT / folder).rglob("*.py"):
            names |= set(re.findall(r"\b((?:EXPORTS|JOBSITE|DJANGO)_[A-Z_]+)\b", path.read_text()))
    names -= {"DJANGO_SETTINGS_MODULE"}
    missing = sorted(name for name in names if f"`{name}`" not in readme)
    assert not missing, f"settings missing from the README: {missing}"
