"""A run's stored counters: increments that commit with the rows they count, and the handle's own merged in.

A task that writes rows in batches counts them in each batch's transaction
(``current_run().count_committed`` calls ``run_counters_add``), so whatever happens to
its process afterwards (a lost database, a killed worker) the stored counters equal the
committed rows. Those names belong to the database from then on: the run monitor and the
run's end write the handle's other counters over the stored object (``counters_merged``),
never a stale copy of the committed ones.
"""

from __future__ import annotations

from django.db import transaction
from django.db.models import F, Func, JSONField, Value

from jobs.models import Run


class _Merged(Func):
    """``stored || changes`` of two JSON objects: the stored keys, those of ``changes`` replaced."""

    arg_joiner = " || "
    template = "(%(expressions)s)"
    output_field = JSONField()

    def as_sqlite(self, compiler, connection, **extra):
        return self.as_sql(compiler, connection, template="json_patch(%(expressions)s)", arg_joiner=", ", **extra)


def counters_merged(counters: dict):
    """An UPDATE's value for ``Run.counters``: the stored counters with ``counters``' names set."""
    return _Merged(F("counters"), Value(counters, output_field=JSONField()))


def run_counters_add(*, run_id: int, counts: dict[str, int]) -> None:
    """Add ``counts`` to the run's stored counters, in the caller's transaction (under the run's row lock).

    Called inside the transaction that writes the rows counted, last (the row lock is
    then held only until that commit): both commit, or neither.
    """
    with transaction.atomic(savepoint=False):
        stored = Run.objects.select_for_update().filter(pk=run_id).values_list("counters", flat=True).first()
        if stored is None:
            return
        for name, amount in counts.items():
            stored[name] = stored.get(name, 0) + amount
        Run.objects.filter(pk=run_id).update(counters=stored)
