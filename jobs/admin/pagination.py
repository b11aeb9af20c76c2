"""A paginator for tables with millions of rows: it never counts the whole table.

It counts at most ``exact_limit`` rows (``SELECT COUNT(*) FROM (... LIMIT n)``, which
an index answers quickly); past that it takes PostgreSQL's estimate: the table's
``pg_class.reltuples`` when the list is unfiltered, else the planner's row estimate
for the filtered query. The admin then shows "about N" and pages still work.
"""

from __future__ import annotations

import json

from django.contrib.admin.options import IS_FACETS_VAR, IS_POPUP_VAR, TO_FIELD_VAR
from django.contrib.admin.views.main import ALL_VAR, ORDER_VAR, ChangeList
from django.core.paginator import Paginator
from django.db import connections
from django.utils.functional import cached_property


class EstimatedCountPaginator(Paginator):
    exact_limit = 10_000
    is_estimate = False

    @cached_property
    def count(self) -> int:
        queryset = self.object_list
        bounded = queryset.order_by()[: self.exact_limit + 1].count()
        self.is_estimate = bounded > self.exact_limit
        if not self.is_estimate:
            return bounded
        estimate = self._estimate(queryset)
        return max(estimate or 0, bounded)

    def _estimate(self, queryset) -> int | None:
        connection = connections[queryset.db]
        if connection.vendor != "postgresql":
            return None
        with connection.cursor() as cursor:
            if not queryset.query.where:
                cursor.execute(
                    "SELECT reltuples::bigint FROM pg_class WHERE oid = %s::regclass", [queryset.model._meta.db_table]
                )
                row = cursor.fetchone()
                if row and row[0] > 0:
                    return int(row[0])
            sql, params = queryset.order_by().values("pk").query.sql_with_params()
            cursor.execute(f"EXPLAIN (FORMAT JSON) {sql}", params)
            plan = cursor.fetchone()[0]
        if isinstance(plan, str):
            plan = json.loads(plan)
        return int(plan[0]["Plan"]["Plan Rows"])


class UncountedChangeList(ChangeList):
    """For admins with ``show_full_result_count = False``: no "N results (Show all)" on the unfiltered list.

    Unfiltered, the page's count already is the whole table's; Django would still offer
    "Show all" linking to the very same page.
    """

    NOT_NARROWING = {ORDER_VAR, ALL_VAR, IS_POPUP_VAR, TO_FIELD_VAR, IS_FACETS_VAR}

    def get_results(self, request):
        super().get_results(request)
        if not set(self.filter_params) - self.NOT_NARROWING:  # no filter, search or date drill-down
            self.full_result_count = self.result_count
