"""In headless Chromium: the record page edits pretty-printed JSON and names links as the exports do."""

import json

import pytest

from exports.models import Record
from tests.exports.conftest import minimal_metadata
from tests.jobs.admin.test_browser import SCREENSHOT_DIR, browser_page  # noqa: F401 - the Chromium fixture


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_record_page_shows_pretty_json_and_the_exported_names(live_server, admin_user, browser_page):  # noqa: F811
    from vocabularies.models import Affiliation

    Affiliation.objects.create(ror_id="05qrfxd25", name="SISSA", status="active")
    meta = minimal_metadata(title="Ünïcode")
    meta["creators"][0]["affiliation"] = [
        {"affiliationIdentifier": "https://ror.org/05qrfxd25", "affiliationIdentifierScheme": "ROR"},
        {"name": "CERN", "affiliationIdentifier": "https://ror.org/01ggx4157", "affiliationIdentifierScheme": "ROR"},
    ]
    record = Record(doi="10.82433/browser", metadata=meta)
    record.save()
    page = browser_page
    page.goto(f"{live_server.url}/admin/login/?next=/admin/exports/record/{record.pk}/change/")
    page.fill("#id_username", "admin")
    page.fill("#id_password", "admin-password")
    page.click("input[type=submit]")

    text = page.input_value("#id_metadata")
    assert text.startswith('{\n  "creators": [\n    {\n') and '"title": "Ünïcode"' in text
    assert json.loads(text) == record.metadata
    names = page.inner_text("table.linked-names")
    assert "SISSA (from the vocabulary)" in names and "CERN (stored on the record)" in names
    preview = page.inner_text(".field-datacite_xml_preview")
    assert ">SISSA</affiliation>" in preview and ">CERN</affiliation>" in preview
    page.screenshot(path=f"{SCREENSHOT_DIR}/exports-record-page.png", full_page=True)

    page.fill("#id_metadata", text.replace("Ünïcode", "Édité"))
    page.click("input[name=_save]")
    page.wait_for_url("**/admin/exports/record/")
    record.refresh_from_db()
    assert record.title == "Édité" and record.metadata["creators"] == meta["creators"]
