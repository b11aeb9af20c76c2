"""Record admin shows schema errors on the metadata field; export file list."""

import json

import pytest
from django.urls import reverse

from exports.models import Record
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


def test_record_list_and_links_panel(client, admin_user):
    client.force_login(admin_user)
    meta = minimal_metadata()
    meta["creators"][0]["affiliation"] = [{"affiliationIdentifier": "https://ror.org/05qrfxd25"}]
    record = Record(doi="10.82433/c", metadata=meta)
    record.save()
    assert client.get(reverse("admin:exports_record_changelist")).status_code == 200
    page = client.get(reverse("admin:exports_record_change", args=[record.pk])).content.decode()
    assert "ROR 05qrfxd25: not known" in page


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
