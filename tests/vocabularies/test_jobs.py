"""Vocabulary job types end-to-end: run_create + run_execute in-process, and one through the worker."""

import datetime as dt
import io
import json

import pytest
from django.core.management import CommandError, call_command
from django.db import transaction

from jobs.admin.forms import ARG_PREFIX, run_now_form_class
from jobs.exceptions import ArgumentsInvalid
from jobs.models import Run
from jobs.registry import registry
from jobs.runs.execution import run_execute
from jobs.runs.services import run_create
from tests.conftest import wait_for
from tests.factories import JobFactory
from tests.vocabularies import openaire_fixtures as ofx
from tests.vocabularies import orcid_fixtures as ofx_orcid
from tests.vocabularies.conftest import (
    assert_sharded_in_forked_processes,
    openaire_tar,
    orcid_targz,
    ror_sample,
    ror_zip,
)
from tests.vocabularies.test_zenodo import zenodo_routes
from vocabularies.apps import import_dir_create
from vocabularies.models import Affiliation, Award, Funder, Name

RECORDS = ror_sample()
FUNDER_IDS = {
    r["id"][-9:] for r in RECORDS
    if "funder" in r["types"] or any(e["type"] == "fundref" for e in r.get("external_ids", []))
}


def _run(job, **args):
    run = run_create(job=job, args=args)
    run_execute(run_id=run.pk)
    run.refresh_from_db()
    return run


@pytest.fixture
def ror_dump(import_dir):
    ror_zip(import_dir / "v2.9-2026-06-23-ror-data.zip", RECORDS)
    return "v2.9-2026-06-23-ror-data.zip"


def test_job_types_are_registered():
    assert {"ror_affiliations", "ror_funders", "orcid_names", "openaire_awards"} <= set(registry.types)


@pytest.mark.django_db
def test_ror_affiliations_import_then_since_then_unchanged(ror_dump):
    job = JobFactory(task_type="ror_affiliations")
    first = _run(job, source=ror_dump)
    assert first.status == Run.Status.SUCCESS, first.message
    assert first.counters["created"] == len(RECORDS) == Affiliation.objects.count()
    assert first.progress_done == first.progress_total > 0
    assert Affiliation.objects.get(ror_id="05qrfxd25").name
    # since defaults to the start of the last successful run: every record is older.
    second = _run(job, source=ror_dump)
    assert second.args["since"] == first.started_at.isoformat()
    assert second.counters == {"skipped": len(RECORDS)}
    third = _run(job, source=ror_dump, since="2000-01-01T00:00:00+00:00")
    assert third.counters == {"unchanged": len(RECORDS)}
    assert third.status == Run.Status.SUCCESS


@pytest.mark.django_db
def test_ror_funders_rule(ror_dump):
    run = _run(JobFactory(task_type="ror_funders"), source=ror_dump)
    assert run.status == Run.Status.SUCCESS, run.message
    assert set(Funder.objects.values_list("ror_id", flat=True)) == FUNDER_IDS
    assert {"005nqcn81", "01ahyrz84", "04mgnp447"} <= FUNDER_IDS
    assert Funder.objects.get(ror_id="005nqcn81").fundref_ids == ["100019777"]


@pytest.mark.django_db
def test_dry_run_writes_nothing_and_limit_reads_first_n(ror_dump):
    job = JobFactory(task_type="ror_affiliations")
    dry = _run(job, source=ror_dump, dry_run=True)
    assert dry.status == Run.Status.SUCCESS and dry.counters == {"created": len(RECORDS)}
    assert "dry run" in dry.message and Affiliation.objects.count() == 0
    limited = _run(job, source=ror_dump, limit=3)
    assert limited.counters == {"created": 3} and Affiliation.objects.count() == 3
    # neither a dry run nor a limited run moves the default since
    assert _run(job, source=ror_dump).counters == {"created": len(RECORDS) - 3, "unchanged": 3}


@pytest.mark.django_db
def test_record_missing_id_ends_partial_success(import_dir):
    records = json.loads(json.dumps(RECORDS))
    del records[2]["id"]
    ror_zip(import_dir / "dump.zip", records)
    run = _run(JobFactory(task_type="ror_affiliations"), source="dump.zip")
    assert run.status == Run.Status.PARTIAL_SUCCESS
    assert run.counters["errored"] == 1 and run.counters["created"] == len(RECORDS) - 1
    assert run.errors[0]["reason"].startswith("missing or malformed ROR id")


