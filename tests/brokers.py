"""A broker that cannot be reached: point this process's Celery app at a closed local port."""

from __future__ import annotations

import contextlib
import os

import pytest
from celery import current_app

from tests.faults.servers import free_port


@contextlib.contextmanager
def broker_at(url: str):
    """Send this process's messages to ``url`` inside the block (a fresh producer pool each way)."""
    conf = current_app.conf
    old = conf.broker_url, conf.broker_write_url
    old_env = os.environ.get("CELERY_BROKER_URL")  # Celery reads it before its own setting

    def reset_pools():
        current_app._pool = None
        current_app.amqp._producer_pool = None

    conf.broker_url, conf.broker_write_url = url, None
    os.environ["CELERY_BROKER_URL"] = url
    reset_pools()
    try:
        yield
    finally:
        conf.broker_url, conf.broker_write_url = old
        if old_env is None:
            os.environ.pop("CELERY_BROKER_URL", None)
        else:
            os.environ["CELERY_BROKER_URL"] = old_env
        reset_pools()


@pytest.fixture
def broker_down():
    """Inside the test, the broker refuses every connection (nothing listens on its port)."""
    with broker_at(f"redis://127.0.0.1:{free_port()}/0"):
        yield
