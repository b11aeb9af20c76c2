"""records_export: selection, tarball contents, manifest, errored and failed exports, purge."""

import datetime as dt
import hashlib
import io
import json
import subprocess
import tarfile

import pytest
from django.core.files.storage import default_storage

from exports.archive import member_name
from exports.models import ExportFile, Record
from exports.services import exportfiles_purge, records_export
from jobs import RunCancelled
from jobs.runs import context
from tests.exports.conftest import record_at

pytestmark = pytest.mark.django_db
T0 = dt.datetime(2025, 3, 1, 12, 0, tzinfo=dt.UTC)


def hours(n):
    return T0 + dt.timedelta(hours=n)


@pytest.fixture
def records():
    return {
        "old": record_at("10.82433/old", hours(-5)),
        "a": record_at("10.82433/a/b:c", hours(1)),
        "b": record_at("10.82433/ünï", hours(2)),
        "gone": record_at("10.82433/gone", hours(3), deleted=True),
        "late": record_at("10.82433/late", hours(10)),
    }


def open_archive(export_file):
    with default_storage.open(export_file.name, "rb") as fh:
        data = fh.read()
    return data, tarfile.open(fileobj=io.BytesIO(data), mode="r:gz")


def test_since_until_selects_and_lists_deleted(media, records):
    export_file = records_export(serializer="datacite-xml", since=hours(0).isoformat(), until=hours(5), include_deleted=True)
    data, tar = open_archive(export_file)
    names = tar.getnames()
    assert sorted(names) == sorted([member_name("10.82433/a/b:c", "xml"), member_name("10.82433/ünï", "xml"), "deleted.txt", "manifest.json"])
    assert member_name("10.82433/a/b:c", "xml") == "records/10.82433%2Fa%2Fb%3Ac.xml"
    member = tar.getmember(member_name("10.82433/ünï", "xml"))
    body = tar.extractfile(member).read()
    assert member.size == len(body) and member.mtime == int(hours(2).timestamp())
    assert b"<identifier identifierType=\"DOI\">10.82433/\xc3\xbcn\xc3\xaf</identifier>" in body
    assert tar.extractfile("deleted.txt").read() == b"10.82433/gone\n"
    manifest = json.loads(tar.extractfile("manifest.json").read())
    assert manifest["counts"] == {"exported": 2, "deleted": 1, "errored": 0}
    assert manifest["arguments"] == {"since": hours(0).isoformat(), "until": hours(5).isoformat(), "serializer": "datacite-xml", "include_deleted": True}
    assert manifest["run_id"] is None
    assert len([n for n in names if n.startswith("records/")]) == manifest["counts"]["exported"]
    assert export_file.size == len(data) and export_file.sha256 == hashlib.sha256(data).hexdigest()
    assert (export_file.record_count, export_file.deleted_count, export_file.errored_count) == (2, 1, 0)
    # The system tar agrees.
    listed = subprocess.run(["tar", "-tzf", default_storage.path(export_file.name)], capture_output=True, check=True, text=True)
    assert sorted(listed.stdout.split()) == sorted(names)


def test_without_include_deleted_tombstones_are_left_out(media, records):
    export_file = records_export(serializer="json")
    _, tar = open_archive(export_file)
    assert "deleted.txt" not in tar.getnames()
    assert json.loads(tar.extractfile("manifest.json").read())["counts"] == {"exported": 4, "deleted": 0, "errored": 0}
    body = json.loads(tar.extractfile(member_name("10.82433/old", "json")).read())
    assert body["doi"] == "10.82433/old" and body["deleted"] is False


def test_chunks_cover_every_record(media, records):
    export_file = records_export(serializer="datacite-json", include_deleted=True, chunk_size=2)
    _, tar = open_archive(export_file)
    assert len([n for n in tar.getnames() if n.startswith("records/")]) == 4
    assert export_file.deleted_count == 1


def test_record_that_fails_to_serialize_is_errored_and_the_rest_exported(media, records):
    meta = dict(records["a"].metadata, titles=[{"title": "bell\x07"}])  # stored before validation existed
    Record.objects.filter(pk=records["a"].pk).update(metadata=meta)
    handle = context.RunHandle(None)
    token = context.activate(handle)
    try:
        export_file = records_export(serializer="datacite-xml")
    finally:
        context.deactivate(token)
    assert export_file.errored_count == 1 and export_file.record_count == 3
    assert handle.errors == [{"id": "10.82433/a/b:c", "reason": "ValueError: All strings must be XML compatible: Unicode or ASCII, no NULL bytes or control characters"}]
    _, tar = open_archive(export_file)
    assert member_name("10.82433/a/b:c", "xml") not in tar.getnames()


