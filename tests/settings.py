"""Test settings: PostgreSQL and Redis on their default local addresses (env overrides)."""

import os

os.environ.setdefault("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/jobsite")
os.environ.setdefault("CELERY_BROKER_URL", "redis://127.0.0.1:6379/0")
os.environ.setdefault(
    "JOBS_EXTRA_TYPES",
    "test_echo=tests.jobtypes:Echo,test_fail=tests.jobtypes:Fail,test_since=tests.jobtypes:Since,"
    "test_fields=tests.jobtypes:AllFields,test_partial=tests.jobtypes:Partial,test_slow=tests.jobtypes:Slow,"
    "test_fanout=tests.jobtypes:FanOut,"
    "test_counted=tests.jobtypes:Counted",
)
# A key of production strength, so the suite runs with DEBUG off like a deployed site.
os.environ.setdefault("DJANGO_SECRET_KEY", "tests-only-" + "k3y-0f-the-test-suite-never-used-elsewhere" * 2)
# The test client and the live server speak plain HTTP (production redirects to HTTPS).
os.environ.setdefault("DJANGO_SECURE_SSL_REDIRECT", "false")
# The live test server speaks plain HTTP: HTTP clients other than a browser (which treats
# localhost as secure) drop Secure cookies, so the session and CSRF cookies are plain here.
os.environ.setdefault("DJANGO_SESSION_COOKIE_SECURE", "false")
os.environ.setdefault("DJANGO_CSRF_COOKIE_SECURE", "false")
# One queue per test session, so two sessions on one Redis never take each other's runs.
os.environ.setdefault("CELERY_TASK_DEFAULT_QUEUE", f"jobsite-test-{os.getpid()}")

from jobsite.settings import *  # noqa: E402,F403

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
JOBS_RUN_LOG_FLUSH_SECONDS = 0.1
JOBS_PROGRESS_FLUSH_SECONDS = 0.2
DATABASES["default"]["CONN_MAX_AGE"] = 0  # noqa: F405
DATABASES["default"]["TEST"] = {"NAME": os.environ.get("JOBSITE_TEST_DB", "test_jobsite")}  # noqa: F405
# Webhooks: the tests' receivers listen on 127.0.0.1; retries come quickly; every process
# (the worker too) sees a webhook as soon as it is saved.
JOBS_WEBHOOK_ALLOW_PRIVATE = True
JOBS_WEBHOOK_BACKOFF_SECONDS = 0.1
JOBS_WEBHOOK_TIMEOUT_SECONDS = 2.0
JOBS_WEBHOOK_CACHE_SECONDS = 0.0
# The tests' local HTTP servers (127.0.0.1 only) are the one non-public source they may fetch
# from, explicitly; tests of the guard itself set the defaults back.
VOCABULARIES_SOURCE_HOSTS = ["127.0.0.1"]
VOCABULARIES_SOURCE_ALLOW_ADDRESSES = ["127.0.0.1"]
