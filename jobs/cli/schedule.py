"""``manage.py jobs schedule JOB --cron ... [--tz ...] | --every ... | --at ... | --off``: the schedule editor.

``schedule_arguments_add`` fills an argparse (sub)parser; ``schedule_command`` does the
work and returns the lines to print. ``JOB`` follows ``jobs.cli.jobref``'s one rule; bad
input raises ``CommandError`` with exit code 2.
"""

from __future__ import annotations

from jobs.cli.jobref import JOB_HELP, bad_input, job_find
from jobs.exceptions import ScheduleInvalid
from jobs.scheduling.store import schedule_clear, schedule_describe, schedule_next_fire_times, schedule_set


def schedule_arguments_add(parser) -> None:
    parser.add_argument("job", help=JOB_HELP)
    how = parser.add_mutually_exclusive_group()
    how.add_argument("--cron", metavar='"M H DOM MON DOW"', help='Crontab, e.g. "0 3 * * *".')
    how.add_argument("--every", metavar="N{s,m,h,d}", help="Interval, e.g. 90s, 15m, 1h, 1d.")
    how.add_argument("--at", metavar="ISO-8601", help="Once, e.g. 2026-12-01T03:00+01:00.")
    how.add_argument("--off", action="store_true", help="Remove the schedule.")
    parser.add_argument("--tz", default="UTC", help="Time zone of --cron (default UTC), e.g. Europe/Zurich.")


def schedule_command(*, job: str, cron=None, every=None, at=None, off=False, tz="UTC", **_) -> list[str]:
    """Set, change, clear or show a job's schedule; return the lines to print."""
    target = job_find(job)
    if tz != "UTC" and not cron:
        raise bad_input("--tz applies to --cron only")
    try:
        if off:
            target = schedule_clear(job=target)
        elif cron or every or at:
            target = schedule_set(job=target, cron=cron, tz=tz, every=every, at=at)
    except ScheduleInvalid as exc:
        raise bad_input(str(exc)) from exc
    lines = [f"{target.pk} {target.title}: {schedule_describe(target)}"]
    lines += [f"  next: {moment.isoformat()}" for moment in schedule_next_fire_times(target)]
    return lines
