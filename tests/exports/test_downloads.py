"""Export file downloads: permission, streaming, lookups by id only; the run page helper."""

import pytest
from django.contrib.auth.models import Permission
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.urls import reverse

from exports.links import export_files_for_run
from exports.models import ExportFile
from tests.factories import RunFactory, UserFactory

pytestmark = pytest.mark.django_db


def staff(*perms):
    user = UserFactory(is_staff=True)
    for codename in perms:
        user.user_permissions.add(Permission.objects.get(codename=codename, content_type__app_label="exports"))
    return user


@pytest.fixture
def export_file(media):
    name = default_storage.save("exports/records-json-1-20250101T000000Z.tar.gz", ContentFile(b"\x1f\x8b" + b"x" * 100_000))
    return ExportFile.objects.create(run=RunFactory(), name=name, serializer="json", size=100_002, record_count=3, sha256="0" * 64)


def url(pk):
    return reverse("admin:exports_exportfile_download", args=[pk])


def test_permitted_user_gets_a_streamed_attachment(client, export_file):
    client.force_login(staff("view_exportfile", "download_exportfile"))
    response = client.get(url(export_file.pk))
    assert response.status_code == 200 and response.streaming
    assert response["Content-Disposition"] == 'attachment; filename="records-json-1-20250101T000000Z.tar.gz"'
    assert b"".join(response.streaming_content) == b"\x1f\x8b" + b"x" * 100_000


def test_user_without_the_permission_gets_403(client, export_file):
    client.force_login(staff("view_exportfile"))
    assert client.get(url(export_file.pk)).status_code == 403


def test_anonymous_user_is_sent_to_login(client, export_file):
    response = client.get(url(export_file.pk))
    assert response.status_code == 302 and reverse("admin:login") in response["Location"]


def test_unknown_id_and_missing_file_are_404(client, export_file):
    client.force_login(staff("download_exportfile"))
    assert client.get(url(export_file.pk + 1000)).status_code == 404
    default_storage.delete(export_file.name)
    assert client.get(url(export_file.pk)).status_code == 404


def test_export_file_list_shows_download_links_only_to_permitted_users(client, export_file):
    client.force_login(staff("view_exportfile", "download_exportfile"))
    page = client.get(reverse("admin:exports_exportfile_changelist")).content.decode()
    assert url(export_file.pk) in page
    client.force_login(staff("view_exportfile"))
    page = client.get(reverse("admin:exports_exportfile_changelist")).content.decode()
    assert "records-json-1" in page and url(export_file.pk) not in page


def test_export_files_for_run(export_file):
    allowed, denied = staff("download_exportfile"), staff()
    [entry] = export_files_for_run(export_file.run, allowed)
    assert entry["filename"] == export_file.filename and entry["url"] == url(export_file.pk)
    assert export_files_for_run(export_file.run, denied)[0]["url"] is None
    assert export_files_for_run(RunFactory(), allowed) == []


def test_run_page_tag_lists_the_files(export_file):
    from django.template import Context, Template
    from django.test import RequestFactory

    request = RequestFactory().get("/")
    request.user = staff("download_exportfile")
    html = Template("{% load exports %}{% run_export_files run %}").render(Context({"run": export_file.run, "request": request}))
    assert export_file.filename in html and url(export_file.pk) in html


def test_deleting_in_the_admin_removes_the_stored_file(client, admin_user, export_file):
    client.force_login(admin_user)
    response = client.post(reverse("admin:exports_exportfile_delete", args=[export_file.pk]), {"post": "yes"})
    assert response.status_code == 302
    assert not ExportFile.objects.exists() and not default_storage.exists(export_file.name)


def test_run_page_lists_the_runs_export_files_with_a_download_link(client, export_file, admin_user):
    client.force_login(admin_user)
    page = client.get(reverse("admin:jobs_run_change", args=[export_file.run_id])).content.decode()
    assert "Export files" in page
    assert f'href="{url(export_file.pk)}"' in page


def test_run_page_shows_no_download_link_without_the_permission(client, export_file):
    viewer = UserFactory(is_staff=True)
    viewer.user_permissions.add(Permission.objects.get(codename="view_run", content_type__app_label="jobs"))
    client.force_login(viewer)
    page = client.get(reverse("admin:jobs_run_change", args=[export_file.run_id])).content.decode()
    assert "records-json-1-20250101T000000Z.tar.gz" in page
    assert url(export_file.pk) not in page


def test_job_operators_download_what_they_export_and_viewers_only_see_the_list(client, export_file):
    from django.contrib.auth.models import Group

    operator = UserFactory(is_staff=True)
    operator.groups.add(Group.objects.get(name="Job operators"))
    client.force_login(operator)
    assert client.get(reverse("admin:exports_exportfile_changelist")).status_code == 200
    assert client.get(url(export_file.pk)).status_code == 200
    assert [f["url"] for f in export_files_for_run(export_file.run, operator)] == [url(export_file.pk)]
    viewer = UserFactory(is_staff=True)
    viewer.groups.add(Group.objects.get(name="Job viewers"))
    client.force_login(viewer)
    assert client.get(reverse("admin:exports_exportfile_changelist")).status_code == 200
    assert client.get(url(export_file.pk)).status_code == 403


def test_export_file_page_offers_the_download_only_to_permitted_users(client, export_file):
    page_url = reverse("admin:exports_exportfile_change", args=[export_file.pk])
    client.force_login(staff("view_exportfile", "download_exportfile"))
    assert url(export_file.pk) in client.get(page_url).content.decode()
    client.force_login(staff("view_exportfile"))
    page = client.get(page_url).content.decode()
    assert export_file.filename in page and url(export_file.pk) not in page