def _stored_files(root):
    return sorted(str(p.relative_to(root)) for p in root.rglob("*") if p.is_file())


def test_cancelled_export_leaves_no_file(media, records):
    token = context.activate(context.RunHandle(None, cancel_check=lambda: True))
    try:
        with pytest.raises(RunCancelled):
            records_export(serializer="datacite-xml")
    finally:
        context.deactivate(token)
    assert not ExportFile.objects.exists()
    assert not media.exists() or _stored_files(media) == []


def test_disk_full_while_publishing_leaves_no_file(media, records, settings):
    settings.STORAGES = {**settings.STORAGES, "default": {"BACKEND": "tests.exports.storages.DiskFullStorage"}}
    with pytest.raises(OSError, match="No space left"):
        records_export(serializer="datacite-xml")
    assert not ExportFile.objects.exists()
    assert _stored_files(media) == []


def test_storage_without_local_paths_publishes_by_copy(media, records, settings):
    settings.STORAGES = {**settings.STORAGES, "default": {"BACKEND": "tests.exports.storages.RemoteLikeStorage"}}
    export_file = records_export(serializer="datacite-xml")
    assert _stored_files(media) == [export_file.name]
    _, tar = open_archive(export_file)
    assert "manifest.json" in tar.getnames()


def test_purge_keeps_the_newest_files_and_removes_rows_and_files_together(media, records, settings):
    settings.EXPORTS_KEEP_LAST = 2
    made = [records_export(serializer="json") for _ in range(3)]
    assert exportfiles_purge() == 1
    assert list(ExportFile.objects.order_by("id")) == made[1:]
    assert _stored_files(media) == sorted(ef.name for ef in made[1:])
    assert exportfiles_purge() == 0


def test_nothing_changed_publishes_nothing_unless_asked(media, records):
    assert records_export(serializer="datacite-xml", since=hours(20)) is None
    assert not ExportFile.objects.exists() and (not media.exists() or _stored_files(media) == [])
    # Tombstones alone are something to publish when they are listed.
    assert records_export(serializer="json", since=hours(3), until=hours(4), include_deleted=True).deleted_count == 1
    empty = records_export(serializer="json", since=hours(20), publish_empty=True)
    assert (empty.record_count, empty.deleted_count) == (0, 0)
    _, tar = open_archive(empty)
    assert tar.getnames() == ["manifest.json"]


def test_purge_never_removes_the_newest_export_that_holds_records(media, records, settings):
    settings.EXPORTS_KEEP_LAST = 2
    full = records_export(serializer="json")
    empties = [records_export(serializer="json", since=hours(20), publish_empty=True) for _ in range(3)]
    assert exportfiles_purge() == 1
    assert set(ExportFile.objects.all()) == {full, empties[1], empties[2]}
    assert _stored_files(media) == sorted(ef.name for ef in (full, empties[1], empties[2]))
    newer = records_export(serializer="json")
    assert exportfiles_purge() == 2  # now ``full`` is no longer the newest with records
    assert set(ExportFile.objects.all()) == {empties[2], newer}


def vocabulary_of_demo_links():
    """Vocabulary rows for the ROR and Crossref Funder ids the demo records use (so unnamed links resolve)."""
    from exports import demo
    from vocabularies.models import Affiliation, Funder  # the vocabularies' tables, as a ROR import fills them

    for ror, name in demo.ORGS:
        Affiliation.objects.create(ror_id=ror, name=name, status="active")
    for (ror, name), (fundref_id, _) in zip(demo.FUNDERS_ROR, demo.FUNDERS_CROSSREF, strict=True):  # same funders, same order
        Funder.objects.create(ror_id=ror, name=name, status="active", fundref_ids=[fundref_id])


def test_every_exported_datacite_xml_validates_against_the_xsd(media):
    from lxml import etree

    from exports.demo import demo_metadata
    from exports.services import record_save
    from tests.conftest import DATA
    from tests.exports.test_serializers import rich_metadata

    xsd = etree.XMLSchema(etree.parse(str(DATA / "datacite" / "schema" / "kernel-4.5" / "metadata.xsd")))
    vocabulary_of_demo_links()
    for i in range(80):
        doi, meta = demo_metadata(i, named_links=i % 2 == 0)
        record_save(doi=doi, metadata=meta)
    record_save(doi="10.82433/Ünï-Rich", metadata=rich_metadata())
    export_file = records_export(serializer="datacite-xml")
    _, tar = open_archive(export_file)
    members = [m for m in tar.getmembers() if m.name.startswith("records/")]
    assert len(members) == export_file.record_count == 81
    for member in members:
        root = etree.fromstring(tar.extractfile(member).read())
        assert xsd.validate(root), (member.name, str(xsd.error_log))
