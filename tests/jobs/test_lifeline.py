"""Helper processes die with their parent: a forked parser or reading process (parent-death signal) and the log
writer (input EOF)."""

import os
import signal
import subprocess
import sys
import textwrap

import pytest
from django.conf import settings

from tests.conftest import ROOT, wait_for, worker_env
from tests.processes import alive


def _parent_of_a_helper(script: str) -> tuple[subprocess.Popen, int]:
    """Start ``script`` in a new Python process; it prints its helper's pid on its first line."""
    env = worker_env()
    parent = subprocess.Popen([sys.executable, "-c", textwrap.dedent(script)], cwd=ROOT, env=env,
                              stdout=subprocess.PIPE, text=True)
    line = parent.stdout.readline()
    assert line.strip().isdigit(), f"no helper pid, the parent said {line!r}"
    return parent, int(line)


def _kill_and_expect_the_helper_gone(parent: subprocess.Popen, child: int, what: str):
    try:
        assert alive(child)
        os.kill(parent.pid, signal.SIGKILL)
        parent.wait()
        wait_for(lambda: not alive(child), timeout=20, message=what)
    finally:
        if alive(child):
            os.kill(child, signal.SIGKILL)


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="parent-death signal is Linux's")
def test_forked_parsers_die_when_their_parent_is_killed():
    parent, child = _parent_of_a_helper("""
        import os, sys, time
        import django
        django.setup()
        from vocabularies.batches import forked_batches

        def produce():
            print(os.getpid(), flush=True)  # the child's pid, through the inherited stdout
            time.sleep(120)
            yield from ()

        for _ in forked_batches(produce):
            pass
    """)
    _kill_and_expect_the_helper_gone(parent, child, "the forked parser to exit")


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="parent-death signal is Linux's")
def test_the_reading_process_of_fed_parsers_dies_when_their_parent_is_killed():
    parent, child = _parent_of_a_helper("""
        import os, time
        import django
        django.setup()
        from vocabularies.batches import Feed, fed_batches

        def blocks():
            print(os.getpid(), flush=True)  # the reading process's pid, through the inherited stdout
            time.sleep(120)
            yield from ()

        for _ in fed_batches(feed=Feed(blocks=blocks, parse=list), count=2, produce=list):
            pass
    """)
    _kill_and_expect_the_helper_gone(parent, child, "the reading process to exit")


@pytest.mark.skipif(settings.DATABASES["default"]["ENGINE"] != "django.db.backends.postgresql", reason="PostgreSQL only")
def test_the_log_writer_process_ends_when_its_parent_is_killed():
    parent, child = _parent_of_a_helper("""
        import time
        import django
        django.setup()
        from django.db import connection
        from jobs.logs.pipe import LogPipe

        params = connection.get_connection_params()
        pipe = LogPipe(0, {k: v for k, v in params.items() if isinstance(v, (str, int, float))})
        print(pipe.process.pid, flush=True)
        time.sleep(120)
    """)
    _kill_and_expect_the_helper_gone(parent, child, "the log writer process to exit")
