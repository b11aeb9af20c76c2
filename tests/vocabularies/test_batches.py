"""Records -> batches, in this process or a forked one: same rows, counters and errors either way."""

import datetime as dt
import json
import os
import signal

import pytest

from jobs.exceptions import RunCancelled
from jobs.runs import context
from tests.vocabularies import openaire_fixtures as ofx
from tests.vocabularies import orcid_fixtures as ofx_orcid
from tests.vocabularies.conftest import assert_sharded_in_forked_processes, ror_sample
from vocabularies import targets
from vocabularies.batches import forked_batches, prepared_batches
from vocabularies.exceptions import ImportFailed, RecordInvalid
from vocabularies.importing import vocabulary_import
from vocabularies.models import Affiliation, Award, Funder, Name
from vocabularies.readers.openaire import award_row
from vocabularies.readers.orcid import name_row, orcid_parse
from vocabularies.readers.ror import affiliation_row, funder_row


@pytest.fixture
def handle():
    made = []

    def make(**kw):
        run = context.RunHandle(None, **kw)
        made.append(context.activate(run))
        return run

    yield make
    for token in reversed(made):
        context.deactivate(token)


def _ror_records():
    records = json.loads(json.dumps(ror_sample()))
    duplicate = json.loads(json.dumps(records[0]))
    duplicate["status"] = "inactive"
    for name in records[3]["names"]:
        name["value"] = "x" * 600  # cut to the column size
    del records[5]["id"]  # errored
    return [*records, duplicate, RecordInvalid("broken-entry", "not JSON")]


def _orcid_records():
    other = "0000-0002-1825-0097"
    return [
        orcid_parse(ofx_orcid.real(), "real"),
        orcid_parse(ofx_orcid.with_id(other), other),
        orcid_parse(ofx_orcid.deactivated(other), other),  # deletes the one before
        {"orcid_id": "bad"},
    ]


CASES = {
    "ror": (targets.AFFILIATIONS, affiliation_row, _ror_records, Affiliation),
    "ror-funders": (targets.FUNDERS, funder_row, _ror_records, Funder),
    "orcid": (targets.NAMES, name_row, _orcid_records, Name),
    "openaire": (targets.AWARDS, award_row, lambda: [ofx.V7_H2020, ofx.V8_NSF, ofx.V9_FWF, {"id": 3}], Award),
}


def _stored(model):
    """Every stored row without its primary key, in a stable order."""
    rows = [{k: v for k, v in row.items() if k != "id"} for row in model.objects.values()]
    return sorted(rows, key=lambda row: row["content_hash"])


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("case", sorted(CASES))
def test_forked_and_in_process_imports_write_the_same(handle, case):
    target, mapper, records, model = CASES[case]
    if case == "openaire":
        Funder.objects.create(ror_id="00k4n6c32", name="European Commission", status="active", content_hash="-")
    outcomes = []
    for fork in (False, True):
        model.objects.all().delete()
        run = handle()
        vocabulary_import(target=target, records=iter(records()), mapper=mapper, batch_size=2, fork=fork)
        again = handle()
        vocabulary_import(target=target, records=iter(records()), mapper=mapper, batch_size=2, fork=fork)
        outcomes.append((_stored(model), dict(run.counters), run.errors, dict(again.counters)))
    assert outcomes[0] == outcomes[1]
    rows, counters, errors, again = outcomes[1]
    assert rows and counters.get("errored") == len(errors) >= 1
    assert again.get("unchanged", 0) >= 1  # (duplicates and deletions across batches are re-applied)
    if case == "ror":
        assert Affiliation.objects.get(ror_id=ror_sample()[0]["id"][-9:]).status == "inactive"  # the last one wins
        assert max(len(row["name"]) for row in rows) == 500
    if case == "openaire":
        assert Award.objects.filter(funder__isnull=False).exists()


@pytest.mark.django_db(transaction=True)
def test_forked_since_skips_and_reports_progress(handle):
    run = handle()

    def reader():
        for number, record in enumerate(ror_sample(), 1):
            context.current_run().progress(number, 17)
            yield record

    since = dt.datetime(2100, 1, 1, tzinfo=dt.UTC)
    vocabulary_import(target=targets.AFFILIATIONS, records=reader(), mapper=affiliation_row, since=since, fork=True)
    assert run.counters == {"skipped": len(ror_sample())} and (run.done, run.total) == (len(ror_sample()), 17)


