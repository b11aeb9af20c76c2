"""Records (the site's research outputs, DataCite 4.5 metadata) and the export files made from them."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import models
from django.utils import timezone
from marshmallow import ValidationError as SchemaError

from exports.schema import doi_normalize, doi_valid, messages_flatten, metadata_load


class RecordQuerySet(models.QuerySet):
    def live(self):
        return self.filter(deleted=False)

    def changed_between(self, since=None, until=None):
        """Records updated in ``[since, until)`` (either bound optional)."""
        qs = self
        if since is not None:
            qs = qs.filter(updated__gte=since)
        if until is not None:
            qs = qs.filter(updated__lt=until)
        return qs


class Record(models.Model):
    """One research output: its DOI plus DataCite 4.5 metadata (validated on save).

    ``metadata`` holds every DataCite property in the JSON dialect described in
    ``exports.schema``; a few of them are copied to columns for the admin's list and
    filters. A deleted record stays as a tombstone, so exports can report it.
    """

    doi = models.CharField("DOI", max_length=255, unique=True)
    metadata = models.JSONField(default=dict)
    title = models.CharField(max_length=500, editable=False, default="")
    publication_year = models.PositiveSmallIntegerField(null=True, editable=False)
    resource_type_general = models.CharField("resource type", max_length=40, editable=False, default="", db_index=True)
    deleted = models.BooleanField(default=False, help_text="Tombstone: the DOI was withdrawn.")
    created = models.DateTimeField(default=timezone.now, db_index=True, editable=False)
    updated = models.DateTimeField(default=timezone.now, db_index=True, editable=False)

    objects = RecordQuerySet.as_manager()

    class Meta:
        ordering = ["-updated"]

    def __str__(self):
        return f"{self.doi} {self.title[:60]}".strip()

    def clean(self):
        """Normalise the DOI and validate the metadata; errors name the field that is wrong."""
        errors = {}
        self.doi = doi_normalize(self.doi)
        if not doi_valid(self.doi):
            errors["doi"] = ["Enter a DOI like 10.1234/abc-def."]
        try:
            self.metadata = metadata_load(self.metadata)
        except SchemaError as exc:
            errors["metadata"] = messages_flatten(exc.messages)
        if errors:
            raise ValidationError(errors)
        self._copy_columns()

    def _copy_columns(self):
        meta = self.metadata
        titles = meta.get("titles") or [{}]
        main = next((t for t in titles if not t.get("titleType")), titles[0])
        self.title = (main.get("title") or "")[:500]
        year = meta.get("publicationYear")
        self.publication_year = int(year) if year else None
        self.resource_type_general = (meta.get("types") or {}).get("resourceTypeGeneral", "")

    def save(self, *args, **kwargs):
        self.clean()
        self.updated = timezone.now()
        if kwargs.get("update_fields") is not None:
            kwargs["update_fields"] = {*kwargs["update_fields"], "updated", "title", "publication_year", "resource_type_general"}
        super().save(*args, **kwargs)

    def as_native(self) -> dict:
        """The record as the pure serializers take it."""
        return record_native(self.doi, self.metadata, self.created, self.updated, self.deleted)


def record_native(doi, metadata, created, updated, deleted) -> dict:
    return {"doi": doi, "created": created, "updated": updated, "deleted": deleted, "metadata": metadata}


class ExportFile(models.Model):
    """A published export archive in the default storage, and the run that made it."""

    run = models.ForeignKey("jobs.Run", null=True, blank=True, on_delete=models.SET_NULL, related_name="export_files")
    name = models.CharField(max_length=255, unique=True, help_text="Name in the default storage.")
    serializer = models.CharField(max_length=20)
    size = models.PositiveBigIntegerField(default=0)
    record_count = models.PositiveIntegerField(default=0)
    deleted_count = models.PositiveIntegerField(default=0)
    errored_count = models.PositiveIntegerField(default=0)
    sha256 = models.CharField("SHA-256", max_length=64)
    arguments = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(default=timezone.now, db_index=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        permissions = [("download_exportfile", "Can download export files")]

    def __str__(self):
        return self.filename

    @property
    def filename(self) -> str:
        return self.name.rsplit("/", 1)[-1]
