"""Exceptions of the job system that callers and job authors may catch or raise."""


class ArgumentsInvalid(ValueError):
    """Arguments rejected by a job type's schema; ``messages`` maps field -> errors."""

    def __init__(self, messages):
        self.messages = messages
        super().__init__(format_messages(messages))


class JobTypeUnavailable(LookupError):
    """The job's type is not installed (or failed to load)."""


class RunNotCancellable(ValueError):
    """The run has already ended."""


class JobBusy(RuntimeError):
    """The job has an active run (it cannot be deleted now)."""


class PartialSuccess(Exception):
    """Raise from a task to end the run ``partial_success`` with a message.

    Entries recorded with ``current_run().add_error(...)`` have the same effect without
    an exception.
    """

    def __init__(self, message="", *, errored=None):
        self.errored = errored
        super().__init__(message)


class RunCancelled(Exception):
    """Raised by ``current_run().raise_if_cancelled()``; ends the run ``cancelled``."""


def format_messages(messages, prefix="") -> str:
    """Flatten marshmallow's nested error dict into ``field: message`` lines."""
    if isinstance(messages, dict):
        parts = []
        for key, value in messages.items():
            name = f"{prefix}.{key}" if prefix else str(key)
            parts.append(format_messages(value, name))
        return "; ".join(parts)
    if isinstance(messages, (list, tuple)):
        text = " ".join(str(m) if not isinstance(m, (dict, list)) else format_messages(m, prefix) for m in messages)
        return f"{prefix}: {text}" if prefix else text
    return f"{prefix}: {messages}" if prefix else str(messages)


class ScheduleInvalid(ValueError):
    """A schedule (crontab, interval, date and time, time zone) that cannot be stored."""


class RunOverlaps(Exception):
    """A manual run refused by its job's overlap policy while another run is active."""

    def __init__(self, message, *, active_run_id: int):
        self.active_run_id = active_run_id
        super().__init__(message)