@pytest.mark.django_db(transaction=True)
def test_forked_reader_failure_keeps_earlier_batches_and_its_message(handle):
    handle()

    def reader():
        yield from ror_sample()[:3]
        raise ImportFailed("dump.zip: invalid or truncated JSON after record 3")

    with pytest.raises(ImportFailed, match="truncated JSON after record 3"):
        vocabulary_import(target=targets.AFFILIATIONS, records=reader(), mapper=affiliation_row, batch_size=2, fork=True)
    assert Affiliation.objects.count() == 2  # the first batch; never half of one


@pytest.mark.django_db(transaction=True)
def test_forked_unexpected_error_is_raised_with_the_child_traceback(handle):
    handle()

    def mapper(record):
        raise KeyError("surprise")

    with pytest.raises(KeyError, match="surprise") as info:
        vocabulary_import(target=targets.AFFILIATIONS, records=ror_sample(), mapper=mapper, fork=True)
    assert "in the parsing process" in "".join(getattr(info.value, "__notes__", []))


@pytest.mark.django_db(transaction=True)
def test_forked_killed_child_fails_the_import(handle):
    handle()

    def reader():
        yield from ror_sample()[:2]
        os.kill(os.getpid(), signal.SIGKILL)

    with pytest.raises(ImportFailed, match="ended without a result"):
        vocabulary_import(target=targets.AFFILIATIONS, records=reader(), mapper=affiliation_row, batch_size=1, fork=True)


@pytest.mark.django_db(transaction=True)
def test_forked_limit_and_cancellation(handle):
    handle()
    vocabulary_import(target=targets.AFFILIATIONS, records=iter(ror_sample() * 3), mapper=affiliation_row, limit=5, fork=True)
    assert Affiliation.objects.count() == 5
    handle(cancel_check=lambda: True)
    with pytest.raises(RunCancelled):
        vocabulary_import(target=targets.AFFILIATIONS, records=iter(ror_sample()), mapper=affiliation_row, fork=True)


def test_errors_alone_fill_a_batch():
    batches = list(prepared_batches(
        target=targets.AFFILIATIONS, records=[RecordInvalid(str(n), "bad") for n in range(5)], mapper=affiliation_row,
        since=None, limit=None, batch_size=2, serialized=True,
    ))
    assert [len(b.errors) for b in batches] == [2, 2, 1] and sum(b.read for b in batches) == 5


def test_forked_batches_stop_the_child_when_closed():
    def produce():
        yield from prepared_batches(
            target=targets.AFFILIATIONS, records=iter(ror_sample() * 1000), mapper=affiliation_row,
            since=None, limit=None, batch_size=1, serialized=True,
        )

    batches = forked_batches(produce)
    first = next(batches)
    batches.close()  # kills and reaps the child
    key, digest, payload = first.rows[0]
    assert key == ror_sample()[0]["id"][-9:] and len(digest) == 32 and json.loads(payload)["ror_id"] == key


@pytest.mark.django_db(transaction=True)
def test_forked_child_reports_progress_even_if_a_thread_held_the_handle_lock_at_the_fork(handle):
    run = handle()
    run._lock.acquire()  # as if the run monitor were taking a snapshot at that moment

    def produce():
        context.current_run().progress(7, 9)  # would block forever on the inherited lock
        yield from prepared_batches(
            target=targets.AFFILIATIONS, records=iter(ror_sample()), mapper=affiliation_row,
            since=None, limit=None, batch_size=100, serialized=True,
        )

    try:
        batches = list(forked_batches(produce))
    finally:
        run._lock.release()
    assert batches[0].progress == (7, 9) and len(batches[0].rows) == len(ror_sample())


def _many_ror_records(count: int) -> list[dict]:
    records = []
    for number in range(count):
        record = json.loads(json.dumps(ror_sample()[number % len(ror_sample())]))
        record["id"] = f"https://ror.org/0{number:08d}"
        records.append(record)
    return records


@pytest.fixture
def small_groups(monkeypatch, settings):
    """Slices of ~8 KB in groups of 2, so that a small dump has many groups."""
    from vocabularies.readers import jsonarray

    monkeypatch.setattr(jsonarray, "READ", 4096)
    monkeypatch.setattr(jsonarray, "GROUP_SLICES", 2)
    settings.VOCABULARIES_PARSERS = 2


