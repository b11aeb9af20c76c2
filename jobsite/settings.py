"""Settings for Jobsite, read from the environment (12-factor).

Embedded defaults need no server: SQLite in the project folder (WAL mode) and Celery
over kombu's filesystem transport. ``DATABASE_URL`` and ``CELERY_BROKER_URL`` switch to
PostgreSQL and Redis.
"""

from pathlib import Path

import environ

from jobsite.secretkey import secret_key_resolve

BASE_DIR = Path(__file__).resolve().parent.parent

# .env first: every value below, JOBSITE_VAR_DIR included, may come from it.
env = environ.Env()
environ.Env.read_env(BASE_DIR / ".env", overwrite=False)

# Nothing is created here (settings are imported by every process): `make run`
# (jobsite/folders.py) and the commands that write create the folders they use.
VAR_DIR = Path(env.str("JOBSITE_VAR_DIR", default=str(BASE_DIR / "var")))

DEBUG = env.bool("DJANGO_DEBUG", default=False)
# DEBUG off: a missing, short or public key stops start-up. DEBUG on (make run): var/secret_key.
SECRET_KEY = secret_key_resolve(given=env.str("DJANGO_SECRET_KEY", default=""), debug=DEBUG, path=VAR_DIR / "secret_key")
ALLOWED_HOSTS = env.list("DJANGO_ALLOWED_HOSTS", default=["localhost", "127.0.0.1", "[::1]"])
CSRF_TRUSTED_ORIGINS = env.list("DJANGO_CSRF_TRUSTED_ORIGINS", default=[])

INSTALLED_APPS = [
    # The admin's modules load with the URLs (jobsite/urls.py calls autodiscover), not in
    # every process: `manage.py jobs`, the worker and beat start without them.
    "django.contrib.admin.apps.SimpleAdminConfig",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django_celery_beat",
    "django_celery_results",
    "axes",
    "csp",
    "jobs",
    "vocabularies",
    "exports",
    "jobs.api",
    "rest_framework",
    "drf_spectacular",
    "drf_spectacular_sidecar",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "csp.middleware.CSPMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    # Last, as django-axes asks: turns a locked-out login into its 429 answer.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "jobsite.urls"
WSGI_APPLICATION = "jobsite.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

DATABASES = {
    "default": env.db_url("DATABASE_URL", default=f"sqlite:///{VAR_DIR / 'jobsite.sqlite3'}"),
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # WAL lets the web process read while the worker writes; IMMEDIATE avoids
    # "database is locked" on lock upgrades between the three processes.
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        {
            "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
            "transaction_mode": "IMMEDIATE",
            "timeout": 20,
        }
    )
else:
    DATABASES["default"].setdefault("CONN_MAX_AGE", env.int("DATABASE_CONN_MAX_AGE", default=60))
    DATABASES["default"].setdefault("CONN_HEALTH_CHECKS", True)

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

# --- Security (HTTPS, cookies, headers, login throttling) -----------------------------
# Production defaults (DEBUG off) are the safe ones; each can be turned off from the
# environment, e.g. DJANGO_SECURE_SSL_REDIRECT=false when a proxy already redirects.
SECURE_SSL_REDIRECT = env.bool("DJANGO_SECURE_SSL_REDIRECT", default=not DEBUG)
# The health check (jobsite/healthcheck.py) talks plain HTTP inside the container.
SECURE_REDIRECT_EXEMPT = [r"^healthz$"]
SESSION_COOKIE_SECURE = env.bool("DJANGO_SESSION_COOKIE_SECURE", default=not DEBUG)
CSRF_COOKIE_SECURE = env.bool("DJANGO_CSRF_COOKIE_SECURE", default=not DEBUG)
SESSION_COOKIE_HTTPONLY = True
# HSTS starts short (cookiecutter-django's 60 s): raise DJANGO_SECURE_HSTS_SECONDS to a year once HTTPS works.
SECURE_HSTS_SECONDS = env.int("DJANGO_SECURE_HSTS_SECONDS", default=0 if DEBUG else 60)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env.bool("DJANGO_SECURE_HSTS_INCLUDE_SUBDOMAINS", default=not DEBUG)
SECURE_HSTS_PRELOAD = env.bool("DJANGO_SECURE_HSTS_PRELOAD", default=not DEBUG)
# Behind a TLS-terminating proxy: the header it sets, e.g. "X-Forwarded-Proto" (value "https").
# Unset by default: trusting a header that clients can send themselves would be unsafe.
_PROXY_SSL_HEADER = env.str("DJANGO_SECURE_PROXY_SSL_HEADER", default="")
SECURE_PROXY_SSL_HEADER = ("HTTP_" + _PROXY_SSL_HEADER.upper().replace("-", "_"), "https") if _PROXY_SSL_HEADER else None
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
# Content-Security-Policy (django-csp) on every response: scripts and styles from this
# site only, no inline script, no framing.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:"],
        "font-src": ["'self'"],
        "connect-src": ["'self'"],
        "object-src": ["'none'"],
        "base-uri": ["'self'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
    },
}
# Login throttling (django-axes): AXES_FAILURE_LIMIT failed logins for one user name from
# one address lock that pair out for AXES_COOLOFF_TIME hours.
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
AXES_FAILURE_LIMIT = env.int("AXES_FAILURE_LIMIT", default=5)
AXES_COOLOFF_TIME = env.float("AXES_COOLOFF_TIME", default=1.0)
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True

