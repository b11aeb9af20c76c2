"""Where records are imported from: the one check of a source, and reading its documents.

A source is a path below the import folder (``EXPORTS_IMPORT_DIR``) naming a DataCite
XML or JSON file, a folder of them, or a ``.tar.gz`` of them; or a DataCite REST API
URL listing the DOIs of a client or prefix (``https://api.datacite.org/dois?client-id=…``
or ``?prefix=…``) on an allowed host (``EXPORTS_IMPORT_API_HOSTS``). ``source_check``
is the only place these rules live: the job's argument schema calls it before a run
is created, and the run calls it again before it reads anything.
"""

from __future__ import annotations

import tarfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

import orjson
import requests

from exports import conf
from jobs.guards import PathRefused, path_below

DOCUMENT_SUFFIXES = (".xml", ".json")
ARCHIVE_SUFFIXES = (".tar.gz", ".tgz")
# Members of this project's export archives that are not records.
MANIFEST = "manifest.json"
DELETED_LIST = "deleted.txt"
PAGE_SIZE = 1000


class SourceInvalid(ValueError):
    """The source breaks a rule (the message says which); nothing was read."""


class SourceFailed(RuntimeError):
    """The source was allowed but could not be read (HTTP error, oversized document, ...)."""


@dataclass(frozen=True)
class Source:
    kind: str  # "file", "folder", "archive" or "api"
    location: str  # the resolved path, or the API URL


def local_path_resolve(source: str, base: Path | None = None) -> Path:
    """The real path of ``source``, which must exist below ``base`` (default: the import folder).

    Relative paths are taken from ``base``; ``..`` is refused outright and a symlink
    that leads out of ``base`` is refused after resolving it.
    """
    try:
        return path_below(source, base or conf.import_dir())
    except PathRefused as refused:
        raise SourceInvalid({
            "dotdot": "'..' is not allowed in a path.",
            "outside": f"{source!r} is not below the import folder {refused.base} (EXPORTS_IMPORT_DIR).",
            "missing": f"{source!r} does not exist in the import folder {refused.base}.",
        }[refused.reason]) from None


def _api_url_check(source: str) -> str:
    parts = urlsplit(source)
    hosts = conf.import_api_hosts()
    if parts.netloc.lower() not in hosts and (parts.hostname or "").lower() not in hosts:
        raise SourceInvalid(f"host {parts.netloc!r} is not a DataCite REST API host allowed here ({', '.join(hosts)}; EXPORTS_IMPORT_API_HOSTS).")
    query = dict(parse_qsl(parts.query))
    if not parts.path.rstrip("/").endswith("/dois") or not (query.get("client-id") or query.get("prefix")):
        raise SourceInvalid("A DataCite REST API source lists the DOIs of a client or prefix: …/dois?client-id=ID or …/dois?prefix=10.NNNN.")
    return source


def source_check(source: str) -> Source:
    """Apply every source rule; return what the source is, or raise ``SourceInvalid``."""
    source = (source or "").strip()
    if not source:
        raise SourceInvalid("Give a path below the import folder or a DataCite REST API URL.")
    scheme = urlsplit(source).scheme.lower()
    if scheme in ("http", "https"):
        return Source("api", _api_url_check(source))
    if scheme:
        raise SourceInvalid(f"Scheme {scheme!r} is not allowed: use a path below the import folder or an http(s) API URL.")
    path = local_path_resolve(source)
    name = path.name.lower()
    if path.is_dir():
        return Source("folder", str(path))
    if name.endswith(ARCHIVE_SUFFIXES):
        return Source("archive", str(path))
    if name.endswith(DOCUMENT_SUFFIXES):
        return Source("file", str(path))
    raise SourceInvalid(f"{source!r} is not a .xml, .json, .tar.gz or folder.")


def _read_limited(fileobj, name: str) -> bytes:
    limit = conf.import_max_document_bytes()
    data = fileobj.read(limit + 1)
    if len(data) > limit:
        raise SourceFailed(f"{name} is larger than EXPORTS_IMPORT_MAX_DOCUMENT_BYTES={limit}")
    return data