def _sharded_import(path, **options):
    from vocabularies.readers.ror import ror_records

    progress = context.current_run().progress
    return vocabulary_import(
        target=targets.AFFILIATIONS, records=ror_records(path, progress=progress), mapper=affiliation_row, fork=True,
        shards=lambda index, count: ror_records(path, progress=progress, shard=(index, count)), **options,
    )


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("parsers", [2, 3])
def test_sharded_import_writes_the_same_as_one_process(
    handle, tmp_path, small_groups, settings, parsers, ror_parsers
):
    from tests.vocabularies.conftest import ror_zip
    from vocabularies.readers.ror import ror_records

    settings.VOCABULARIES_PARSERS = parsers
    records = _many_ror_records(150)
    records[40]["names"][0]["value"] = "x" * 600
    del records[90]["id"]  # errored
    path = ror_zip(tmp_path / "dump.zip", records)
    one = handle()
    vocabulary_import(target=targets.AFFILIATIONS, records=ror_records(path), mapper=affiliation_row, fork=False)
    assert ror_parsers() == [(os.getpid(), None)]
    expected = _stored(Affiliation)
    Affiliation.objects.all().delete()
    run = handle()
    _sharded_import(path, batch_size=7)
    assert_sharded_in_forked_processes(ror_parsers(), parsers)
    assert _stored(Affiliation) == expected
    assert run.counters == one.counters == {"created": 149, "errored": 1} and run.errors == one.errors
    assert run.done == run.total == path.stat().st_size
    records[120]["status"] = "inactive"
    ror_zip(path, records)
    again = handle()
    _sharded_import(path, batch_size=7)
    assert_sharded_in_forked_processes(ror_parsers(), parsers)
    assert again.counters == {"updated": 1, "unchanged": 148, "errored": 1}


@pytest.mark.django_db(transaction=True)
def test_sharded_import_failing_half_way_keeps_the_batches_before_it_and_its_message(
    handle, tmp_path, small_groups, ror_parsers
):
    from tests.vocabularies.conftest import ror_zip

    records = _many_ror_records(150)
    text = json.dumps(records, indent=4)
    cut = text.index(f'"id": "https://ror.org/0{100:08d}"')
    path = ror_zip(tmp_path / "dump.zip", (text[:cut] + "}}}" + text[cut:]).encode())
    handle()
    with pytest.raises(ImportFailed, match=r"invalid or truncated JSON after byte \d+ \(and \d+ records from there\)"):
        _sharded_import(path, batch_size=7)
    assert_sharded_in_forked_processes(ror_parsers(), 2)  # every parser took its turn before the broken record
    stored = set(Affiliation.objects.values_list("ror_id", flat=True))
    assert stored == {f"0{n:08d}" for n in range(len(stored))} and 0 < len(stored) <= 100  # the first ones, whole batches


@pytest.mark.django_db(transaction=True)
def test_sharded_import_with_a_limit_reads_the_first_records_in_one_process(
    handle, tmp_path, small_groups, ror_parsers
):
    from tests.vocabularies.conftest import ror_zip

    path = ror_zip(tmp_path / "dump.zip", _many_ror_records(150))
    handle()
    _sharded_import(path, limit=33)
    readers = ror_parsers()  # one reader of the whole dump, in one forked process
    assert [shard for _, shard in readers] == [None] and readers[0][0] != os.getpid()
    assert set(Affiliation.objects.values_list("ror_id", flat=True)) == {f"0{n:08d}" for n in range(33)}


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("max_rows", [0, 300_000], ids=["looked-up-per-batch", "read-once"])
def test_reimport_counts_whether_stored_hashes_are_read_once_or_per_batch(handle, settings, max_rows):
    settings.VOCABULARIES_STORED_MAX_ROWS = max_rows
    records = _many_ror_records(30)
    handle()
    vocabulary_import(target=targets.AFFILIATIONS, records=iter(records), mapper=affiliation_row, batch_size=4, fork=True)
    records[5]["status"] = "inactive"
    changed_back = json.loads(json.dumps(records[7]))
    records[7]["status"] = "withdrawn"
    records.append(changed_back)  # the same key again, as stored: the last one wins
    run = handle()
    vocabulary_import(target=targets.AFFILIATIONS, records=iter(records), mapper=affiliation_row, batch_size=4, fork=True)
    assert run.counters == {"updated": 3, "unchanged": 28}
    assert Affiliation.objects.get(ror_id=records[5]["id"][-9:]).status == "inactive"
    assert Affiliation.objects.get(ror_id=records[7]["id"][-9:]).status == changed_back["status"]
