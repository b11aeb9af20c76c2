"""Export files in the HTTP API: list and read for viewers, download with "Can download export files"."""

import pytest
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage

from exports.models import ExportFile
from tests.apiclient import token_client
from tests.factories import RunFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def export_file(media):
    name = default_storage.save("exports/records-json-1.tar.gz", ContentFile(b"\x1f\x8b" + b"x" * 1000))
    return ExportFile.objects.create(run=RunFactory(), name=name, serializer="json", size=1002, record_count=3,
                                     sha256="0" * 64)


def test_list_and_read(viewer, export_file):
    api = token_client(viewer)
    listed = api.get("/api/v1/export-files/").json()
    assert listed["count"] == 1 and listed["results"][0]["filename"] == "records-json-1.tar.gz"
    detail = api.get(f"/api/v1/export-files/{export_file.pk}/").json()
    assert (detail["run"], detail["record_count"], detail["size"]) == (export_file.run_id, 3, 1002)
    assert api.get("/api/v1/export-files/999999/").status_code == 404


def test_download_needs_the_permission(viewer, operator, export_file):
    refused = token_client(viewer).get(f"/api/v1/export-files/{export_file.pk}/download/")
    assert refused.status_code == 403 and refused.json()["code"] == "permission_denied"
    response = token_client(operator).get(f"/api/v1/export-files/{export_file.pk}/download/")
    assert response.status_code == 200 and response.streaming
    assert response["Content-Disposition"] == 'attachment; filename="records-json-1.tar.gz"'
    assert b"".join(response.streaming_content) == b"\x1f\x8b" + b"x" * 1000


def test_a_file_gone_from_storage_is_a_json_404(operator, export_file):
    default_storage.delete(export_file.name)
    response = token_client(operator).get(f"/api/v1/export-files/{export_file.pk}/download/")
    assert response.status_code == 404 and response.json()["code"] == "not_found"
