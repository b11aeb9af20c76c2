"""Fixtures of the exports tests: a private MEDIA_ROOT, record builders, an import folder and a replayed DataCite API."""

import datetime as dt
import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qsl, urlencode, urlsplit

import pytest

from exports.models import Record
from exports.schema import metadata_load

UTC = dt.UTC


@pytest.fixture
def media(settings, tmp_path):
    """Point the default storage at an empty folder for this test."""
    settings.MEDIA_ROOT = str(tmp_path / "media")
    return tmp_path / "media"


def minimal_metadata(title="A title", **extra):
    meta = {
        "creators": [{"name": "Doe, Jane"}],
        "titles": [{"title": title}],
        "publisher": {"name": "Jobsite"},
        "publicationYear": "2024",
        "types": {"resourceTypeGeneral": "Dataset"},
    }
    meta.update(extra)
    return meta


def record_at(doi, updated, *, deleted=False, metadata=None):
    """Create a record and set its ``updated`` time (save() would stamp now)."""
    record = Record(doi=doi, metadata=metadata or minimal_metadata(title=f"Record {doi}"), deleted=deleted)
    record.save()
    Record.objects.filter(pk=record.pk).update(updated=updated, created=updated)
    record.refresh_from_db()
    return record


def native(doi, metadata, *, deleted=False):
    now = dt.datetime(2025, 1, 2, 3, 4, 5, tzinfo=UTC)
    return {"doi": doi, "created": now, "updated": now, "deleted": deleted, "metadata": metadata_load(metadata)}


@pytest.fixture
def import_dir(tmp_path, settings):
    """This test's own folder as the import folder (EXPORTS_IMPORT_DIR)."""
    settings.EXPORTS_IMPORT_DIR = str(tmp_path)
    return tmp_path


class ApiReplay:
    """A DataCite REST API on 127.0.0.1 replaying recorded-shape pages, one per cursor.

    ``pages`` is a list of JSON:API page bodies; page n's ``links.next`` points at
    cursor n+1 (as the real API does: an opaque cursor in ``page[cursor]``). Every
    request's path and query are kept in ``requests``.
    """

    def __init__(self, pages):
        self.pages = pages
        self.requests: list[tuple[str, dict]] = []
        replay = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self):  # noqa: N802 - http.server API
                parts = urlsplit(self.path)
                query = dict(parse_qsl(parts.query))
                replay.requests.append((parts.path, query))
                body, status = replay.answer(parts.path, query)
                self.send_response(status)
                self.send_header("Content-Type", "application/vnd.api+json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.host = f"127.0.0.1:{self.server.server_address[1]}"
        self.url = f"http://{self.host}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def answer(self, path: str, query: dict) -> tuple[bytes, int]:
        if path != "/dois":
            return b'{"errors": [{"status": "404"}]}', 404
        cursor = query.get("page[cursor]", "")
        index = 0 if cursor == "1" else int(cursor.removeprefix("c")) if cursor.startswith("c") else -1
        if not 0 <= index < len(self.pages):
            return b'{"errors": [{"status": "400", "title": "bad cursor"}]}', 400
        page = dict(self.pages[index])
        rest = {k: v for k, v in query.items() if k != "page[cursor]"}
        following = f"{self.url}/dois?{urlencode({**rest, 'page[cursor]': f'c{index + 1}'})}" if index + 1 < len(self.pages) else None
        page["links"] = {"self": f"{self.url}{path}", **({"next": following} if following else {})}
        return json.dumps(page).encode(), 200


@pytest.fixture
def datacite_api(settings):
    """Start an ``ApiReplay`` (``datacite_api(pages)``) on an allowed host; stopped after the test."""
    started = []

    def start(pages):
        replay = ApiReplay(pages)
        settings.EXPORTS_IMPORT_API_HOSTS = [replay.host]
        replay.thread.start()
        started.append(replay)
        return replay

    yield start
    for replay in started:
        replay.server.shutdown()
        replay.server.server_close()
