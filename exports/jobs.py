"""The ``export_records`` job type: records -> a .tar.gz of DataCite XML, DataCite JSON or JSON."""

from celery import shared_task
from marshmallow import Schema, ValidationError, fields, validate, validates_schema

from exports.serializers import NAMES
from jobs.registry import RegisteredTask

PART_RECORDS = 100_000


@shared_task(name="exports.export_records")
def export_records(since=None, until=None, serializer="datacite-xml", include_deleted=False, publish_empty=False,
                   part_records=PART_RECORDS):
    # Imported when called: this module is loaded with the job registry, before the models are ready.
    from exports.fanout import export_fan_out
    from exports.services import exportfiles_purge, records_export

    fanned_out = export_fan_out(serializer=serializer, since=since, until=until, include_deleted=include_deleted,
                                publish_empty=publish_empty, part_records=part_records)
    if fanned_out is not None:
        return fanned_out
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


@shared_task(name="exports.export_part")
def export_part(**kwargs):
    """A subtask of a fanned-out export: one range of record ids as a part archive."""
    from exports.fanout import export_part as part_write  # when called: see export_records

    return part_write(**kwargs)


@shared_task(name="exports.export_join")
def export_join(**kwargs):
    """After the last part (``spawn_finally``): the parts joined into one published archive."""
    from exports.fanout import export_join as parts_join  # when called: see export_records
    from exports.services import exportfiles_purge

    result = parts_join(**kwargs)
    purged = exportfiles_purge()
    return {"message": f"{result['message']}, {purged} old files purged"}


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
    part_records = fields.Integer(
        load_default=PART_RECORDS, validate=validate.Range(min=0),
        metadata={"help": "Split an export of more records than this into parts written by any worker (0: never)."},
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
    def chain_ended(cls, run_ids):
        """No retry follows: the parts of a fanned-out export (kept for a retry until now) are removed."""
        from exports.fanout import parts_delete  # when called: see export_records

        parts_delete(run_ids[-1])

    @classmethod
    def build_task_arguments(
        cls, job_obj, since=None, until=None, serializer="datacite-xml", include_deleted=False, publish_empty=False,
        part_records=PART_RECORDS,
    ):
        if since is None and job_obj is not None and job_obj.last_runs["success"]:
            since = job_obj.last_runs["success"].started_at
        return {
            "since": since, "until": until, "serializer": serializer, "include_deleted": include_deleted,
            "publish_empty": publish_empty, "part_records": part_records,
        }
