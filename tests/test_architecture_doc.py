"""docs/architecture.md matches the code: every module and file it names exists."""

import importlib
import re
from pathlib import Path

from jobs.runs import dispatch

ROOT = Path(__file__).resolve().parent.parent
DOC = ROOT / "docs" / "architecture.md"
PATHS = re.compile(r"`((?:jobs|jobsite|vocabularies|exports|tests)/[\w/.]*)`")
DOTTED = re.compile(r"`((?:jobs|vocabularies|exports)(?:\.\w+)+)")
LISTED = re.compile(r"^\| `(jobs/\w+/)` \| (.*?) \|$", re.M)


def _exists_as_module(dotted: str) -> bool:
    """``jobs.runs.ending`` or ``jobs.runs.ending.run_end``: a module, or a name defined in one."""
    parts = dotted.split(".")
    for cut in range(len(parts), 0, -1):
        try:
            target = importlib.import_module(".".join(parts[:cut]))
        except ImportError:
            continue
        for name in parts[cut:]:
            if not hasattr(target, name):
                return False
            target = getattr(target, name)
        return True
    return False


def test_every_path_named_in_the_architecture_document_exists():
    text = DOC.read_text()
    paths = set(PATHS.findall(text))
    assert len(paths) > 30
    missing = sorted(p for p in paths if not (ROOT / p).exists())
    assert missing == []


def test_every_dotted_module_named_in_the_architecture_document_exists():
    task_names = {dispatch.EXECUTE_RUN, dispatch.FIRE_SCHEDULE, dispatch.ENFORCE_CANCEL}
    names = {name for name in DOTTED.findall(DOC.read_text()) if not name.endswith(".py")} - task_names
    assert len(names) > 10
    assert sorted(n for n in names if not _exists_as_module(n)) == []


def test_the_files_listed_for_a_package_exist_in_it():
    for package, cell in LISTED.findall(DOC.read_text()):
        for name in re.findall(r"`(\w+\.py)`", cell):
            assert (ROOT / package / name).is_file(), f"{package}{name}"


def test_every_jobs_module_is_on_the_map():
    text = DOC.read_text()
    modules = [p.relative_to(ROOT).as_posix() for p in (ROOT / "jobs").rglob("*.py")]
    unmapped = []
    for module in modules:
        if "/migrations/" in module or module.endswith("__init__.py") and module != "jobs/__init__.py":
            continue
        package, name = module.rsplit("/", 1)
        if f"`{module}`" not in text and not (f"`{package}/`" in text and f"`{name}`" in text):
            unmapped.append(module)
    assert unmapped == []
