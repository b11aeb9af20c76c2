"""The admin history (``LogEntry``) of API runs and cancels, worded like the admin's own entries."""

from __future__ import annotations

from django.contrib.admin.models import CHANGE, LogEntry


def history_record(*, user, obj, message: str) -> None:
    """Add a "changed" entry for ``obj`` by ``user`` to the admin history."""
    LogEntry.objects.log_actions(
        user_id=user.pk, queryset=[obj], action_flag=CHANGE, change_message=message, single_object=True
    )
