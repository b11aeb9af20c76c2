"""Fixtures of the exports tests: a private MEDIA_ROOT and record builders."""

import datetime as dt

import pytest

from exports.models import Record
from exports.schema import metadata_load

UTC = dt.UTC


@pytest.fixture
def media(settings, tmp_path):
    """Point the default storage at an empty folder for this test."""
    settings.MEDIA_ROOT = str(tmp_path / "media")
    return tmp_path / "media"


def minimal_metadata(title="A title", **extra):
    meta = {
        "creators": [{"name": "Doe, Jane"}],
        "titles": [{"title": title}],
        "publisher": {"name": "Jobsite"},
        "publicationYear": "2024",
        "types": {"resourceTypeGeneral": "Dataset"},
    }
    meta.update(extra)
    return meta


def record_at(doi, updated, *, deleted=False, metadata=None):
    """Create a record and set its ``updated`` time (save() would stamp now)."""
    record = Record(doi=doi, metadata=metadata or minimal_metadata(title=f"Record {doi}"), deleted=deleted)
    record.save()
    Record.objects.filter(pk=record.pk).update(updated=updated, created=updated)
    record.refresh_from_db()
    return record


def native(doi, metadata, *, deleted=False):
    now = dt.datetime(2025, 1, 2, 3, 4, 5, tzinfo=UTC)
    return {"doi": doi, "created": now, "updated": now, "deleted": deleted, "metadata": metadata_load(metadata)}