LANGUAGE_CODE = "en-us"
TIME_ZONE = env.str("DJANGO_TIME_ZONE", default="UTC")
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = VAR_DIR / "static"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"},
}
# Serve admin assets from the apps in development (make run) without collectstatic.
WHITENOISE_USE_FINDERS = True
MEDIA_URL = "media/"
MEDIA_ROOT = Path(env.str("DJANGO_MEDIA_ROOT", default=str(VAR_DIR / "media")))

LOGIN_URL = "admin:login"

EMAIL_BACKEND = env.str("DJANGO_EMAIL_BACKEND", default="django.core.mail.backends.console.EmailBackend")
DEFAULT_FROM_EMAIL = env.str("DJANGO_DEFAULT_FROM_EMAIL", default="jobsite@localhost")
# Where the site is reached: links in notification e-mails point to its admin pages.
JOBSITE_BASE_URL = env.str("JOBSITE_BASE_URL", default="http://127.0.0.1:8000").rstrip("/")
# A jobs file (manage.py jobs export) that `make run` and the compose stack apply at start-up.
JOBSITE_JOBS_FILE = env.str("JOBSITE_JOBS_FILE", default="")

# --- Celery -------------------------------------------------------------------------
BROKER_DIR = VAR_DIR / "broker"
# A host in the URL keeps kombu from warning "No hostname was supplied" on every connection.
CELERY_BROKER_URL = env.str("CELERY_BROKER_URL", default="filesystem://localhost//")
if CELERY_BROKER_URL.startswith("filesystem"):
    # The folders are created when the Celery app is configured (jobsite/celery.py).
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(BROKER_DIR / "queue"),
        "data_folder_out": str(BROKER_DIR / "queue"),
        "processed_folder": str(BROKER_DIR / "processed"),
        "control_folder": str(BROKER_DIR / "control"),
        "store_processed": False,
    }
else:
    CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": env.int("CELERY_VISIBILITY_TIMEOUT", default=3600)}
CELERY_RESULT_BACKEND = env.str("CELERY_RESULT_BACKEND", default="django-db")
CELERY_RESULT_EXTENDED = True
CELERY_CACHE_BACKEND = "django-cache"
CELERY_TASK_DEFAULT_QUEUE = env.str("CELERY_TASK_DEFAULT_QUEUE", default="celery")
CELERY_TASK_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TIMEZONE = TIME_ZONE
CELERY_WORKER_PREFETCH_MULTIPLIER = env.int("CELERY_WORKER_PREFETCH_MULTIPLIER", default=1)
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_SEND_TASK_EVENTS = False
CELERY_BEAT_SCHEDULER = "jobs.scheduling.beat:JobScheduler"
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
# Celery's Django fix-up closes the connection around every task unless told to reuse it.
CELERY_DB_REUSE_MAX = env.int("CELERY_DB_REUSE_MAX", default=1000)
CELERY_TASK_ALWAYS_EAGER = env.bool("CELERY_TASK_ALWAYS_EAGER", default=False)

# --- Jobs ---------------------------------------------------------------------------
JOBS_ENTRY_POINT_GROUP = "jobsite.jobs"
# Extra job types without packaging: "id=module:Class,id2=module:Class2".
JOBS_EXTRA_TYPES = env.dict("JOBS_EXTRA_TYPES", default={})
JOBS_DEFAULT_QUEUE = CELERY_TASK_DEFAULT_QUEUE
JOBS_RUN_LOG_LEVEL = env.str("JOBS_RUN_LOG_LEVEL", default="INFO")
JOBS_RUN_LOG_ENABLED = env.bool("JOBS_RUN_LOG_ENABLED", default=True)
JOBS_RUN_LOG_BATCH_SIZE = env.int("JOBS_RUN_LOG_BATCH_SIZE", default=5000)
JOBS_RUN_LOG_FLUSH_SECONDS = env.float("JOBS_RUN_LOG_FLUSH_SECONDS", default=0.5)
# On PostgreSQL, a run that logs more than one batch stores its lines through a writer
# process (jobs.logs.pipe) instead of a thread of its own process.
JOBS_RUN_LOG_PROCESS = env.bool("JOBS_RUN_LOG_PROCESS", default=True)
JOBS_HEARTBEAT_SECONDS = env.float("JOBS_HEARTBEAT_SECONDS", default=5.0)
JOBS_PROGRESS_FLUSH_SECONDS = env.float("JOBS_PROGRESS_FLUSH_SECONDS", default=1.0)
JOBS_MAX_ERRORED_ENTRIES = 1000
# Run control (jobs.runs.cancel, jobs.runs.reaper): a cancelled task gets this long to stop before
# its worker process is killed; a running run whose heartbeat is older than this is lost.
JOBS_CANCEL_GRACE_SECONDS = env.float("JOBS_CANCEL_GRACE_SECONDS", default=30.0)
JOBS_LOST_RUN_SECONDS = env.float("JOBS_LOST_RUN_SECONDS", default=60.0)
JOBS_REENQUEUE_AFTER_SECONDS = env.float("JOBS_REENQUEUE_AFTER_SECONDS", default=600.0)
# Templates included on the admin's run page (context: ``run``, ``request``).
JOBS_RUN_PAGE_PANELS = ["exports/run_panel.html"]

