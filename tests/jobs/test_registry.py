"""Job types found through entry points of an installed plugin, problems as system checks, the author contract."""

import contextlib
import io
import subprocess
import sys
import textwrap

import pytest
from django.core import checks
from django.core.management import call_command
from django.core.management.base import SystemCheckError

from jobs.models import Run
from jobs.registry import build_schema, registry
from jobs.runs.execution import run_execute
from jobs.runs.services import run_create
from tests.conftest import ROOT, worker_env
from tests.factories import JobFactory

PLUGIN = "jsplugin_demo"

# A PEP 517 backend in the plugin's own tree: builds the wheel from pyproject.toml with
# the standard library only, so installing the plugin needs no network and no `wheel`.
BACKEND = '''
import base64, hashlib, pathlib, tomllib, zipfile

def get_requires_for_build_wheel(config_settings=None):
    return []

def build_wheel(wheel_directory, config_settings=None, metadata_directory=None):
    root = pathlib.Path(__file__).parent
    project = tomllib.loads((root / "pyproject.toml").read_text())["project"]
    name, version = project["name"].replace("-", "_"), project["version"]
    info = f"{name}-{version}.dist-info"
    files = {str(p.relative_to(root)): p.read_bytes() for p in (root / name).rglob("*.py")}
    files[f"{info}/METADATA"] = f"Metadata-Version: 2.1\\nName: {project['name']}\\nVersion: {version}\\n".encode()
    files[f"{info}/WHEEL"] = b"Wheel-Version: 1.0\\nGenerator: plugin_backend\\nRoot-Is-Purelib: true\\nTag: py3-none-any\\n"
    groups = project.get("entry-points", {})
    files[f"{info}/entry_points.txt"] = "".join(
        f"[{group}]\\n" + "".join(f"{k} = {v}\\n" for k, v in eps.items()) + "\\n" for group, eps in groups.items()
    ).encode()
    def digest(data):
        return "sha256=" + base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()
    record = "".join(f"{path},{digest(data)},{len(data)}\\n" for path, data in files.items()) + f"{info}/RECORD,,\\n"
    wheel = f"{name}-{version}-py3-none-any.whl"
    with zipfile.ZipFile(pathlib.Path(wheel_directory) / wheel, "w") as zf:
        for path, data in files.items():
            zf.writestr(path, data)
        zf.writestr(f"{info}/RECORD", record)
    return wheel
'''

PYPROJECT = f'''
[build-system]
requires = []
build-backend = "plugin_backend"
backend-path = ["."]

[project]
name = "jsplugin-demo"
version = "0.1"

[project.entry-points."jobsite.jobs"]
plugin_good = "{PLUGIN}.good:Good"
plugin_good_copy = "{PLUGIN}.good:GoodAgain"
plugin_broken = "{PLUGIN}.broken:Broken"
plugin_bad_schema = "{PLUGIN}.good:BadSchema"
plugin_not_a_job = "{PLUGIN}.good:NotAJob"
'''

GOOD = '''
import logging
from marshmallow import fields
from jobs.registry import RegisteredTask

def shout(word="hey"):
    logging.getLogger(__name__).info("shout %s", word.upper())
    return {"message": word.upper()}

class Good(RegisteredTask):
    title = "Plugin good"
    task = shout
    arguments_schema = {"word": fields.String(load_default="hey")}

class GoodAgain(RegisteredTask):
    id = "plugin_good"
    title = "Plugin good, again"
    task = shout

class BadSchema(RegisteredTask):
    title = "Bad schema"
    task = shout
    arguments_schema = {"word": str}

class NotAJob:
    task = shout
'''

BROKEN = 'raise ImportError("jsplugin_demo.broken needs the libfrobnicate C library")\n'


@pytest.fixture(scope="module")
def plugin_site(tmp_path_factory):
    """Build and install the plugin distribution into a throwaway target directory (offline)."""
    base = tmp_path_factory.mktemp("plugin")
    project = base / "project"
    (project / PLUGIN).mkdir(parents=True)
    (project / "pyproject.toml").write_text(textwrap.dedent(PYPROJECT))
    (project / "plugin_backend.py").write_text(BACKEND)
    (project / PLUGIN / "__init__.py").write_text("")
    (project / PLUGIN / "good.py").write_text(GOOD)
    (project / PLUGIN / "broken.py").write_text(BROKEN)
    site = base / "site"
    subprocess.run(
        [sys.executable, "-m", "pip", "install", "--quiet", "--no-deps", "--no-build-isolation", "--no-index",
         "--disable-pip-version-check", "--target", str(site), str(project)],
        check=True, capture_output=True, timeout=120,
    )
    assert (site / "jsplugin_demo-0.1.dist-info" / "entry_points.txt").exists()
    return site


@contextlib.contextmanager
def plugin_on_path(site):
    """The plugin importable (its entry points visible) inside the block; gone, modules too, after it."""
    sys.path.append(str(site))
    try:
        yield site
    finally:
        sys.path.remove(str(site))
        for name in [m for m in sys.modules if m == PLUGIN or m.startswith(f"{PLUGIN}.")]:
            del sys.modules[name]


