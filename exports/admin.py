"""Admin for records (metadata edited as pretty-printed JSON, with field-by-field errors) and export files."""

from __future__ import annotations

import json

from django import forms
from django.contrib import admin
from django.forms.fields import InvalidJSONInput
from django.template.defaultfilters import filesizeformat
from django.urls import NoReverseMatch, path, reverse
from django.utils.html import format_html, format_html_join

from exports import links
from exports.downloads import PERMISSION, exportfile_download
from exports.models import ExportFile, Record
from exports.schema import Metadata
from exports.serializers import datacite_xml
from exports.services import SERIALIZE_ERRORS, exportfile_delete, record_delete
from jobs.admin.pagination import UncountedChangeList

_PROPERTY_ORDER = {name: i for i, name in enumerate(Metadata().declared_fields)}


class PrettyJSONField(forms.JSONField):
    """The metadata as indented JSON: two spaces, non-ASCII as is, properties in DataCite's order."""

    def prepare_value(self, value):
        if isinstance(value, InvalidJSONInput):
            return value  # what the user typed, shown again with its error
        if isinstance(value, dict):  # PostgreSQL's jsonb keeps keys shortest first; show creators, titles, ... first
            value = dict(sorted(value.items(), key=lambda item: _PROPERTY_ORDER.get(item[0], len(_PROPERTY_ORDER))))
        return json.dumps(value, ensure_ascii=False, indent=2, cls=self.encoder)


class RecordForm(forms.ModelForm):
    metadata = PrettyJSONField(
        widget=forms.Textarea(attrs={"rows": 30, "cols": 100, "style": "font-family: monospace", "spellcheck": "false"}),
        help_text="DataCite 4.5 properties as JSON (the datacite package's dialect: creators, titles, publisher, "
        "publicationYear, types, subjects, contributors, dates, language, rightsList, descriptions, "
        "fundingReferences, relatedIdentifiers, ...). An affiliation or funder may give only its ROR or Crossref "
        "Funder id: its name then comes from the vocabulary (see \"Linked names\").",
    )

    class Meta:
        model = Record
        fields = ["doi", "metadata", "deleted"]


@admin.register(Record)
class RecordAdmin(admin.ModelAdmin):
    form = RecordForm
    list_display = ["doi", "title", "publication_year", "resource_type_general", "updated", "deleted"]
    list_filter = ["deleted", "resource_type_general", "publication_year"]
    search_fields = ["doi", "title"]
    readonly_fields = ["title", "created", "updated", "vocabulary_links", "datacite_xml_preview"]
    actions = ["mark_deleted"]
    date_hierarchy = "updated"
    show_full_result_count = False

    def get_changelist(self, request, **kwargs):
        return UncountedChangeList

    @admin.action(description="Mark selected records deleted (tombstone)", permissions=["change"])
    def mark_deleted(self, request, queryset):
        count = 0
        for record in queryset.filter(deleted=False):
            record_delete(record=record)
            count += 1
        self.message_user(request, f"{count} records marked deleted.")

    @admin.display(description="DataCite XML (as exported)")
    def datacite_xml_preview(self, obj):
        if obj is None or not obj.pk:
            return "-"
        native = obj.as_native()
        try:
            native["metadata"] = links.links_for([obj.metadata]).apply(obj.metadata)
            xml = datacite_xml.serialize(native).decode()
        except SERIALIZE_ERRORS as exc:
            return f"cannot be serialized: {exc}"
        return format_html('<pre style="white-space: pre-wrap; max-height: 30em; overflow: auto">{}</pre>', xml)

    @admin.display(description="Linked names")
    def vocabulary_links(self, obj):
        """Each linked affiliation and funder with the name every export writes (``exports.links.name_resolve``)."""
        if obj is None or not obj.metadata:
            return "-"
        found = links.links_for([obj.metadata])
        rows = [(link.path, link.scheme, link.identifier, _name_cell(link)) for link in found.names(obj.metadata)]
        awards = links.identifiers_collect([obj.metadata])[3]
        rows += [("award", "number", number, found.awards.get(number) or "not in the vocabulary") for number in sorted(awards)]
        if not rows:
            return "-"
        return format_html(
            '<table class="linked-names"><thead><tr><th>Where</th><th>Scheme</th><th>Identifier</th><th>Exported name</th>'
            "</tr></thead><tbody>{}</tbody></table>",
            format_html_join("", "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>", rows),
        )


