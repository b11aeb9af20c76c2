"""The ``export_records`` job type: records -> a .tar.gz of DataCite XML, DataCite JSON or JSON."""

from celery import shared_task
from marshmallow import Schema, ValidationError, fields, validate, validates_schema

from exports.serializers import NAMES
from jobs.registry import RegisteredTask


@shared_task(name="exports.export_records")
def export_records(since=None, until=None, serializer="datacite-xml", include_deleted=False, publish_empty=False):
    from exports.services import exportfiles_purge, records_export

    export_file = records_export(
        serializer=serializer, since=since, until=until, include_deleted=include_deleted, publish_empty=publish_empty
    )
    if export_file is None:
        window = f" since {since}" if since else ""
        return {"message": f"no records changed{window}: no archive published", "exported": 0}
    purged = exportfiles_purge()
    return {
        "message": (
            f"exported {export_file.record_count} records to {export_file.filename}"
            f" ({export_file.deleted_count} deleted, {export_file.errored_count} errored, {purged} old files purged)"
        )
    }


class ExportArguments(Schema):
    since = fields.AwareDateTime(
        required=False, load_default=None, allow_none=True,
        metadata={"help": "Records updated at or after this time. Empty: since the last successful run started."},
    )
    until = fields.AwareDateTime(
        required=False, load_default=None, allow_none=True,
        metadata={"help": "Records updated before this time. Empty: no upper bound."},
    )
    serializer = fields.String(
        load_default="datacite-xml", validate=validate.OneOf(NAMES), metadata={"help": "Format of each record."}
    )
    include_deleted = fields.Boolean(
        load_default=False, metadata={"help": "List deleted (tombstoned) DOIs in deleted.txt."}
    )
    publish_empty = fields.Boolean(
        load_default=False,
        metadata={"help": "Publish an archive even when no record changed (by default an empty export publishes nothing)."},
    )

    @validates_schema
    def until_after_since(self, data, **kwargs):
        since, until = data.get("since"), data.get("until")
        if since is not None and until is not None and until <= since:
            # An empty export would look like "nothing changed": say what is wrong instead.
            raise ValidationError("Must be later than since.", field_name="until")


class ExportRecords(RegisteredTask):
    """Export records changed since the last successful run."""

    title = "Export records"
    description = (
        "Export records updated since the start of the last successful run (or the given time) "
        "to a .tar.gz of DataCite XML, DataCite JSON or JSON, downloadable from the run page."
    )
    task = export_records
    arguments_schema = ExportArguments

    @classmethod
    def build_task_arguments(
        cls, job_obj, since=None, until=None, serializer="datacite-xml", include_deleted=False, publish_empty=False
    ):
        if since is None and job_obj is not None and job_obj.last_runs["success"]:
            since = job_obj.last_runs["success"].started_at
        return {
            "since": since, "until": until, "serializer": serializer, "include_deleted": include_deleted,
            "publish_empty": publish_empty,
        }
