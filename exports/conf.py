"""Settings of the exports app, with defaults (set them in jobsite/settings.py or the environment)."""

from django.conf import settings


def keep_last() -> int:
    """EXPORTS_KEEP_LAST: how many export files to keep (older ones are purged)."""
    return int(getattr(settings, "EXPORTS_KEEP_LAST", 10))


def temp_dir() -> str | None:
    """EXPORTS_TEMP_DIR: local folder for archives being written (None: the system's)."""
    return getattr(settings, "EXPORTS_TEMP_DIR", None)


def compresslevel() -> int:
    """EXPORTS_COMPRESSLEVEL: gzip level of the archives (6 is zlib's size/speed balance)."""
    return int(getattr(settings, "EXPORTS_COMPRESSLEVEL", 6))
