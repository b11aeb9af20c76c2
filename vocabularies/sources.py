"""Import sources: every rule a source must pass, and opening it (path or guarded download).

``source_check`` is the one check (called through the job types' schemas, so the form,
the JSON override, the CLI and the API refuse a bad source before any run exists):
a path must lie inside the import folder and exist; a URL must be http(s), its host in
``VOCABULARIES_SOURCE_HOSTS``, and every address it resolves to public (loopback,
private, link-local, multicast and other non-global ranges are refused unless listed in
``VOCABULARIES_SOURCE_ALLOW_ADDRESSES``). Downloads follow redirects by hand and check
every hop again. Messages name the rule broken, never the target's answer (status line,
body, size) or fields.
"""

from __future__ import annotations

import ipaddress
import logging
import os
import socket
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import urljoin, urlsplit

import requests

from jobs.guards import PathRefused, address_kind, path_below
from vocabularies import conf
from vocabularies.exceptions import ImportFailed, SourceRejected

logger = logging.getLogger(__name__)

Progress = Callable[[int, int | None], None]
CHUNK = 1024 * 1024
SCHEMES = ("http", "https")


address_refusal = address_kind  # why an address may not be fetched from (jobs.guards), or None when public


def address_allowed(address: str, allowed) -> bool:
    """Whether ``address`` lies in one of the ``allowed`` addresses or networks (e.g. "127.0.0.1")."""
    ip = ipaddress.ip_address(address)
    return any(ip in ipaddress.ip_network(entry, strict=False) for entry in allowed)


def source_hosts() -> list[str]:
    """Hosts http(s) sources may come from: the setting, else the built-in defaults' (Zenodo)."""
    hosts = conf.get("VOCABULARIES_SOURCE_HOSTS")
    if hosts is None:
        hosts = [urlsplit(conf.get("VOCABULARIES_ZENODO_API")).hostname]
    return [host.lower() for host in hosts]


def host_listed(host: str, hosts: list[str]) -> bool:
    """Exact names, and ".example.org" for every subdomain of example.org."""
    return any(host == entry or (entry.startswith(".") and host.endswith(entry)) for entry in hosts)


def url_check(url: str) -> None:
    """Refuse ``url`` unless it is http(s) to a listed host whose every address is allowed."""
    parts = urlsplit(url)
    if parts.scheme.lower() not in SCHEMES:
        raise SourceRejected("only http(s) URLs and paths below the import folder are allowed")
    host = (parts.hostname or "").lower()
    if not host:
        raise SourceRejected("the URL has no host")
    if not host_listed(host, source_hosts()):
        raise SourceRejected(f"host {host} is not in VOCABULARIES_SOURCE_HOSTS")
    try:
        port = parts.port or (443 if parts.scheme.lower() == "https" else 80)
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (OSError, ValueError) as exc:
        raise SourceRejected(f"host {host} cannot be resolved") from exc
    allowed = conf.get("VOCABULARIES_SOURCE_ALLOW_ADDRESSES")
    for info in infos:
        address = info[4][0].split("%", 1)[0]  # drop an IPv6 zone id
        refusal = address_refusal(address)
        if refusal and not address_allowed(address, allowed):
            raise SourceRejected(
                f"host {host} resolves to a {refusal} address (allow it in VOCABULARIES_SOURCE_ALLOW_ADDRESSES)"
            )


def local_path_resolve(source: str) -> Path:
    """Return the real path of ``source``; refuse anything outside the import folder or missing."""
    try:
        return path_below(source, conf.import_dir())
    except PathRefused as refused:
        raise SourceRejected({
            "dotdot": "'..' is not allowed in paths",
            "outside": f"the path is outside the import folder {refused.base} (VOCABULARIES_IMPORT_DIR)",
            "missing": f"{source} does not exist in the import folder {refused.base}",
        }[refused.reason]) from None


def is_url(source: str) -> bool:
    scheme = urlsplit(source).scheme.lower()
    return bool(scheme) and not (len(scheme) == 1 and os.name == "nt")  # "C:\\…" is a path


def source_check(source: str) -> None:
    """Every rule a source argument must pass; ``SourceRejected`` names the one broken.

    An empty source is the job type's default (the latest release on Zenodo), checked when fetched.
    """
    if not source:
        return
    if is_url(source):
        url_check(source)
    else:
        local_path_resolve(source)


def guarded_get(url: str, *, stream: bool = False, headers: dict | None = None) -> requests.Response:
    """GET ``url`` following redirects by hand, each hop checked by ``url_check`` again."""
    timeout = float(conf.get("VOCABULARIES_DOWNLOAD_TIMEOUT"))
    for _ in range(int(conf.get("VOCABULARIES_SOURCE_MAX_REDIRECTS")) + 1):
        url_check(url)
        response = requests.get(url, stream=stream, headers=headers, timeout=(timeout, timeout), allow_redirects=False)
        if not response.is_redirect:
            return response
        response.close()
        url = urljoin(url, response.headers["Location"])
    raise SourceRejected("too many redirects")


def download(url: str, *, progress: Progress | None = None, directory: str | None = None) -> Path:
    """Stream ``url`` into a temporary file and return its path (the caller removes it)."""
    max_bytes = int(conf.get("VOCABULARIES_DOWNLOAD_MAX_BYTES"))
    timeout = float(conf.get("VOCABULARIES_DOWNLOAD_TIMEOUT"))
    fd, name = tempfile.mkstemp(prefix="vocabulary-", suffix=".download", dir=directory)
    path = Path(name)
    try:
        with os.fdopen(fd, "wb") as out:
            try:
                with guarded_get(url, stream=True) as response:
                    if response.status_code != 200:
                        raise ImportFailed(f"download of {url} failed: the server did not answer with the file")
                    declared = response.headers.get("Content-Length")
                    total = int(declared) if declared and declared.isdigit() else None
                    if total is not None and total > max_bytes:
                        raise ImportFailed(f"download of {url} refused: larger than VOCABULARIES_DOWNLOAD_MAX_BYTES={max_bytes}")
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
            except SourceRejected as exc:
                raise SourceRejected(f"download of {url} refused: {exc}") from exc
            except requests.Timeout as exc:
                raise ImportFailed(f"download of {url} timed out after {timeout} s without data") from exc
            except requests.RequestException as exc:
                # A read timeout inside the body stream surfaces as ConnectionError.
                raise ImportFailed(f"download of {url} failed, stalled or was cut off (timeout {timeout} s)") from exc
        logger.info("source_downloaded url=%s bytes=%s", url, done)
        return path
    except BaseException:
        path.unlink(missing_ok=True)
        raise


@contextmanager
def source_open(source: str, *, progress: Progress | None = None) -> Iterator[Path]:
    """Yield a local path for ``source`` (downloading URLs to a temporary file), checked again first."""
    if is_url(source):
        path = download(source, progress=progress)
        try:
            yield path
        finally:
            path.unlink(missing_ok=True)
    else:
        yield local_path_resolve(source)
