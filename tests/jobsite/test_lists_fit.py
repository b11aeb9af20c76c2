"""Every admin list fits a 1366 px window in Chromium, with long values in every column."""

import pytest
from django.contrib import admin
from django.urls import reverse
from django.utils import timezone

from exports.models import ExportFile, Record
from jobs.models import Run
from tests.exports.conftest import minimal_metadata
from tests.factories import JobFactory, RunFactory, UserFactory
from tests.jobs.admin.test_browser import browser_page as browser_page  # the fixture, shared
from tests.jobs.admin.test_browser import log_in
from vocabularies.models import Affiliation, Award, Funder, Name

LONG = "Département des sciences de la Terre et de l'environnement, Université de Genève"


def long_rows():
    now = timezone.now()
    user = UserFactory(username="a-rather-long-operator-name@example.org")
    job = JobFactory(title="Import ROR affiliations from the latest Zenodo release, every night", task_type="test_echo")
    run = RunFactory(
        job=job, status=Run.Status.PARTIAL_SUCCESS, started_by=user, started_at=now, finished_at=now,
        progress_done=8_726_753, progress_total=26_213_721, message=LONG * 3,
    )
    ExportFile.objects.create(
        run=run, name="exports/records-2026-12-01T221500Z-datacite-xml-full-with-deleted.tar.gz",
        serializer="datacite_xml", size=123_456_789, record_count=60_000, sha256="0" * 64,
    )
    Record.objects.create(doi="10.5281/zenodo.1234567890-a-very-long-suffix-without-spaces", metadata=minimal_metadata(title=LONG))
    Affiliation.objects.create(ror_id="05qrfxd25", name=LONG, country="CH", city="Genève-Plainpalais", status="active")
    Funder.objects.create(ror_id="05qrfxd26", name=LONG, country="CH", fundref_ids=["501100001711", "501100000780"], status="active")
    Name.objects.create(orcid_id="0000-0002-1825-0097", family_name=LONG, given_names=LONG, credit_name=LONG)
    Award.objects.create(openaire_id="corda__h2020::" + "0" * 60, number="101000000", acronym="LONGACRONYM", title=LONG)


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_every_admin_list_fits_1366_px(live_server, admin_user, browser_page):
    long_rows()
    page = browser_page
    page.set_viewport_size({"width": 1366, "height": 800})
    log_in(page, live_server, "/admin/")
    page.wait_for_selector("#site-name")
    overflowing = {}
    for model in admin.site._registry:
        url = reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_changelist")
        page.goto(live_server.url + url)
        sizes = page.evaluate(
            """() => {
              const table = document.querySelector('#result_list');
              const doc = document.documentElement;
              return {page: doc.scrollWidth - doc.clientWidth,
                      table: table ? table.getBoundingClientRect().right - table.parentElement.getBoundingClientRect().right : 0,
                      rows: table ? table.tBodies[0].rows.length : 0};
            }"""
        )
        if sizes["page"] > 0 or sizes["table"] > 1:
            overflowing[url] = sizes
    assert overflowing == {}
    page.goto(live_server.url + reverse("admin:jobs_run_changelist"))
    # The last column is on screen.
    right = page.evaluate("document.querySelector('#result_list thead th:last-child').getBoundingClientRect().right")
    assert right <= 1366
    page.screenshot(path="/tmp/jobs-run-list-1366.png", full_page=False)
