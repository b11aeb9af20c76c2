"""``GET /metrics``: Prometheus' text format, read from the database at scrape time."""

from __future__ import annotations

import logging

from django.http import Http404, HttpResponse
from django.views.decorators.http import require_GET
from prometheus_client import CONTENT_TYPE_LATEST

from jobs import conf
from jobs.gcrelax import relaxed_gc
from jobs.metrics.access import Access, metrics_access
from jobs.metrics.collector import registry_build
from jobs.metrics.exposition import exposition

logger = logging.getLogger(__name__)


@require_GET
def metrics_view(request):
    access = metrics_access(
        token=conf.get("JOBS_METRICS_TOKEN"),
        allow=conf.get("JOBS_METRICS_ALLOW"),
        authorization=request.headers.get("Authorization", ""),
        remote_addr=request.META.get("REMOTE_ADDR", ""),
    )
    if access is Access.OFF:
        raise Http404("metrics are off: set JOBSITE_METRICS_TOKEN or JOBSITE_METRICS_ALLOW")
    if access is Access.DENIED:
        logger.warning("metrics_denied remote_addr=%s", request.META.get("REMOTE_ADDR", ""))
        response = HttpResponse("a bearer token or an allowed address is needed\n", status=401, content_type="text/plain")
        response["WWW-Authenticate"] = 'Bearer realm="metrics"'
        return response
    with relaxed_gc():  # ~27,000 samples at 1,000 jobs: no collector pass over the whole process mid-scrape
        body = exposition(registry_build())
    return HttpResponse(body, content_type=CONTENT_TYPE_LATEST)