# --- HTTP API (jobs/api, exports/api.py): DRF + drf-spectacular --------------------------
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "jobs.api.authentication.TokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["jobs.api.permissions.ActionPermission"],
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_PARSER_CLASSES": ["rest_framework.parsers.JSONParser"],
    "DEFAULT_THROTTLE_CLASSES": ["jobs.api.authentication.TokenRateThrottle"],
    "DEFAULT_THROTTLE_RATES": {"api": env.str("JOBSITE_API_THROTTLE_RATE", default="1200/min")},
    "EXCEPTION_HANDLER": "jobs.api.errors.api_exception_handler",
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Jobsite API",
    "DESCRIPTION": "Jobs, runs, logs and export files. Authenticate with `Authorization: Bearer <token>`.",
    "VERSION": "1",
    "OAS_VERSION": "3.1.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SERVE_PERMISSIONS": ["rest_framework.permissions.AllowAny"],
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
    "POSTPROCESSING_HOOKS": ["drf_spectacular.hooks.postprocess_schema_enums", "jobs.api.schema.error_responses_add"],
    "ENUM_NAME_OVERRIDES": {"RunStatusEnum": "jobs.models.Run.Status", "RunTriggerEnum": "jobs.models.Run.Trigger"},
}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    # A 403 is logged on one line, without the PermissionDenied traceback.
    "filters": {"forbidden_without_traceback": {"()": "jobsite.logfilters.ForbiddenWithoutTraceback"}},
    "loggers": {"django.request": {"filters": ["forbidden_without_traceback"]}},
    "root": {"handlers": ["console"], "level": env.str("JOBSITE_LOG_LEVEL", default="WARNING")},
}

# --- Monitoring (jobs/metrics, jobs/webhooks, JSON logs; README "Monitoring") --------------
# /metrics answers a bearer token (JOBSITE_METRICS_TOKEN) or addresses in the allow-list
# (JOBSITE_METRICS_ALLOW, comma-separated IPs or networks); with neither it is off (404).
JOBS_METRICS_TOKEN = env.str("JOBSITE_METRICS_TOKEN", default="")
JOBS_METRICS_ALLOW = env.list("JOBSITE_METRICS_ALLOW", default=[])
# Collectors of other apps (the jobs app imports no vocabularies): record counts per vocabulary.
JOBS_METRICS_COLLECTORS = ["vocabularies.metrics.VocabularyCollector"]
# Ended runs folded into totals stored in the database (jobs/metrics/fold.py), shared by every process.
INSTALLED_APPS.append("jobs.metrics")
INSTALLED_APPS.append("jobs.webhooks")
# Webhooks: attempts per delivery, first retry delay (doubled each time), request timeout;
# URLs on loopback, private or link-local addresses are refused unless allowed here.
JOBS_WEBHOOK_MAX_ATTEMPTS = env.int("JOBS_WEBHOOK_MAX_ATTEMPTS", default=5)
JOBS_WEBHOOK_BACKOFF_SECONDS = env.float("JOBS_WEBHOOK_BACKOFF_SECONDS", default=10.0)
JOBS_WEBHOOK_TIMEOUT_SECONDS = env.float("JOBS_WEBHOOK_TIMEOUT_SECONDS", default=10.0)
JOBS_WEBHOOK_ALLOW_PRIVATE = env.bool("JOBS_WEBHOOK_ALLOW_PRIVATE", default=False)
# JOBSITE_LOG_FORMAT=json: web, worker and beat log one JSON object per line, with run_id
# and job_id inside a run (the worker's and beat's Celery handlers too: jobsite/celery.py).
JOBSITE_LOG_FORMAT = env.str("JOBSITE_LOG_FORMAT", default="plain")
LOGGING["formatters"]["json"] = {"()": "jobsite.logformat.JsonFormatter"}
LOGGING["filters"]["run"] = {"()": "jobsite.logformat.RunContextFilter"}
LOGGING["handlers"]["console"]["filters"] = ["run"]
if JOBSITE_LOG_FORMAT == "json":
    LOGGING["handlers"]["console"]["formatter"] = "json"
