"""Open an import source: a path below the import folder, or an http(s) URL.

URLs are streamed to a temporary file (size limit, read timeout, progress) that is
removed afterwards; no other scheme is accepted.
"""

from __future__ import annotations

import logging
import os
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path, PurePosixPath
from urllib.parse import urlsplit

import requests

from vocabularies import conf
from vocabularies.exceptions import ImportFailed, SourceRejected

logger = logging.getLogger(__name__)

Progress = Callable[[int, int | None], None]
CHUNK = 1024 * 1024


def local_path_resolve(source: str) -> Path:
    """Return the real path of ``source``; refuse anything outside the import folder."""
    base = conf.import_dir().resolve()
    if ".." in PurePosixPath(source.replace("\\", "/")).parts:
        raise SourceRejected(f"source {source!r}: '..' is not allowed in paths")
    candidate = Path(source)
    if not candidate.is_absolute():
        candidate = base / candidate
    real = candidate.resolve()
    if real != base and base not in real.parents:
        raise SourceRejected(f"source {source!r} is outside the import folder {base} (VOCABULARIES_IMPORT_DIR)")
    if not real.exists():
        raise ImportFailed(f"source {source!r} does not exist in the import folder {base}")
    return real


def download(url: str, *, progress: Progress | None = None, directory: str | None = None) -> Path:
    """Stream ``url`` into a temporary file and return its path (the caller removes it)."""
    max_bytes = int(conf.get("VOCABULARIES_DOWNLOAD_MAX_BYTES"))
    timeout = float(conf.get("VOCABULARIES_DOWNLOAD_TIMEOUT"))
    fd, name = tempfile.mkstemp(prefix="vocabulary-", suffix=".download", dir=directory)
    path = Path(name)
    try:
        with os.fdopen(fd, "wb") as out:
            try:
                with requests.get(url, stream=True, timeout=(timeout, timeout)) as response:
                    if response.status_code != 200:
                        raise ImportFailed(f"download of {url} failed: HTTP {response.status_code} {response.reason}")
                    declared = response.headers.get("Content-Length")
                    total = int(declared) if declared and declared.isdigit() else None
                    if total is not None and total > max_bytes:
                        raise ImportFailed(
                            f"download of {url} refused: {total} bytes exceeds VOCABULARIES_DOWNLOAD_MAX_BYTES={max_bytes}"
                        )
                    done = 0
                    for chunk in response.iter_content(CHUNK):
                        done += len(chunk)
                        if done > max_bytes:
                            raise ImportFailed(
                                f"download of {url} stopped: more than VOCABULARIES_DOWNLOAD_MAX_BYTES={max_bytes} bytes"
                            )
                        out.write(chunk)
                        if progress:
                            progress(done, total)
            except requests.Timeout as exc:
                raise ImportFailed(f"download of {url} timed out after {timeout} s without data ({exc})") from exc
            except requests.ConnectionError as exc:
                # A read timeout inside the body stream surfaces as ConnectionError.
                raise ImportFailed(f"download of {url} failed or stalled (timeout {timeout} s): {exc}") from exc
            except requests.RequestException as exc:
                raise ImportFailed(f"download of {url} failed: {exc}") from exc
        logger.info("source_downloaded url=%s bytes=%s", url, done)
        return path
    except BaseException:
        path.unlink(missing_ok=True)
        raise


@contextmanager
def source_open(source: str, *, progress: Progress | None = None) -> Iterator[Path]:
    """Yield a local path for ``source`` (downloading URLs to a temporary file)."""
    scheme = urlsplit(source).scheme.lower()
    if scheme in ("http", "https"):
        path = download(source, progress=progress)
        try:
            yield path
        finally:
            path.unlink(missing_ok=True)
    elif scheme == "" or (len(scheme) == 1 and os.name == "nt"):
        yield local_path_resolve(source)
    else:
        raise SourceRejected(f"source {source!r}: only http(s) URLs and paths below the import folder are allowed")