def _name_cell(link: links.LinkedName):
    if link.source == "record":
        extra = f"; the vocabulary says {link.vocabulary_name}" if link.vocabulary_name and link.vocabulary_name != link.name else ""
        return format_html("{} <small>(stored on the record{})</small>", link.name, extra)
    if link.source == "vocabulary":
        return format_html("{} <small>(from the vocabulary)</small>", link.name)
    return format_html('<strong class="errornote">no name</strong> <small>{}</small>',
                       "not in the vocabulary and none stored: exports report this record as errored")


@admin.register(ExportFile)
class ExportFileAdmin(admin.ModelAdmin):
    # Few, short columns: the list fits beside the filter panel without scrolling sideways.
    list_display = ["filename", "serializer", "records_display", "size_display", "run_link", "created_at", "download_button"]
    list_filter = ["serializer"]
    list_select_related = ["run__job"]
    # The run by its job's title (str(run) names the job by id) and the size in KB/MB, not bytes.
    fields = [
        "id", "run_detail", "name", "serializer", "size_detail", "record_count", "deleted_count", "errored_count",
        "sha256", "arguments", "created_at", "download_link",
    ]
    readonly_fields = fields
    date_hierarchy = "created_at"

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def delete_model(self, request, obj):
        exportfile_delete(export_file=obj)

    def delete_queryset(self, request, queryset):
        for export_file in queryset:
            exportfile_delete(export_file=export_file)

    def get_urls(self):
        download = self.admin_site.admin_view(exportfile_download)
        return [path("<int:pk>/download/", download, name="exports_exportfile_download"), *super().get_urls()]

    def get_fields(self, request, obj=None):
        fields = list(super().get_fields(request, obj))
        if not request.user.has_perm(PERMISSION):
            fields.remove("download_link")
        return fields

    def get_list_display(self, request):
        shown = list(super().get_list_display(request))
        if not request.user.has_perm(PERMISSION):
            shown.remove("download_button")
        return shown

    @admin.display(description="Run")
    def run_link(self, obj):
        if obj.run_id is None:
            return "-"
        try:
            url = reverse("admin:jobs_run_change", args=[obj.run_id])
        except NoReverseMatch:  # the jobs app has not registered its Run admin
            return f"#{obj.run_id}"
        return format_html('<a href="{}" title="{}">#{}</a>', url, obj.run.job.title, obj.run_id)

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("run__job")

    @admin.display(description="Records", ordering="record_count")
    def records_display(self, obj):
        extra = [f"{n:,} {label}" for n, label in ((obj.deleted_count, "deleted"), (obj.errored_count, "errored")) if n]
        return f"{obj.record_count:,}" + (f" ({', '.join(extra)})" if extra else "")

    @admin.display(description="Size", ordering="size")
    def size_display(self, obj):
        return filesizeformat(obj.size)

    @admin.display(description="Size")
    def size_detail(self, obj):
        return f"{filesizeformat(obj.size)} ({obj.size:,} bytes)"

    @admin.display(description="Run")
    def run_detail(self, obj):
        if obj.run_id is None:
            return "-"
        text = f"Run {obj.run_id} of {obj.run.job.title} ({obj.run.get_status_display().lower()})"
        try:
            url = reverse("admin:jobs_run_change", args=[obj.run_id])
        except NoReverseMatch:
            return text
        return format_html('<a href="{}">{}</a>', url, text)

    @admin.display(description="")
    def download_button(self, obj):
        url = reverse("admin:exports_exportfile_download", args=[obj.pk])
        return format_html('<a href="{}" title="{}">Download</a>', url, obj.filename)

    @admin.display(description="Download")
    def download_link(self, obj):
        url = reverse("admin:exports_exportfile_download", args=[obj.pk])
        return format_html('<a href="{}">{}</a>', url, obj.filename)
