"""Importing records: the real examples from files, folders and archives, the REST API, round trips."""

import functools
import io
import json
import re
import shutil
import tarfile

import pytest
from django.core.files.storage import default_storage

from exports import serializers
from exports.demo import demo_metadata
from exports.importing import records_import
from exports.models import Record
from exports.services import record_save, records_export
from exports.sources import SourceFailed
from jobs.models import Run
from jobs.runs.context import RunHandle, activate, deactivate
from jobs.runs.counters import run_counters_add
from tests.conftest import DATA
from tests.exports.loaders.test_datacite_json import envelope, rest_attributes
from tests.exports.test_services import vocabulary_of_demo_links
from tests.factories import RunFactory

EXAMPLES = sorted((DATA / "datacite" / "schema" / "kernel-4.5" / "example").glob("*.xml"))


@pytest.fixture
def run():
    """A run handle the import reports to (as ``current_run()`` inside a job)."""
    handle = RunHandle(None)
    token = activate(handle)
    yield handle
    deactivate(token)


def with_doi(path, doi: str) -> bytes:
    return re.sub(rb"(<identifier[^>]*>)[^<]+(</identifier>)", rb"\g<1>" + doi.encode() + rb"\g<2>", path.read_bytes())


@pytest.mark.django_db
def test_folder_of_examples_creates_then_leaves_unchanged_then_updates(import_dir, run):
    folder = import_dir / "examples"
    folder.mkdir()
    for path in EXAMPLES:
        shutil.copy(path, folder / path.name)
    counts = records_import(source="examples")
    assert counts == {"created": 7, "updated": 0, "unchanged": 0, "errored": 0}
    assert Record.objects.count() == 7 and Record.objects.filter(doi="10.82433/b09z-4k37", title="Example Title").exists()
    assert records_import(source="examples") == {"created": 0, "updated": 0, "unchanged": 7, "errored": 0}
    changed = (folder / "datacite-example-full-v4.xml").read_text().replace("<version>1</version>", "<version>5</version>")
    assert "<version>5</version>" in changed
    (folder / "datacite-example-full-v4.xml").write_text(changed)
    assert records_import(source="examples") == {"created": 0, "updated": 1, "unchanged": 6, "errored": 0}
    assert Record.objects.get(doi="10.82433/b09z-4k37").metadata["version"] == "5"


@pytest.mark.django_db
def test_dry_run_counts_and_writes_nothing(import_dir, run):
    shutil.copy(EXAMPLES[0], import_dir / "one.xml")
    assert records_import(source="one.xml", dry_run=True) == {"created": 1, "updated": 0, "unchanged": 0, "errored": 0}
    assert not Record.objects.exists()


@pytest.mark.django_db
def test_errored_entries_name_the_record_and_every_field(import_dir, run):
    record_save(doi="10.82433/b09z-4k37", metadata={"creators": [{"name": "Kept"}], "titles": [{"title": "Stored"}],
                "publisher": {"name": "P"}, "publicationYear": "2020", "types": {"resourceTypeGeneral": "Text"}})
    bad = EXAMPLES[1].read_text().replace('contributorType="ContactPerson"', 'contributorType="Translator"')  # a 4.6 term
    (import_dir / "f").mkdir()
    (import_dir / "f" / "a.xml").write_text(bad)
    (import_dir / "f" / "broken.xml").write_bytes(b"<resource")
    (import_dir / "f" / "c.xml").write_bytes(with_doi(EXAMPLES[0], "10.82433/ok-1"))
    counts = records_import(source="f")
    assert counts == {"created": 1, "updated": 0, "unchanged": 0, "errored": 2}
    assert [e["id"] for e in run.errors] == ["10.82433/b09z-4k37", "broken.xml"]
    assert run.errors[0]["reason"].startswith("contributors[0].contributorType: Must be one of:")
    assert run.errors[1]["reason"].startswith("not well-formed XML")
    assert Record.objects.get(doi="10.82433/b09z-4k37").title == "Stored"  # the errored import changed nothing


@pytest.mark.django_db
def test_archive_of_xml_and_json(import_dir, run):
    with tarfile.open(import_dir / "mixed.tar.gz", "w:gz") as archive:
        for i in range(30):
            data = with_doi(EXAMPLES[i % len(EXAMPLES)], f"10.82433/t-{i}")
            info = tarfile.TarInfo(f"dump/{i}.xml")
            info.size = len(data)
            archive.addfile(info, io.BytesIO(data))
        page = json.dumps({"data": [envelope(rest_attributes(doi="10.5281/zenodo.1"))["data"]]}).encode()
        info = tarfile.TarInfo("dump/page.json")
        info.size = len(page)
        archive.addfile(info, io.BytesIO(page))
    assert records_import(source="mixed.tar.gz", batch_size=7) == {"created": 31, "updated": 0, "unchanged": 0, "errored": 0}
    assert run.done == run.total == (import_dir / "mixed.tar.gz").stat().st_size


