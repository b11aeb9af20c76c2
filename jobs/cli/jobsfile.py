"""``manage.py jobs export [--file F]`` and ``manage.py jobs apply [FILE] [--dry-run] [--prune]``.

``jobsfile_arguments_add`` adds both subcommands to the ``jobs`` parser; the commands
return what to print. A file that cannot be applied exits 2 with every problem listed,
and nothing is written.
"""

from __future__ import annotations

from pathlib import Path

from django.conf import settings
from django.core.management.base import CommandError

from jobs.jobsfile import JobsFileInvalid, plan_lines
from jobs.jobsfile_services import jobsfile_apply, jobsfile_export

EXIT_BAD_INPUT = 2


def jobsfile_arguments_add(sub) -> None:
    export = sub.add_parser("export", help="Write every job (defaults, schedule, run control, notifications) as TOML.")
    export.add_argument("--file", help="Write to this file instead of standard output.")
    apply = sub.add_parser("apply", help="Make the jobs match a jobs file, printing the plan first (all or nothing).")
    apply.add_argument("file", nargs="?", help="The jobs file (default: the JOBSITE_JOBS_FILE setting).")
    apply.add_argument("--dry-run", action="store_true", help="Print the plan; change nothing.")
    apply.add_argument("--prune", action="store_true", help="Also delete jobs that are not in the file.")


def export_command(*, file: str | None = None, **_) -> str:
    """The jobs file's text, or (with ``file``) a line saying where it was written."""
    text = jobsfile_export()
    if not file:
        return text
    Path(file).write_text(text)
    return f"wrote {text.count('[jobs.')} jobs to {file}\n"


def apply_command(*, file: str | None = None, dry_run: bool = False, prune: bool = False, **_) -> list[str]:
    file = file or getattr(settings, "JOBSITE_JOBS_FILE", "")
    if not file:
        return ["no jobs file given and JOBSITE_JOBS_FILE is not set: nothing to apply"]
    try:
        text = Path(file).read_text()
    except OSError as exc:
        raise CommandError(f"cannot read jobs file {file}: {exc.strerror}", returncode=EXIT_BAD_INPUT) from exc
    try:
        plan = jobsfile_apply(text=text, prune=prune, dry_run=dry_run)
    except JobsFileInvalid as exc:
        problems = "\n".join(f"  {error}" for error in exc.errors)
        raise CommandError(f"jobs file {file} not applied, nothing changed:\n{problems}", returncode=EXIT_BAD_INPUT) from exc
    lines = plan_lines(plan)
    if plan.changes:
        lines.append("Dry run: nothing changed." if dry_run else "Applied.")
    return lines
