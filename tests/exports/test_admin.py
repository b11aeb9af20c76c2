"""Record admin: schema errors on the metadata field, pretty-printed JSON, linked names as exported; export file list."""

import io
import json
import tarfile

import pytest
from django.core.files.storage import default_storage
from django.urls import reverse

from exports import serializers
from exports.archive import member_name
from exports.models import Record
from exports.services import records_export
from jobs.runs.context import RunHandle, activate, deactivate
from tests.exports.conftest import minimal_metadata

pytestmark = pytest.mark.django_db


def test_add_record_with_bad_metadata_shows_field_errors(client, admin_user):
    client.force_login(admin_user)
    meta = minimal_metadata()
    meta["titles"] = []
    response = client.post(reverse("admin:exports_record_add"), {"doi": "10.82433/a", "metadata": json.dumps(meta)})
    assert response.status_code == 200
    assert "titles: Shorter than minimum length 1." in response.content.decode()
    assert not Record.objects.exists()


def test_add_record_saves_valid_metadata(client, admin_user):
    client.force_login(admin_user)
    response = client.post(
        reverse("admin:exports_record_add"), {"doi": "10.82433/B", "metadata": json.dumps(minimal_metadata(title="Ünïcode"))}
    )
    assert response.status_code == 302
    record = Record.objects.get()
    assert record.doi == "10.82433/b" and record.title == "Ünïcode"
    page = client.get(reverse("admin:exports_record_change", args=[record.pk]))
    assert page.status_code == 200


def test_record_page_and_every_serializer_show_the_same_linked_names(client, admin_user, media):
    """One naming rule: the stored name, else the vocabulary's; neither: an errored entry, never the URL."""
    from vocabularies.models import Affiliation, Funder

    Affiliation.objects.create(ror_id="05qrfxd25", name="SISSA", status="active")
    Affiliation.objects.create(ror_id="01ggx4157", name="European Organization for Nuclear Research", status="active")
    Funder.objects.create(ror_id="00k4n6c32", name="European Commission", status="active")
    meta = minimal_metadata()
    meta["creators"][0]["affiliation"] = [
        {"affiliationIdentifier": "https://ror.org/05qrfxd25", "affiliationIdentifierScheme": "ROR"},  # vocabulary
        {"name": "CERN", "affiliationIdentifier": "https://ror.org/01ggx4157", "affiliationIdentifierScheme": "ROR"},  # stored
    ]
    meta["fundingReferences"] = [{"funderIdentifier": "https://ror.org/00k4n6c32", "funderIdentifierType": "ROR"}]
    named = Record(doi="10.82433/named", metadata=meta)
    named.save()
    unknown = minimal_metadata()
    unknown["creators"][0]["affiliation"] = [{"affiliationIdentifier": "https://ror.org/03yrm5c26", "affiliationIdentifierScheme": "ROR"}]
    Record(doi="10.82433/unknown", metadata=unknown).save()
    client.force_login(admin_user)
    assert client.get(reverse("admin:exports_record_changelist")).status_code == 200

    page = client.get(reverse("admin:exports_record_change", args=[named.pk])).content.decode()
    assert "<td>SISSA <small>(from the vocabulary)</small></td>" in page
    assert "<td>CERN <small>(stored on the record; the vocabulary says European Organization for Nuclear Research)</small></td>" in page
    assert "<td>European Commission <small>(from the vocabulary)</small></td>" in page
    assert "&gt;SISSA&lt;/affiliation&gt;" in page and "&gt;CERN&lt;/affiliation&gt;" in page  # the XML preview agrees

    for serializer in serializers.NAMES:
        handle = RunHandle(None)
        token = activate(handle)
        try:
            export_file = records_export(serializer=serializer)
        finally:
            deactivate(token)
        with default_storage.open(export_file.name) as fh:
            tar = tarfile.open(fileobj=io.BytesIO(fh.read()))
        body = tar.extractfile(member_name("10.82433/named", serializers.get(serializer).EXTENSION)).read().decode()
        for name in ("SISSA", "CERN", "European Commission"):
            assert name in body, (serializer, name)
        assert "European Organization for Nuclear Research" not in body
        assert handle.errors == [{"id": "10.82433/unknown", "reason": (
            "LinkUnresolved: creators[0].affiliation[0]: ROR https://ror.org/03yrm5c26 is not in the vocabulary "
            "and the record gives no name")}]
        assert member_name("10.82433/unknown", serializers.get(serializer).EXTENSION) not in tar.getnames()

    page = client.get(reverse("admin:exports_record_change", args=[Record.objects.get(doi="10.82433/unknown").pk])).content.decode()
    assert "no name</strong> <small>not in the vocabulary and none stored: exports report this record as errored</small>" in page
    assert "cannot be serialized: creators[0].affiliation[0]: ROR https://ror.org/03yrm5c26 is not in the vocabulary" in page


