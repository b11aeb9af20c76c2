"""The project stands alone: no tracked file refers to a path outside the repository."""

import re
import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
# Built from pieces so that this file does not match itself.
OUTSIDE = [
    re.escape(".." + "/shared"),
    re.escape("shared" + "/data"),
    r"ROOT\." + r"parent\b",
    r"parent\.parent\." + r"parent",
    re.escape("/work" + "/"),
]
PATTERN = re.compile("|".join(OUTSIDE))
TEXT_SUFFIXES = {".py", ".md", ".toml", ".yml", ".yaml", ".cfg", ".ini", ".txt", ".html", ".js", ".css", ".sh", ""}


def _tracked_files() -> list[Path]:
    out = subprocess.run(["git", "ls-files", "-z"], cwd=ROOT, check=True, capture_output=True).stdout
    return [ROOT / name for name in out.decode().split("\0") if name]


def test_no_tracked_file_refers_outside_the_repository():
    offenders = []
    for path in _tracked_files():
        if path.suffix not in TEXT_SUFFIXES or not path.is_file() or "tests/data/" in path.as_posix():
            continue
        for number, line in enumerate(path.read_text(errors="replace").splitlines(), 1):
            if PATTERN.search(line):
                offenders.append(f"{path.relative_to(ROOT)}:{number}: {line.strip()}")
    assert offenders == []


def test_the_pattern_catches_what_it_is_for():
    assert PATTERN.search("SHARED_DATA = ROOT." + "parent / 'shared' / 'data'")
    assert PATTERN.search("see .." + "/shared/DESIGN.md")
    assert not PATTERN.search("ROOT = Path(__file__).resolve().parent.parent")
