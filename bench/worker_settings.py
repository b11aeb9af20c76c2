"""Settings for bench workers: the site's settings plus what-if overrides from the environment.

``BENCH_CELERY_DB_REUSE_MAX=N`` sets ``CELERY_DB_REUSE_MAX``: Celery's Django fix-up then
keeps a worker process's database connection for N tasks instead of closing it before
and after every task (``bench/dispatch.py --db-reuse-max N``).
"""

import os

from bench.settings import *  # noqa: F403

if os.environ.get("BENCH_CELERY_DB_REUSE_MAX"):
    CELERY_DB_REUSE_MAX = int(os.environ["BENCH_CELERY_DB_REUSE_MAX"])
