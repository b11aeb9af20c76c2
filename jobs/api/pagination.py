"""Pages of the API: numbered pages for jobs (a small table), keyset cursors for runs (millions of rows).

``KeysetCursorPagination`` orders by ``(-created_at, -id)`` and continues after the last
row of a page with a row comparison ``(created_at, id) < (…, …)`` that PostgreSQL answers
from the runs' composite indexes: page 50 costs what page 1 costs, and nothing counts
the table. The cursor is opaque (URL-safe base64 of the position and direction).
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import json

from django.db.models import BooleanField
from django.db.models.expressions import RawSQL
from rest_framework.exceptions import NotFound, ValidationError
from rest_framework.pagination import BasePagination, PageNumberPagination
from rest_framework.response import Response
from rest_framework.utils.urls import remove_query_param, replace_query_param


class NumberedPagination(PageNumberPagination):
    """Numbered pages; a page that does not exist is bad input (400 on ``page``), like any other parameter."""

    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = 200

    def paginate_queryset(self, queryset, request, view=None):
        try:
            return super().paginate_queryset(queryset, request, view)
        except NotFound as exc:
            raise ValidationError({self.page_query_param: [str(exc.detail)]}) from exc


class KeysetCursorPagination(BasePagination):
    """Newest first by ``(created_at, id)``; ``next`` and ``previous`` links carry the cursor."""

    cursor_query_param = "cursor"
    page_size_query_param = "page_size"
    page_size = 50
    max_page_size = 200

    def _page_size(self, request) -> int:
        raw = request.query_params.get(self.page_size_query_param)
        if raw and raw.isdigit() and int(raw) > 0:
            return min(int(raw), self.max_page_size)
        return self.page_size

    def _decode(self, raw: str):
        try:
            data = json.loads(base64.urlsafe_b64decode(raw.encode() + b"=" * (-len(raw) % 4)))
            return dt.datetime.fromisoformat(data["t"]), int(data["i"]), bool(data.get("r"))
        except (ValueError, KeyError, TypeError, binascii.Error) as exc:
            raise ValidationError({self.cursor_query_param: ["Not a cursor of this list (use a `next` or `previous` link)."]}) from exc

    def _encode(self, row, *, reverse: bool) -> str:
        data = json.dumps({"t": row.created_at.isoformat(), "i": row.pk, "r": int(reverse)}, separators=(",", ":"))
        return base64.urlsafe_b64encode(data.encode()).decode().rstrip("=")

    def paginate_queryset(self, queryset, request, view=None):
        self.request = request
        size = self._page_size(request)
        table = queryset.model._meta.db_table
        raw = request.query_params.get(self.cursor_query_param)
        reverse = False
        if raw:
            created_at, pk, reverse = self._decode(raw)
            op = ">" if reverse else "<"
            queryset = queryset.filter(
                RawSQL(f'("{table}"."created_at", "{table}"."id") {op} (%s, %s)', [created_at, pk], output_field=BooleanField())
            )
        ordering = ("created_at", "id") if reverse else ("-created_at", "-id")
        rows = list(queryset.order_by(*ordering)[: size + 1])
        more = len(rows) > size
        rows = rows[:size]
        if reverse:
            rows.reverse()
        self.has_next = (more if not reverse else True) and bool(rows)
        self.has_previous = (bool(raw) if not reverse else more) and bool(rows)
        self.rows = rows
        return rows

    def _link(self, row, *, reverse: bool):
        url = self.request.build_absolute_uri()
        return replace_query_param(url, self.cursor_query_param, self._encode(row, reverse=reverse))

    def get_paginated_response(self, data):
        next_link = self._link(self.rows[-1], reverse=False) if self.has_next else None
        previous_link = self._link(self.rows[0], reverse=True) if self.has_previous else None
        if previous_link is None and self.request.query_params.get(self.cursor_query_param) and not self.rows:
            previous_link = remove_query_param(self.request.build_absolute_uri(), self.cursor_query_param)
        return Response({"next": next_link, "previous": previous_link, "results": data})

    def get_paginated_response_schema(self, schema):
        return {
            "type": "object",
            "required": ["results"],
            "properties": {
                "next": {"type": "string", "nullable": True, "format": "uri"},
                "previous": {"type": "string", "nullable": True, "format": "uri"},
                "results": schema,
            },
        }

    def get_schema_operation_parameters(self, view):
        return [
            {"name": self.cursor_query_param, "required": False, "in": "query", "schema": {"type": "string"},
             "description": "The position to continue from (from a `next` or `previous` link)."},
            {"name": self.page_size_query_param, "required": False, "in": "query",
             "schema": {"type": "integer", "minimum": 1, "maximum": self.max_page_size},
             "description": f"Runs per page (default {self.page_size})."},
        ]
