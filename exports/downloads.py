"""Streamed download of an export file, looked up by id (never by a user-supplied path)."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.core.files.storage import default_storage
from django.http import FileResponse, Http404
from django.shortcuts import get_object_or_404

from exports.models import ExportFile

PERMISSION = "exports.download_exportfile"


def exportfile_download(request, pk: int) -> FileResponse:
    """Stream export file ``pk``: 403 without the download permission, 404 when it or its file is gone."""
    if not request.user.has_perm(PERMISSION):
        raise PermissionDenied
    export_file = get_object_or_404(ExportFile, pk=pk)
    try:
        fh = default_storage.open(export_file.name, "rb")
    except (FileNotFoundError, OSError) as exc:
        raise Http404("The export file is no longer in storage.") from exc
    return FileResponse(fh, as_attachment=True, filename=export_file.filename, content_type="application/gzip")
