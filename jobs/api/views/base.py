"""What every API view shares: the permission check by ``required_perms`` and renderers for streams."""

from __future__ import annotations

from rest_framework.renderers import BaseRenderer, JSONRenderer
from rest_framework.response import Response
from rest_framework.views import APIView

from jobs.api.permissions import ActionPermission


class ApiView(APIView):
    permission_classes = [ActionPermission]
    required_perms: dict[str, tuple[str, ...]] = {}

    def finalize_response(self, request, response, *args, **kwargs):
        """Errors are JSON whatever the view streams (a log as text, events, an archive)."""
        if isinstance(response, Response) and response.status_code >= 400:
            request.accepted_renderer, request.accepted_media_type = JSONRenderer(), JSONRenderer.media_type
        return super().finalize_response(request, response, *args, **kwargs)


class PlainTextRenderer(BaseRenderer):
    media_type = "text/plain"
    format = "txt"
    charset = "utf-8"

    def render(self, data, accepted_media_type=None, renderer_context=None):
        return data if isinstance(data, (bytes, str)) else str(data)


class EventStreamRenderer(PlainTextRenderer):
    media_type = "text/event-stream"
    format = "sse"
