"""Settings of the exports app, with defaults (set them in jobsite/settings.py or the environment)."""

from pathlib import Path

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


def import_dir() -> Path:
    """EXPORTS_IMPORT_DIR: local record sources must lie below it (default: <VAR_DIR>/imports, shared with the vocabularies)."""
    value = getattr(settings, "EXPORTS_IMPORT_DIR", None)
    if value:
        return Path(value)
    return Path(getattr(settings, "VAR_DIR", None) or Path(settings.BASE_DIR) / "var") / "imports"


def import_api_hosts() -> tuple[str, ...]:
    """EXPORTS_IMPORT_API_HOSTS: hosts (``host`` or ``host:port``) whose DataCite REST API may be imported from."""
    return tuple(getattr(settings, "EXPORTS_IMPORT_API_HOSTS", ("api.datacite.org", "api.test.datacite.org")))


def import_timeout() -> float:
    """EXPORTS_IMPORT_TIMEOUT: connect/read timeout of REST API requests, in seconds."""
    return float(getattr(settings, "EXPORTS_IMPORT_TIMEOUT", 60))


def import_max_document_bytes() -> int:
    """EXPORTS_IMPORT_MAX_DOCUMENT_BYTES: largest document (file, archive member, API page) read."""
    return int(getattr(settings, "EXPORTS_IMPORT_MAX_DOCUMENT_BYTES", 100 * 1024**2))
