"""Settings of the vocabulary imports, with their defaults (override in Django settings)."""

from pathlib import Path

from django.conf import settings

DEFAULTS = {
    # Local sources must lie below this folder (no "..", no symlink escape).
    "VOCABULARIES_IMPORT_DIR": None,  # None: <VAR_DIR or BASE_DIR/var>/imports
    # Downloads: largest accepted file and the connect/read timeout (seconds).
    "VOCABULARIES_DOWNLOAD_MAX_BYTES": 20 * 1024**3,
    "VOCABULARIES_DOWNLOAD_TIMEOUT": 60.0,
    # Largest uncompressed archive member (declared size) a reader accepts.
    "VOCABULARIES_MAX_MEMBER_BYTES": 2 * 1024**4,
    "VOCABULARIES_BATCH_SIZE": 5000,
    # Tables up to this many rows have their content hashes read once per import (~110 bytes a
    # row, shared with the parsing processes) so that unchanged records are dropped while
    # parsing; larger ones are looked up batch by batch.
    "VOCABULARIES_STORED_MAX_ROWS": 300_000,
    # Read, map and hash records in a forked process while this one writes (PostgreSQL only).
    "VOCABULARIES_FORK": True,
    # Processes that parse a dump together (ROR, ORCID .tar.gz and chunk files); None: the cores, at most 4.
    "VOCABULARIES_PARSERS": None,
    # http(s) sources: hosts they may come from (None: the built-in defaults' host, that of
    # VOCABULARIES_ZENODO_API; ".example.org" also allows its subdomains), addresses or networks
    # allowed although not public (e.g. ["127.0.0.1"]; loopback, private, link-local and multicast
    # are refused otherwise), and redirects followed (each checked again).
    "VOCABULARIES_SOURCE_HOSTS": None,
    "VOCABULARIES_SOURCE_ALLOW_ADDRESSES": [],
    "VOCABULARIES_SOURCE_MAX_REDIRECTS": 5,
    # Where a fanned-out ORCID import keeps its chunk files: an alias of STORAGES that every
    # worker can read (e.g. a django-storages S3 bucket); None: the default storage (MEDIA_ROOT).
    "VOCABULARIES_CHUNK_STORAGE": None,
    "VOCABULARIES_ZENODO_API": "https://zenodo.org/api",
    # Zenodo concept record ids whose latest version is the default source.
    "VOCABULARIES_ROR_ZENODO_CONCEPT": "6347574",
    "VOCABULARIES_OPENAIRE_ZENODO_CONCEPT": "3516917",
}


def get(name: str):
    return getattr(settings, name, DEFAULTS[name])


def import_dir() -> Path:
    value = get("VOCABULARIES_IMPORT_DIR")
    if value:
        return Path(value)
    var = getattr(settings, "VAR_DIR", None) or Path(settings.BASE_DIR) / "var"
    return Path(var) / "imports"
