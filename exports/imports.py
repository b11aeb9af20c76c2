"""The ``import_records`` job type: DataCite XML/JSON files, folders, archives or the REST API -> records."""

from celery import shared_task
from marshmallow import ValidationError, fields

from exports.importing import records_import, records_summary
from exports.sources import SourceInvalid, source_check
from jobs.exceptions import ArgumentsInvalid
from jobs.registry import RegisteredTask

SOURCE_HELP = (
    "A path relative to the import folder (EXPORTS_IMPORT_DIR, default var/imports): a DataCite XML or JSON file, "
    "a folder of them, or a .tar.gz (this site's export archives too); or a DataCite REST API URL for a client "
    "or prefix, e.g. https://api.datacite.org/dois?client-id=cern.zenodo (read page by page with a cursor)."
)


def _source_validate(value: str):
    if not value:
        return  # an empty default is allowed on the job; a run needs a source (build_task_arguments)
    try:
        source_check(value)
    except SourceInvalid as exc:
        raise ValidationError(str(exc)) from exc


@shared_task(name="exports.import_records")
def import_records(source="", dry_run=False):
    counts = records_import(source=source, dry_run=dry_run)
    return {"message": records_summary(counts, dry_run=dry_run), **counts}


class ImportRecords(RegisteredTask):
    """Create or update records from DataCite metadata."""

    title = "Import records"
    description = (
        "Create or update records from DataCite XML (kernel 4.0-4.7) or JSON: a file, a folder, a .tar.gz "
        "(such as this site's export archives) or the DataCite REST API for a client or prefix."
    )
    task = import_records
    arguments_schema = {
        "source": fields.String(load_default="", validate=_source_validate, metadata={"help": SOURCE_HELP}),
        "dry_run": fields.Boolean(
            load_default=False, metadata={"help": "Read, validate and compare with the stored records; write nothing."}
        ),
    }

    @classmethod
    def build_task_arguments(cls, job_obj, source="", dry_run=False):
        if not source:
            raise ArgumentsInvalid({"source": ["Give a source: a path below the import folder or a DataCite REST API URL."]})
        return {"source": source, "dry_run": dry_run}
