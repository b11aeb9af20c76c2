"""The site's secret key: refused when unsafe in production, generated once for development.

``secret_key_problem`` is the pure rule (the same one as Django's ``security.W009``, plus
the keys this project once shipped); ``secret_key_resolve`` is what the settings call.
"""

from __future__ import annotations

import os
import secrets
import tempfile
from pathlib import Path

from django.core.exceptions import ImproperlyConfigured

MIN_LENGTH = 50
MIN_UNIQUE = 5
# Keys written in this project's source or compose file at some point: public, never secret.
KNOWN_KEYS = frozenset({"change-me-in-production", "jobsite-insecure-development-key-change-me"})


def secret_key_problem(key: str) -> str | None:
    """Why ``key`` is not fit for production, or None when it is."""
    if not key:
        return "DJANGO_SECRET_KEY is not set"
    if key in KNOWN_KEYS or key.startswith("django-insecure-"):
        return "DJANGO_SECRET_KEY is a publicly known value"
    if len(key) < MIN_LENGTH or len(set(key)) < MIN_UNIQUE:
        return f"DJANGO_SECRET_KEY is too short or too simple (at least {MIN_LENGTH} characters, {MIN_UNIQUE} different)"
    return None


def secret_key_resolve(*, given: str, debug: bool, path: Path) -> str:
    """The key to use: ``given`` when fit; in DEBUG without one, the development key in ``path``.

    With DEBUG off an unfit key stops start-up (``ImproperlyConfigured``) instead of
    signing sessions with a value anyone can read.
    """
    if given and (debug or secret_key_problem(given) is None):
        return given
    if not debug:
        raise ImproperlyConfigured(
            f"{secret_key_problem(given)}. With DJANGO_DEBUG off the site needs its own secret key: "
            'set DJANGO_SECRET_KEY to a random value, e.g. python -c "import secrets; print(secrets.token_urlsafe(50))"'
        )
    return development_key(path)


def development_key(path: Path) -> str:
    """The key stored in ``path``, written there once when its folder exists (``make run`` creates it).

    Without the folder the key lives in memory only (sessions end with the process); no
    folder is created here, because settings are imported by every process.
    """
    try:
        return path.read_text().strip()
    except FileNotFoundError:
        pass
    key = secrets.token_urlsafe(MIN_LENGTH)
    if not path.parent.is_dir():
        return key
    # Written under a temporary name and linked into place: a concurrent reader never sees half a key.
    fd, temporary = tempfile.mkstemp(dir=path.parent, prefix=".secret_key-")
    try:
        with os.fdopen(fd, "w") as out:
            out.write(key + "\n")
        os.link(temporary, path)
    except FileExistsError:  # another process wrote it first: use theirs
        return path.read_text().strip()
    finally:
        os.unlink(temporary)
    return key
