"""Job types of the vocabulary imports (registered in pyproject.toml, group ``jobsite.jobs``)."""

from __future__ import annotations

import datetime as dt
import logging

from celery import shared_task
from marshmallow import ValidationError, fields, validate

from jobs import current_run
from jobs.models import Run
from jobs.registry import RegisteredTask
from vocabularies import conf, orcidfanout, targets
from vocabularies.exceptions import ImportFailed, SourceRejected
from vocabularies.importing import vocabulary_import
from vocabularies.readers import openaire, orcid, ror
from vocabularies.sources import source_check, source_open
from vocabularies.zenodo import zenodo_latest_file_url

logger = logging.getLogger(__name__)


def _source_validate(value: str):
    """Every source rule (vocabularies.sources.source_check), as a field error before any run exists."""
    try:
        source_check(value)
    except SourceRejected as exc:
        raise ValidationError(str(exc)) from exc


SOURCE_RULES = (
    " Paths are relative to the import folder (VOCABULARIES_IMPORT_DIR, by default var/imports);"
    " URLs must be http(s) from a host in VOCABULARIES_SOURCE_HOSTS."
)



def _arguments(source_help: str, *, with_since: bool = True) -> dict:
    arguments = {
        "source": fields.String(load_default="", validate=_source_validate, metadata={"help": source_help + SOURCE_RULES}),
        "dry_run": fields.Boolean(
            load_default=False, metadata={"help": "Parse, validate and count what would change; write nothing."}
        ),
        "limit": fields.Integer(
            load_default=None, allow_none=True, validate=validate.Range(min=1),
            metadata={"help": "Read only the first N records (for trials)."},
        ),
    }
    if with_since:
        arguments["since"] = fields.AwareDateTime(
            load_default=None, allow_none=True,
            metadata={"help": (
                "Read only records modified since then; the others count as “skipped (since)”. Empty: the start of "
                "the last successful full run, so a second import reads only what changed. To read every record, "
                "give an early time such as 1970-01-01 00:00."
            )},
        )
    return arguments


def last_full_success_start(job_obj) -> dt.datetime | None:
    """Start of the newest successful run that was neither a dry run nor limited."""
    if job_obj is None or job_obj.pk is None:
        return None
    runs = (
        Run.objects.filter(job=job_obj, status=Run.Status.SUCCESS, parent__isnull=True)  # not a subtask's start
        .order_by("-started_at").only("started_at", "args")
    )
    for run in runs[:50]:
        args = run.args or {}
        if not args.get("dry_run") and not args.get("limit"):
            return run.started_at
    return None


class _VocabularyJob(RegisteredTask):
    progress_unit = "bytes"  # the readers report bytes of the dump read (jobs.units shows MB)

    @classmethod
    def build_task_arguments(cls, job_obj, source="", since=None, dry_run=False, limit=None):
        if since is None:
            since = last_full_success_start(job_obj)
        return {"source": source, "since": since, "dry_run": dry_run, "limit": limit}


def _since(value) -> dt.datetime | None:
    if value in (None, ""):
        return None
    return value if isinstance(value, dt.datetime) else dt.datetime.fromisoformat(value)


def _run_import(
    *, target, mapper, reader, source: str, since=None, dry_run=False, limit=None, zenodo=None, fork=None,
    sharded=False, feed=None, split=None,
) -> dict:
    run = current_run()
    if not source:
        if zenodo is None:
            raise ImportFailed("no source given (a path below the import folder or an http(s) URL)")
        concept, pattern = zenodo
        source = zenodo_latest_file_url(conf.get(concept), pattern=pattern)
    logger.info("vocabulary_source source=%s since=%s dry_run=%s limit=%s", source, since, dry_run, limit)
    with source_open(source, progress=run.progress) as path:
        if split is not None and (result := split(path)) is not None:
            return result
        options = {"progress": run.progress, "max_member_bytes": int(conf.get("VOCABULARIES_MAX_MEMBER_BYTES"))}
        shards = (lambda index, count: reader(path, shard=(index, count), **options)) if sharded else None
        return vocabulary_import(
            target=target, records=reader(path, **options), mapper=mapper, since=_since(since), dry_run=dry_run,
            limit=limit, fork=fork, shards=shards, feed=feed(path, options["max_member_bytes"]) if feed else None,
        )


ROR_ZENODO = ("VOCABULARIES_ROR_ZENODO_CONCEPT", r"\.zip$")
OPENAIRE_ZENODO = ("VOCABULARIES_OPENAIRE_ZENODO_CONCEPT", r"(^|/)project\.tar$")
ROR_HELP = "URL or path of a ROR release zip. Empty: the latest release on Zenodo (concept 10.5281/zenodo.6347574)."


@shared_task(name="vocabularies.ror_affiliations")
def ror_affiliations(source="", since=None, dry_run=False, limit=None):
    return _run_import(
        target=targets.AFFILIATIONS, mapper=ror.affiliation_row, reader=ror.ror_records,
        source=source, since=since, dry_run=dry_run, limit=limit, zenodo=ROR_ZENODO, sharded=True,
    )


