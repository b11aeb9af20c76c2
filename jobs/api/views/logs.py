"""A run's log: keyset pages with level and text filters, a streamed download, a live follow (SSE)."""

from __future__ import annotations

from django.http import StreamingHttpResponse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework.renderers import JSONRenderer
from rest_framework.response import Response

from jobs.api.follow import log_events
from jobs.api.serializers.logs import LogPageSerializer, LogQuerySerializer
from jobs.api.views.base import ApiView, EventStreamRenderer, PlainTextRenderer
from jobs.api.views.runs import VIEW_RUN, run_get
from jobs.logs.selectors import LogFilter, format_log_line, log_chunks, log_line_json, log_page, seq_parse


def log_query(request) -> tuple[LogFilter, dict]:
    """The validated query parameters (400 with field errors) and the filter they make."""
    query = LogQuerySerializer(data=request.query_params)
    query.is_valid(raise_exception=True)
    params = query.validated_data
    return LogFilter(level=params.get("level"), q=(params.get("q") or "").strip()), params


class RunLogView(ApiView):
    required_perms = {"GET": VIEW_RUN}

    @extend_schema(parameters=[LogQuerySerializer], responses=LogPageSerializer, operation_id="runs_logs_list")
    def get(self, request, pk: int):
        flt, params = log_query(request)
        run = run_get(pk)
        page = log_page(run.pk, flt, after=params.get("after"), before=params.get("before"), last=params["last"],
                        size=params["size"])
        # Plain dicts (the admin's own line format): 200 lines through DRF fields cost several times more.
        return Response({"lines": [log_line_json(line) for line in page.lines], "has_older": page.has_older,
                         "has_newer": page.has_newer, "first_seq": page.first_seq, "last_seq": page.last_seq})


LEVEL_QUERY = [
    OpenApiParameter("level", str, description="Lowest level: DEBUG, INFO, WARNING, ERROR or a number."),
    OpenApiParameter("q", str, description="Text the line contains (any case)."),
]


class RunLogDownloadView(ApiView):
    required_perms = {"GET": VIEW_RUN}
    renderer_classes = [JSONRenderer, PlainTextRenderer]

    @extend_schema(parameters=LEVEL_QUERY, responses={(200, "text/plain"): OpenApiTypes.STR},
                   operation_id="runs_logs_download")
    def get(self, request, pk: int):
        flt, _ = log_query(request)
        run = run_get(pk)

        def lines():
            for rows in log_chunks(run.pk, flt):
                yield "".join(format_log_line(*row[1:]) for row in rows)

        response = StreamingHttpResponse(lines(), content_type="text/plain; charset=utf-8")
        response["Content-Disposition"] = f'attachment; filename="run-{run.pk}.log"'
        return response


class RunLogFollowView(ApiView):
    required_perms = {"GET": VIEW_RUN}
    renderer_classes = [JSONRenderer, EventStreamRenderer]

    @extend_schema(
        parameters=[*LEVEL_QUERY, OpenApiParameter("after", int, description="Send the lines after this seq.")],
        responses={(200, "text/event-stream"): OpenApiResponse(OpenApiTypes.STR, description="Server-Sent Events.")},
        operation_id="runs_logs_follow",
    )
    def get(self, request, pk: int):
        flt, params = log_query(request)
        run = run_get(pk)
        after = seq_parse(request.headers.get("Last-Event-ID"))
        after = after if after is not None else params.get("after", -1)
        events = log_events(run.pk, flt, after=after)
        response = StreamingHttpResponse(events, content_type="text/event-stream")
        response["Cache-Control"] = "no-cache"
        response["X-Accel-Buffering"] = "no"
        return response