def test_metadata_is_edited_as_pretty_printed_json(client, admin_user):
    record = Record(doi="10.82433/pretty", metadata=minimal_metadata(title="Ünïcode"))
    record.save()
    client.force_login(admin_user)
    page = client.get(reverse("admin:exports_record_change", args=[record.pk])).content.decode()
    assert '>\n{\n  &quot;creators&quot;: [\n    {\n      &quot;name&quot;: &quot;Doe, Jane&quot;\n    }\n  ],\n  &quot;titles&quot;' in page
    assert "&quot;title&quot;: &quot;Ünïcode&quot;" in page  # not \u-escaped
    bad = client.post(reverse("admin:exports_record_change", args=[record.pk]),
                      {"doi": record.doi, "metadata": '{"creators": [', "deleted": ""})
    assert bad.status_code == 200 and '{&quot;creators&quot;: [' in bad.content.decode()  # what was typed comes back


def test_change_page_previews_the_datacite_xml_and_action_tombstones(client, admin_user):
    client.force_login(admin_user)
    record = Record(doi="10.82433/p", metadata=minimal_metadata(title="Prévisualisation"))
    record.save()
    page = client.get(reverse("admin:exports_record_change", args=[record.pk])).content.decode()
    assert "&lt;identifier identifierType=&quot;DOI&quot;&gt;10.82433/p&lt;/identifier&gt;" in page
    response = client.post(
        reverse("admin:exports_record_changelist"), {"action": "mark_deleted", "_selected_action": [record.pk]}
    )
    assert response.status_code == 302
    record.refresh_from_db()
    assert record.deleted


def test_export_file_pages_name_the_run_by_its_job_and_show_a_readable_size(client, admin_user):
    from exports.models import ExportFile
    from jobs.models import Run
    from tests.factories import JobFactory, RunFactory

    run = RunFactory(job=JobFactory(title="Nightly export"), status=Run.Status.SUCCESS)
    export_file = ExportFile.objects.create(
        run=run, name="exports/records-json-1.tar.gz", serializer="json", size=6_551_858, sha256="0" * 64
    )
    client.force_login(admin_user)
    page = client.get(reverse("admin:exports_exportfile_change", args=[export_file.pk])).content.decode()
    assert f"Run {run.pk} of Nightly export (success)" in page
    assert f"Run {run.pk} of {run.job_id} (" not in page
    assert "6.2\xa0MB (6,551,858 bytes)" in page
    listing = client.get(reverse("admin:exports_exportfile_changelist")).content.decode()
    assert "6.2\xa0MB" in listing and "6,551,858" not in listing and "6551858" not in listing


def test_run_now_puts_an_export_window_error_on_until(client, admin_user):
    from jobs.admin.forms import ARG_PREFIX as A
    from jobs.models import Run
    from tests.factories import JobFactory

    job = JobFactory(task_type="export_records", default_args={})
    client.force_login(admin_user)
    response = client.post(
        reverse("admin:jobs_job_run", args=[job.pk]),
        {A + "since": "2025-01-01 00:00:00", A + "until": "2024-01-01 00:00:00", A + "serializer": "json", "_run": "1"},
    )
    assert response.status_code == 200
    assert response.context["form"].errors == {A + "until": ["Must be later than since."]}
    assert not Run.objects.exists()


def test_export_file_list_folds_counts_into_one_records_column(client, admin_user):
    from exports.models import ExportFile

    ExportFile.objects.create(name="exports/a.tar.gz", serializer="json", size=10, record_count=18_824, deleted_count=3, sha256="0" * 64)
    client.force_login(admin_user)
    page = client.get(reverse("admin:exports_exportfile_changelist")).content.decode()
    assert "18,824 (3 deleted)" in page
    assert "column-deleted_count" not in page and "column-errored_count" not in page
    assert ">Download</a>" in page


def test_record_list_offers_show_all_only_when_narrowed(client, admin_user):
    Record(doi="10.82433/s", metadata=minimal_metadata()).save()
    client.force_login(admin_user)
    url = reverse("admin:exports_record_changelist")
    assert "Show all" not in client.get(url).content.decode()
    assert "Show all" not in client.get(url, {"o": "1"}).content.decode()
    assert "Show all" in client.get(url, {"deleted__exact": "1"}).content.decode()
    year = Record.objects.get().updated.year
    assert "Show all" in client.get(url, {"updated__year": str(year)}).content.decode()