@pytest.mark.django_db
@pytest.mark.parametrize("damage", ["truncated", "invalid-json", "v1-only", "wrong-type"])
def test_bad_dump_fails_and_keeps_stored_records(import_dir, ror_dump, settings, damage):
    job = JobFactory(task_type="ror_affiliations")
    assert _run(job, source=ror_dump).status == Run.Status.SUCCESS
    before = {a.ror_id: a.content_hash for a in Affiliation.objects.all()}
    changed = json.loads(json.dumps(RECORDS))
    for record in changed:
        record["names"][0]["value"] += " (renamed)"
    text = json.dumps(changed, indent=4)
    path = import_dir / "bad.zip"
    if damage == "truncated":
        data = ror_zip(path, changed).read_bytes()
        path.write_bytes(data[: len(data) - 200])
        expected = "not a readable zip"
    elif damage == "invalid-json":
        settings.VOCABULARIES_BATCH_SIZE = 4
        cut = text.index('"id": "https://ror.org/0071a9161"')
        ror_zip(path, (text[:cut] + "}}}" + text[cut:]).encode())
        expected = "invalid or truncated JSON after record 6"
    elif damage == "v1-only":
        ror_zip(path, [{"id": r["id"], "name": "x"} for r in RECORDS], era="v1only")
        expected = "only schema v1 records"
    else:
        path.write_bytes(b"\x1f\x8b\x08 this is gzip, not a zip")
        expected = "not a ROR dump"
    run = _run(job, source="bad.zip", since="2000-01-01T00:00:00+00:00")
    assert run.status == Run.Status.FAILED
    assert expected in run.message
    after = {a.ror_id: a.content_hash for a in Affiliation.objects.all()}
    assert set(after) == set(before)
    if damage == "invalid-json":
        # Chosen behaviour: batches committed before the parse error stay (each record old or new).
        renamed = {r for r in after if after[r] != before[r]}
        assert renamed == {r["id"][-9:] for r in RECORDS[:4]}
    else:
        assert after == before


@pytest.mark.django_db
def test_http_source_404_fails(http_server, import_dir):
    run = _run(JobFactory(task_type="ror_affiliations"), source=f"{http_server.url}/nothing.zip")
    assert run.status == Run.Status.FAILED and "did not answer with the file" in run.message
    said = run.message.replace(http_server.url, "")  # (the server's random port may hold "404")
    assert "404" not in said and "Not Found" not in said  # the target's status line is not echoed


@pytest.mark.django_db
def test_default_source_is_the_latest_zenodo_release(http_server, import_dir, settings, tmp_path):
    settings.VOCABULARIES_ZENODO_API = f"{http_server.url}/api"
    file_url = zenodo_routes(http_server)
    body = ror_zip(tmp_path / "z.zip", RECORDS).read_bytes()
    http_server.routes[file_url.removeprefix(http_server.url)] = (200, {"Content-Type": "application/zip"}, body)
    run = _run(JobFactory(task_type="ror_affiliations"))
    assert run.status == Run.Status.SUCCESS, run.message
    assert run.counters["created"] == len(RECORDS)


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("source", "message"),
    [("/etc/passwd", "outside the import folder"), ("nonexistent.zip", "does not exist"), ("ftp://x/y.zip", "only http")],
)
def test_a_refused_source_stores_no_run(import_dir, source, message):
    job = JobFactory(task_type="ror_affiliations")
    with pytest.raises(ArgumentsInvalid, match=message) as refused:
        run_create(job=job, args={"source": source})
    assert list(refused.value.messages) == ["source"]
    assert not Run.objects.filter(job=job).exists()


@pytest.mark.django_db
def test_openaire_awards_link_funders(import_dir, ror_dump):
    Funder.objects.create(ror_id="00k4n6c32", name="European Commission", status="active", content_hash="-")
    openaire_tar(import_dir / "project.tar", [[ofx.V7_H2020, ofx.V8_NSF], [ofx.V9_FWF, ofx.NO_TITLE, b"{oops"]])
    job = JobFactory(task_type="openaire_awards")
    run = _run(job, source="project.tar")
    assert run.status == Run.Status.PARTIAL_SUCCESS
    assert run.counters == {"created": 4, "errored": 1}
    award = Award.objects.get(number="777541")
    assert award.funder.ror_id == "00k4n6c32" and award.programme == "H2020" and award.acronym == "OpenAIRE-Advance"
    assert Award.objects.get(number="Y 1067").funder_ror_id == "013tf3c58"
    again = _run(job, source="project.tar")
    assert again.counters == {"unchanged": 4, "errored": 1}


@pytest.mark.django_db
def test_orcid_names_import_and_deactivation(import_dir):
    other = "0000-0002-1825-0097"
    orcid_targz(import_dir / "s1.tar.gz", {ofx_orcid.REAL_ID: ofx_orcid.real(), other: ofx_orcid.with_id(other)})
    job = JobFactory(task_type="orcid_names")
    first = _run(job, source="s1.tar.gz")
    assert first.status == Run.Status.SUCCESS, first.message
    assert first.counters == {"created": 2}
    name = Name.objects.get(orcid_id=ofx_orcid.REAL_ID)
    assert name.family_name == "Demeranville" and name.employments[0]["grid"] == "grid.455335.1"
    orcid_targz(import_dir / "s2.tar.gz", {other: ofx_orcid.deactivated(other), "0000-0001-5109-3700": ofx_orcid.BOMB})
    second = _run(job, source="s2.tar.gz", since="2000-01-01T00:00:00+00:00")
    assert second.status == Run.Status.PARTIAL_SUCCESS
    assert second.counters == {"deleted": 1, "errored": 1}
    assert "entit" in second.errors[0]["reason"]
    assert list(Name.objects.values_list("orcid_id", flat=True)) == [ofx_orcid.REAL_ID]