@pytest.fixture
def plugin_installed(plugin_site):
    with plugin_on_path(plugin_site):
        registry.reload()
        yield plugin_site
    registry.reload()


def test_plugin_types_are_discovered_and_problems_reported(plugin_installed):
    assert registry.get("plugin_good").title == "Plugin good"
    for broken in ("plugin_good_copy", "plugin_broken", "plugin_bad_schema", "plugin_not_a_job"):
        assert broken not in registry
    assert {"purge_runs", "test_echo", "test_since"} <= set(registry.types)

    errors = {e.id: e.msg for e in checks.run_checks(tags=["jobs"])}
    assert set(errors) == {"jobs.E001", "jobs.E002", "jobs.E003", "jobs.E004"}
    assert errors["jobs.E001"] == (
        f"Job type entry point 'plugin_broken' ({PLUGIN}.broken:Broken) of jsplugin-demo cannot be imported: "
        "ImportError: jsplugin_demo.broken needs the libfrobnicate C library."
    )
    assert "has an invalid arguments_schema: argument 'word' is type, not a marshmallow field" in errors["jobs.E003"]
    assert "'plugin_good_copy'" in errors["jobs.E004"] and "duplicates job type id 'plugin_good'" in errors["jobs.E004"]
    assert "is not a subclass of jobs.registry.RegisteredTask" in errors["jobs.E002"]

    with pytest.raises(SystemCheckError) as info:
        call_command("check")
    assert "jobs.E001" in str(info.value) and "libfrobnicate" in str(info.value)


@pytest.mark.django_db
def test_jobs_list_shows_plugin_types_and_unavailable_ones(plugin_installed):
    out = io.StringIO()
    call_command("jobs", "list", stdout=out)
    text = out.getvalue()
    assert any(line.split()[:3] == ["plugin_good", "Plugin", "good"] for line in text.splitlines())
    problems = text[text.index("Unavailable job types"):text.index("Jobs")]
    assert "jobs.E001" in problems and "plugin_broken" in problems and "libfrobnicate" in problems
    assert "jobs.E003" in problems and "jobs.E004" in problems


@pytest.mark.django_db
def test_plugin_and_project_types_run_next_to_broken_entry_points(plugin_installed):
    plugin_run = run_create(job=JobFactory(task_type="plugin_good"), args={"word": "ok"})
    assert run_execute(run_id=plugin_run.pk) == Run.Status.SUCCESS
    plugin_run.refresh_from_db()
    assert plugin_run.message == "OK"
    assert plugin_run.logs.filter(message="shout OK", logger=f"{PLUGIN}.good").exists()
    echo_run = run_create(job=JobFactory(task_type="test_echo"), args={"lines": 1})
    assert run_execute(run_id=echo_run.pk) == Run.Status.SUCCESS


def test_registry_forgets_the_plugin_after_reload(plugin_site):
    with plugin_on_path(plugin_site):
        registry.reload()
        assert "plugin_good" in registry and registry.problems
    # Still loaded: the registry keeps what it found until it is told to look again.
    assert "plugin_good" in registry
    registry.reload()
    assert "plugin_good" not in registry
    assert not registry.problems


def test_manage_py_check_reports_the_plugin_problems(plugin_site):
    env = worker_env(PYTHONPATH=f"{ROOT}:{plugin_site}")
    done = subprocess.run(
        [sys.executable, "manage.py", "check"], cwd=ROOT, env=env, capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 1
    assert "jobs.E001" in done.stderr and "libfrobnicate" in done.stderr
    assert "jobs.E003" in done.stderr and "jobs.E004" in done.stderr
    assert "System check identified 4 issues" in done.stderr


def test_build_schema_accepts_dict_schema_class_or_nothing():
    from marshmallow import Schema, fields

    class Arguments(Schema):
        n = fields.Integer(load_default=1)

    assert build_schema({"n": fields.Integer()}).load({"n": "2"}) == {"n": 2}
    assert build_schema(Arguments).load({}) == {"n": 1}
    assert build_schema(None).load({}) == {}
    with pytest.raises(TypeError, match="not a marshmallow field"):
        build_schema({"n": int})
    with pytest.raises(TypeError, match="must be a dict of marshmallow fields or a Schema class"):
        build_schema([fields.Integer()])


# --- the job-author contract: seed-style ``since`` ------------------------------------


@pytest.mark.django_db
def test_since_defaults_to_the_start_of_the_last_success():
    job = JobFactory(task_type="test_since")
    first = run_create(job=job)
    assert first.args == {"since": None}
    assert run_execute(run_id=first.pk) == Run.Status.SUCCESS
    first.refresh_from_db()

    second = run_create(job=job)  # the same Job instance: its last runs must not be stale
    assert second.args == {"since": first.started_at.isoformat()}
    assert second.args["since"].endswith("+00:00")
    second.refresh_from_db()
    assert second.args["since"] == first.started_at.isoformat()

    explicit = run_create(job=job, args={"since": "2026-01-01T00:00:00+02:00"})
    assert explicit.args == {"since": "2026-01-01T00:00:00+02:00"}
