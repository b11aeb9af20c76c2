"""Export files in the HTTP API: list, read, and download with the admin's permission ("Can download export files").

Mounted under /api/v1/export-files/ by jobsite/urls.py (the job system does not import exports).
"""

from __future__ import annotations

from django.shortcuts import get_object_or_404
from django.urls import path
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.renderers import BaseRenderer, JSONRenderer
from rest_framework.response import Response

from exports.downloads import PERMISSION, exportfile_download
from exports.models import ExportFile
from jobs.api.pagination import NumberedPagination
from jobs.api.views.base import ApiView


class ExportFileSerializer(serializers.ModelSerializer):
    filename = serializers.CharField(read_only=True)

    class Meta:
        model = ExportFile
        fields = ["id", "run", "filename", "serializer", "size", "record_count", "deleted_count", "errored_count",
                  "sha256", "arguments", "created_at"]
        read_only_fields = fields


class GzipRenderer(BaseRenderer):
    media_type = "application/gzip"
    format = "tar.gz"

    def render(self, data, accepted_media_type=None, renderer_context=None):
        return data


VIEW = {"GET": ("exports.view_exportfile",)}


class ExportFileListView(ApiView):
    required_perms = VIEW
    pagination_class = NumberedPagination

    @extend_schema(responses=ExportFileSerializer(many=True), operation_id="export_files_list")
    def get(self, request):
        paginator = NumberedPagination()
        page = paginator.paginate_queryset(ExportFile.objects.order_by("-created_at", "-id"), request, view=self)
        return paginator.get_paginated_response(ExportFileSerializer(page, many=True).data)


class ExportFileDetailView(ApiView):
    required_perms = VIEW

    @extend_schema(responses=ExportFileSerializer, operation_id="export_files_retrieve")
    def get(self, request, pk: int):
        return Response(ExportFileSerializer(get_object_or_404(ExportFile, pk=pk)).data)


class ExportFileDownloadView(ApiView):
    required_perms = {"GET": (PERMISSION,)}
    renderer_classes = [JSONRenderer, GzipRenderer]

    @extend_schema(responses={(200, "application/gzip"): OpenApiTypes.BINARY}, operation_id="export_files_download")
    def get(self, request, pk: int):
        return exportfile_download(request, pk)


urlpatterns = [
    path("export-files/", ExportFileListView.as_view(), name="api-export-files"),
    path("export-files/<int:pk>/", ExportFileDetailView.as_view(), name="api-export-file"),
    path("export-files/<int:pk>/download/", ExportFileDownloadView.as_view(), name="api-export-file-download"),
]