@pytest.mark.django_db
def test_orcid_since_skips_older_records(import_dir):
    orcid_targz(import_dir / "s.tar.gz", {ofx_orcid.REAL_ID: ofx_orcid.real()})
    run = _run(JobFactory(task_type="orcid_names"), source="s.tar.gz", since="2022-01-01T00:00:00+00:00")
    assert run.counters == {"skipped": 1}


@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
def test_ror_import_through_the_worker(celery_worker, http_server, tmp_path):
    body = ror_zip(tmp_path / "dump.zip", RECORDS).read_bytes()
    http_server.routes["/ror.zip"] = (200, {"Content-Type": "application/zip"}, body)
    job = JobFactory(task_type="ror_affiliations")
    with transaction.atomic():
        run = run_create(job=job, args={"source": f"{http_server.url}/ror.zip"})

    def finished():
        run.refresh_from_db()
        return run.status in Run.FINAL_STATUSES

    wait_for(finished, timeout=60, message="import run to finish")
    assert run.status == Run.Status.SUCCESS, run.message
    assert run.counters == {"created": len(RECORDS)}
    assert Affiliation.objects.count() == len(RECORDS)
    assert run.finished_at > run.started_at > dt.datetime(2000, 1, 1, tzinfo=dt.UTC)


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("task_type", ["ror_affiliations", "ror_funders"])
def test_ror_jobs_parse_in_several_processes(import_dir, settings, monkeypatch, task_type, ror_parsers):
    from jobs.runs import context
    from vocabularies import jobs as vocabulary_jobs
    from vocabularies.readers import jsonarray

    monkeypatch.setattr(jsonarray, "READ", 4096)  # slices of ~8 KB, groups of 2: many groups
    monkeypatch.setattr(jsonarray, "GROUP_SLICES", 2)
    settings.VOCABULARIES_PARSERS = 2
    records = []
    for number in range(120):
        record = json.loads(json.dumps(RECORDS[number % len(RECORDS)]))
        record["id"] = f"https://ror.org/0{number:08d}"
        records.append(record)
    ror_zip(import_dir / "many.zip", records)
    task = getattr(vocabulary_jobs, task_type)  # called in this process (outside a transaction: forked parsers)
    model = Affiliation if task_type == "ror_affiliations" else Funder
    funders = [r for r in records if "funder" in r["types"] or any(e["type"] == "fundref" for e in r["external_ids"])]
    for expected in ("created", "unchanged"):
        run = context.RunHandle(None)
        token = context.activate(run)
        try:
            task(source="many.zip")
        finally:
            context.deactivate(token)
        assert_sharded_in_forked_processes(ror_parsers(), 2)
        assert model.objects.count() == (120 if model is Affiliation else len(funders)) > 0
        assert run.counters == {expected: model.objects.count()} and run.done == run.total


@pytest.mark.django_db
@pytest.mark.parametrize("source", ["/etc/passwd", "nonexistent.zip", "http://127.0.0.2/x.zip"])
def test_every_entry_point_refuses_a_bad_source_before_a_run_exists(import_dir, source):
    job = JobFactory(task_type="ror_affiliations")
    # The run-now form's field and its JSON override.
    form = run_now_form_class(job)(data={ARG_PREFIX + "source": source})
    assert form.is_valid(), form.errors
    assert form.build() is None and form.errors[ARG_PREFIX + "source"]
    form = run_now_form_class(job)(data={"override": json.dumps({"source": source})})
    assert form.is_valid(), form.errors
    assert form.build() is None and "source" in " ".join(form.errors["override"])
    # The command line: exit code 2, nothing stored.
    with pytest.raises(CommandError) as refused:
        call_command("jobs", "run", str(job.pk), "--arg", f"source={source}", stdout=io.StringIO(), stderr=io.StringIO())
    assert refused.value.returncode == 2 and "source:" in str(refused.value)
    assert not Run.objects.filter(job=job).exists()


def test_the_source_help_says_paths_are_relative_to_the_import_folder():
    for type_id in ("ror_affiliations", "ror_funders", "orcid_names", "openaire_awards"):
        assert "relative to the import folder" in registry.get(type_id).schema().fields["source"].metadata["help"]


def test_migrate_creates_the_import_folder(settings, tmp_path):
    settings.VOCABULARIES_IMPORT_DIR = str(tmp_path / "var" / "imports")
    import_dir_create()
    assert (tmp_path / "var" / "imports").is_dir()
