"""A vocabulary import through the fault site's worker, cut short by a PostgreSQL restart or a killed worker process.

The ORCID import is read by one forked process and parsed by two (``VOCABULARIES_PARSERS``
in ``tests.faults.settings``); its writer thread commits each batch with its counters.
"""

from __future__ import annotations

import os
import signal
import tarfile
import time

import pytest

from tests.conftest import wait_for
from tests.processes import alive, children
from tests.vocabularies import orcid_fixtures as ofx
from tests.vocabularies.conftest import tar_add

pytestmark = [pytest.mark.faults, pytest.mark.slow]

# About 4 s of importing here: the faults come right after the first batch, long before its end.
RECORDS = 20_000
COMMITTED = (
    "SELECT (SELECT coalesce((counters ->> 'created')::int, 0) FROM jobs_run WHERE id = %s),"
    " (SELECT count(*) FROM vocabularies_name)"  # one statement: one snapshot of both
)


@pytest.fixture(scope="module")
def orcid_dump(fault_site) -> str:
    """An ORCID summaries .tar.gz of distinct records made from the real sample."""
    base = ofx.small()
    with tarfile.open(fault_site.imports / "summaries.tar.gz", "w:gz", compresslevel=1) as archive:
        for number in range(RECORDS):
            orcid_id = f"0000-0002-{number // 10000:04d}-{number % 10000:04d}"
            tar_add(archive, f"summaries/{orcid_id[-3:]}/{orcid_id}.xml", ofx.with_id(orcid_id, base))
    return "summaries.tar.gz"


@pytest.fixture
def importing(fault_site, fault_worker, orcid_dump):
    """Start the import into an empty table; return (run id, the worker's pool process, its helper processes)
    once the first batch is committed."""
    fault_site.query("TRUNCATE vocabularies_name")
    (pool,) = wait_for(lambda: children(fault_worker.pid), message="the worker's pool process")
    run_id, _ = fault_site.run("orcid_names", "--arg", f"source={orcid_dump}", "--arg", "fan_out=false",
                               "--arg", "since=1970-01-01T00:00:00+00:00")
    wait_for(lambda: fault_site.query(COMMITTED, [run_id])[0][0] > 0, message="the first batch")
    helpers = children(pool)
    assert len(helpers) == 3, helpers  # the reading process and the two parsers
    return run_id, pool, helpers


def test_a_postgresql_restart_during_an_import_fails_it_with_the_cause_and_leaves_no_parser(fault_site, importing):
    run_id, pool, helpers = importing

    fault_site.restart_postgresql_under(run_id, "Import ORCID names")

    counted, rows = fault_site.query(COMMITTED, [run_id])[0]
    assert 0 < counted == rows < RECORDS
    assert not any(map(alive, helpers)) and not children(pool)  # they ended before the run did


def test_a_worker_process_killed_during_an_import_takes_its_parsers_along_and_leaves_counters_equal_to_the_rows(
    fault_site, importing,
):
    run_id, pool, helpers = importing
    time.sleep(0.5)  # a few more batches

    os.kill(pool, signal.SIGKILL)

    wait_for(lambda: not any(map(alive, helpers)), timeout=10, message="the parsers to exit")
    counted, rows = fault_site.query(COMMITTED, [run_id])[0]
    assert 0 < counted == rows < RECORDS