class RorAffiliations(_VocabularyJob):
    """Import organisations (affiliations) from a ROR data dump."""

    title = "Import ROR affiliations"
    description = "Create or update affiliations from the ROR data dump (schema v2, every release era)."
    task = ror_affiliations
    arguments_schema = _arguments(ROR_HELP)


@shared_task(name="vocabularies.ror_funders")
def ror_funders(source="", since=None, dry_run=False, limit=None):
    return _run_import(
        target=targets.FUNDERS, mapper=ror.funder_row, reader=ror.ror_records,
        source=source, since=since, dry_run=dry_run, limit=limit, zenodo=ROR_ZENODO, sharded=True,
    )


class RorFunders(_VocabularyJob):
    """Import funders from a ROR data dump (type funder or a Crossref Funder id)."""

    title = "Import ROR funders"
    description = 'Create or update funders from the ROR data dump: records typed "funder" or having a fundref id.'
    task = ror_funders
    arguments_schema = _arguments(ROR_HELP)


@shared_task(name="vocabularies.openaire_awards")
def openaire_awards(source="", dry_run=False, limit=None):
    return _run_import(
        target=targets.AWARDS, mapper=openaire.award_row, reader=openaire.openaire_projects,
        source=source, dry_run=dry_run, limit=limit, zenodo=OPENAIRE_ZENODO,
        # Projects are small and cheap to map (~8 us each): handing them between processes costs
        # more than it frees (bench: unchanged re-import 50k/s in one process, 35k/s forked).
        fork=False,
    )


class OpenaireAwards(RegisteredTask):
    """Import awards (projects) from an OpenAIRE Graph project.tar.

    Projects carry no modification date, so there is no ``since``: unchanged projects
    are recognised by their content hash and not rewritten.
    """

    title = "Import OpenAIRE awards"
    progress_unit = "bytes"
    description = "Create or update awards from the OpenAIRE Graph project.tar; funders linked by id prefix."
    task = openaire_awards
    arguments_schema = _arguments(
        "URL or path of an OpenAIRE project.tar. Empty: project.tar of the latest OpenAIRE Graph on Zenodo "
        "(concept 10.5281/zenodo.3516917).",
        with_since=False,
    )


# --- ORCID names: one run, or fanned out over the workers in chunks -----------------------

ORCID_CHUNK_RECORDS = 50_000


@shared_task(name="vocabularies.orcid_names")
def orcid_names(source="", since=None, dry_run=False, limit=None, fan_out=True, chunk_records=ORCID_CHUNK_RECORDS):
    max_member_bytes = int(conf.get("VOCABULARIES_MAX_MEMBER_BYTES"))

    def split(path):
        """A .tar.gz of more than one chunk's worth of records fans out (not with a limit); else None."""
        if not (fan_out and limit is None and orcid.is_summaries_archive(path)):
            return None
        if not orcidfanout.fan_out_wanted(path, chunk_records=chunk_records, max_member_bytes=max_member_bytes):
            return None
        return orcidfanout.orcid_fan_out(
            path=path, since=_since(since), dry_run=dry_run, chunk_records=chunk_records,
            chunk_task=orcid_chunk_import, max_member_bytes=max_member_bytes,
        )

    def feed(path, max_member_bytes):
        return orcidfanout.orcid_feed(path, max_member_bytes=max_member_bytes) if orcid.is_summaries_archive(path) else None

    return _run_import(
        target=targets.NAMES, mapper=orcid.name_row, reader=orcid.orcid_records,
        source=source, since=since, dry_run=dry_run, limit=limit, split=split, feed=feed,
    )


@shared_task(name="vocabularies.orcid_chunk_import")
def orcid_chunk_import(chunk, since=None, dry_run=False):
    """Subtask of a fanned-out ``orcid_names`` run: import one chunk file, then delete it."""
    return orcidfanout.orcid_chunk_import(chunk=chunk, since=_since(since), dry_run=dry_run)


class OrcidNames(_VocabularyJob):
    """Import person names from the ORCID Public Data File (summaries)."""

    title = "Import ORCID names"
    description = "Create, update or remove (deactivated) names from an ORCID summaries .tar.gz or folder of XML files."
    task = orcid_names
    arguments_schema = {
        **_arguments(
            "Path (below the import folder) or URL of an ORCID summaries .tar.gz, or a folder of per-iD XML files."
        ),
        "fan_out": fields.Boolean(
            load_default=True,
            metadata={"help": "Split a .tar.gz of more than chunk_records records into chunks imported by any worker."},
        ),
        "chunk_records": fields.Integer(
            load_default=ORCID_CHUNK_RECORDS, validate=validate.Range(min=1),
            metadata={"help": "Records per chunk when the import fans out."},
        ),
    }

    @classmethod
    def build_task_arguments(cls, job_obj, fan_out=True, chunk_records=ORCID_CHUNK_RECORDS, **kwargs):
        arguments = super().build_task_arguments(job_obj, **kwargs)
        return {**arguments, "fan_out": fan_out, "chunk_records": chunk_records}

    @classmethod
    def chain_ended(cls, run_ids):
        """No retry follows: the chunks its subtasks could not delete (a lost worker, a cancel) are removed."""
        orcidfanout.chunks_left_delete(run_ids)
