"""Shared fixtures: factories, and a real Celery worker on Redis for tests that cross the broker."""

import contextlib
import functools
import os
import threading
import time
from pathlib import Path

import pytest
from django.conf import settings
from django.test import Client

from jobsite.processes import worker_start

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT / "tests" / "data"  # real samples and schemas, origins in tests/data/SOURCES.md


def worker_env(**extra) -> dict:
    """Environment for a process that must see the test database and queue."""
    db = settings.DATABASES["default"]
    env = dict(os.environ)
    env.update(
        DJANGO_SETTINGS_MODULE="tests.settings",
        DATABASE_URL=f"postgres://{db['USER'] or 'postgres'}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}",
        CELERY_TASK_DEFAULT_QUEUE=settings.JOBS_DEFAULT_QUEUE,
        PYTHONPATH=str(ROOT),
    )
    env.update(extra)
    return env


@pytest.fixture(scope="session")
def celery_worker(django_db_setup, django_db_blocker, tmp_path_factory):
    """A real Celery worker (prefork, 2 processes) on Redis against the test database."""
    import redis

    client = redis.Redis.from_url(settings.CELERY_BROKER_URL)
    client.delete(settings.JOBS_DEFAULT_QUEUE)
    with worker_start(env=worker_env(), log_path=tmp_path_factory.mktemp("worker") / "worker.log") as worker:
        yield worker
    client.delete(settings.JOBS_DEFAULT_QUEUE)


@pytest.fixture(scope="session", autouse=True)
def _close_stray_connections(django_db_setup, django_db_blocker):
    """Before the test database is dropped, end the sessions other threads left open.

    The live server's request threads are daemon threads: one still waiting on a
    browser's keep-alive connection keeps its database connection open, and the
    database cannot be dropped while it is.
    """
    yield
    from django.db import OperationalError, connection

    if connection.vendor != "postgresql" or connection.settings_dict["NAME"] != connection.creation._get_test_db_name():
        return  # no test database was made (a session of tests that use none)
    try:
        _terminate_other_sessions(connection, django_db_blocker)
    except OperationalError:  # no test used the test database (e.g. `make test-faults`)
        pass


def _terminate_other_sessions(connection, django_db_blocker):
    with django_db_blocker.unblock(), connection.cursor() as cursor:
        cursor.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
            "WHERE datname = current_database() AND pid <> pg_backend_pid()"
        )


def wait_for(predicate, timeout=30.0, interval=0.05, message="condition"):
    """Poll ``predicate`` until it returns a truthy value; fail the test after ``timeout``."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(interval)
    raise AssertionError(f"timed out after {timeout}s waiting for {message}")


def in_threads(function, calls) -> None:
    """Call ``function(*args)`` for every ``args`` of ``calls``, each in a thread of its own; wait for them all."""
    threads = [threading.Thread(target=function, args=args) for args in calls]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()


@pytest.fixture
def chain_ends(django_capture_on_commit_callbacks):
    """``with chain_ends():`` around what ends runs; on leaving, the job types' ``chain_ended`` are called.

    In a test's transaction nothing commits: the on-commit callbacks are captured, and only
    the ``chain_ended`` calls among them are made (the others send messages to the broker).
    """

    @contextlib.contextmanager
    def called():
        with django_capture_on_commit_callbacks() as callbacks:
            yield callbacks
        for callback in callbacks:
            if isinstance(callback, functools.partial) and getattr(callback.func, "__name__", "") == "chain_ended":
                callback()

    return called


@pytest.fixture
def admin_user(django_user_model):
    return django_user_model.objects.create_superuser("admin", "admin@example.org", "admin-password")


@pytest.fixture
def su(admin_user):
    """A test client logged in as the superuser."""
    client = Client()
    client.force_login(admin_user)
    client.user = admin_user
    return client


@pytest.fixture
def viewer(db):
    """A staff user in the "Job viewers" group."""
    from tests.apiclient import user_in  # imports models: only once Django is set up

    return user_in("viewer", "Job viewers")


@pytest.fixture
def operator(db):
    """A staff user in the "Job operators" group."""
    from tests.apiclient import user_in  # imports models: only once Django is set up

    return user_in("operator", "Job operators")