def _is_document(name: str) -> bool:
    return name.lower().endswith(DOCUMENT_SUFFIXES) and PurePosixPath(name).name != MANIFEST


def local_documents(source: Source, *, progress: Callable[[int, int | None], None] | None = None) -> Iterator[tuple[str, bytes]]:
    """Yield (name, bytes) of every XML/JSON document of a local source, and its ``deleted.txt``.

    Archives are read as a stream (one member in memory at a time); progress is
    reported in documents for folders and in compressed bytes for archives.
    """
    path = Path(source.location)
    if source.kind == "file":
        with path.open("rb") as fh:
            yield path.name, _read_limited(fh, path.name)
    elif source.kind == "folder":
        base = path.resolve()
        files = sorted(p for p in path.rglob("*") if p.is_file() and _is_document(p.name))
        for done, file in enumerate(files, 1):
            if base not in file.resolve().parents:
                raise SourceInvalid(f"{file} leads out of the import folder (symlink).")
            with file.open("rb") as fh:
                yield str(file.relative_to(path)), _read_limited(fh, file.name)
            if progress:
                progress(done, len(files))
    else:
        total = path.stat().st_size
        with path.open("rb") as raw, tarfile.open(fileobj=raw, mode="r|gz") as archive:
            for member in archive:
                if not member.isfile():
                    continue
                if _is_document(member.name) or PurePosixPath(member.name).name == DELETED_LIST:
                    yield member.name, _read_limited(archive.extractfile(member), member.name)
                if progress:
                    progress(raw.tell(), total)
                archive.members.clear()  # a streamed TarFile keeps every header otherwise: memory would grow with N


def api_pages(url: str, *, page_size: int = PAGE_SIZE, session: requests.Session | None = None) -> Iterator[tuple[dict, int | None]]:
    """Yield (decoded page, total DOIs) of a REST API listing, following ``links.next`` (cursor paging).

    The first request asks for cursor paging (``page[cursor]=1``) and for affiliations
    and publishers as objects; every next link must satisfy the same source rules.
    """
    parts = urlsplit(url)
    query = dict(parse_qsl(parts.query))
    query.setdefault("page[cursor]", "1")
    query.setdefault("page[size]", str(page_size))
    query.setdefault("affiliation", "true")
    query.setdefault("publisher", "true")
    next_url = urlunsplit(parts._replace(query=urlencode(query)))
    session = session or requests.Session()
    while next_url:
        page = _page_get(session, next_url)
        total = (page.get("meta") or {}).get("total")
        yield page, total if isinstance(total, int) else None
        following = (page.get("links") or {}).get("next")
        if not following or not page.get("data"):
            break
        try:
            next_url = _api_url_check(following)
        except SourceInvalid as exc:
            raise SourceFailed(f"the API's next link {following!r} breaks the source rules: {exc}") from exc


def _page_get(session: requests.Session, url: str) -> dict:
    """GET one page of the REST API as a dict (``SourceFailed`` on any HTTP, size or JSON problem)."""
    timeout = conf.import_timeout()
    try:
        response = session.get(url, timeout=(timeout, timeout), headers={"Accept": "application/vnd.api+json"})
        response.raise_for_status()  # 4xx/5xx become HTTPError, reported like a failed connection
    except requests.RequestException as exc:
        raise SourceFailed(f"GET {url} failed: {exc}") from exc
    if len(response.content) > conf.import_max_document_bytes():
        raise SourceFailed(f"GET {url}: page larger than EXPORTS_IMPORT_MAX_DOCUMENT_BYTES")
    try:
        page = orjson.loads(response.content)
    except orjson.JSONDecodeError as exc:
        raise SourceFailed(f"GET {url}: not JSON ({exc})") from exc
    if not isinstance(page, dict):
        raise SourceFailed(f"GET {url}: not a JSON:API document")
    return page