@pytest.mark.django_db
def test_rest_api_pages_are_followed_by_cursor(datacite_api, run):
    pages = [
        {"data": [envelope(rest_attributes(doi=f"10.5281/zenodo.{p}{i}"))["data"] for i in range(2)], "meta": {"total": 5}}
        for p in range(3)
    ]
    pages[2]["data"] = pages[2]["data"][:1]
    api = datacite_api(pages)
    counts = records_import(source=f"{api.url}/dois?client-id=cern.zenodo")
    assert counts == {"created": 5, "updated": 0, "unchanged": 0, "errored": 0}
    assert [q["page[cursor]"] for _, q in api.requests] == ["1", "c1", "c2"]
    assert all(q["client-id"] == "cern.zenodo" and q["affiliation"] == q["publisher"] == "true" for _, q in api.requests)
    assert (run.done, run.total) == (5, 5)
    assert Record.objects.get(doi="10.5281/zenodo.11").metadata["publisher"] == {"name": "Zenodo"}


@pytest.mark.django_db
def test_rest_api_error_fails_the_import_keeping_earlier_pages(datacite_api, run):
    api = datacite_api([{"data": [envelope(rest_attributes())["data"]]}, {"data": []}])
    replay = api.answer
    api.answer = lambda path, query: (b"{}", 503) if query.get("page[cursor]") == "c1" else replay(path, query)
    with pytest.raises(SourceFailed, match="503"):
        records_import(source=f"{api.url}/dois?prefix=10.5281", batch_size=1)
    assert Record.objects.filter(doi="10.5281/zenodo.123").exists()


@pytest.mark.django_db
def test_an_import_failing_half_way_has_stored_the_counters_of_the_batches_it_wrote(datacite_api):
    stored = RunFactory(status=Run.Status.RUNNING)
    token = activate(RunHandle(stored.pk, counts_store=functools.partial(run_counters_add, run_id=stored.pk)))
    api = datacite_api([{"data": [envelope(rest_attributes())["data"]]}, {"data": []}])
    replay = api.answer
    api.answer = lambda path, query: (b"{}", 503) if query.get("page[cursor]") == "c1" else replay(path, query)
    try:
        with pytest.raises(SourceFailed, match="503"):
            records_import(source=f"{api.url}/dois?prefix=10.5281", batch_size=1)
    finally:
        deactivate(token)
    stored.refresh_from_db()
    assert stored.counters == {"created": Record.objects.count()} == {"created": 1}


def _export_archive(serializer, media) -> bytes:
    export_file = records_export(serializer=serializer)
    with default_storage.open(export_file.name) as fh:
        return fh.read()


@pytest.mark.django_db
@pytest.mark.parametrize("serializer", serializers.NAMES)
def test_export_delete_import_recreates_the_same_records(serializer, media, import_dir, run):
    for i in range(30):
        doi, meta = demo_metadata(i, named_links=True)
        record_save(doi=doi, metadata=meta)
    before = {r.doi: r.metadata for r in Record.objects.all()}
    (import_dir / "export.tar.gz").write_bytes(_export_archive(serializer, media))
    Record.objects.all().delete()
    counts = records_import(source="export.tar.gz")
    assert counts == {"created": 30, "updated": 0, "unchanged": 0, "errored": 0}
    assert {r.doi: r.metadata for r in Record.objects.all()} == before


@pytest.mark.django_db
def test_deleted_list_of_an_export_tombstones_its_dois(media, import_dir, run):
    for i in range(3):
        doi, meta = demo_metadata(i)
        record_save(doi=doi, metadata=meta, deleted=i == 0)
    export_file = records_export(serializer="datacite-xml", include_deleted=True)
    with default_storage.open(export_file.name) as fh:
        (import_dir / "export.tar.gz").write_bytes(fh.read())
    Record.objects.filter(doi="10.82433/demo-000000").update(deleted=False)  # revived here since
    counts = records_import(source="export.tar.gz")
    assert counts == {"created": 0, "updated": 0, "unchanged": 2, "errored": 0, "deleted": 1}
    assert Record.objects.get(doi="10.82433/demo-000000").deleted


@pytest.mark.django_db
def test_a_name_taken_from_the_vocabulary_comes_back_stored(media, import_dir, run):
    vocabulary_of_demo_links()
    meta = {"creators": [{"name": "Doe, Jane", "affiliation": [{"affiliationIdentifier": "https://ror.org/05qrfxd25"}]}],
            "titles": [{"title": "T"}], "publisher": {"name": "P"}, "publicationYear": "2024", "types": {"resourceTypeGeneral": "Text"}}
    record_save(doi="10.82433/vocab", metadata=meta)
    (import_dir / "export.tar.gz").write_bytes(_export_archive("datacite-xml", media))
    Record.objects.all().delete()
    records_import(source="export.tar.gz")
    assert Record.objects.get().metadata["creators"][0]["affiliation"] == [
        {"name": "Scuola Internazionale Superiore di Studi Avanzati", "affiliationIdentifier": "https://ror.org/05qrfxd25"}]
