"""Fixtures of the vocabulary tests: real sample records assembled into real-layout dumps,
an import folder, and a local HTTP server (download servers are never reached)."""

from __future__ import annotations

import gzip
import io
import json
import os
import tarfile
import threading
import time
import zipfile
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from tests.conftest import DATA

ROR_DIR = DATA / "ror" / "records_v2" / "v2.9"
ORCID_RECORD = DATA / "orcid" / "samples" / "orcid-conversion-lib" / "test-conversionlib-record-3.0.xml"


def ror_sample() -> list[dict]:
    """The real ROR v2.9 records saved in tests/data, sorted by file name."""
    return [json.loads(p.read_text()) for p in sorted(ROR_DIR.glob("*.json"))]


def ror_zip(path: Path, records, *, era: str = "v2", release: str = "v2.9-2026-06-23") -> Path:
    """Write a ROR release zip laid out like the given era (see FORMATS.md §1.1)."""
    data = json.dumps(records, indent=4, ensure_ascii=False).encode() if not isinstance(records, bytes) else records
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        if era == "v2":  # v2.0 onwards: schema v2 only, no suffix
            zf.writestr(f"{release}-ror-data.json", data)
            zf.writestr(f"{release}-ror-data.csv", "id\n")
        elif era == "legacy4":  # v1.45 - v1.74: v1 and v2 files side by side
            v1 = json.dumps([{"id": r["id"], "name": "v1 name", "types": ["Education"]} for r in json.loads(data)])
            zf.writestr(f"{release}-ror-data.json", v1)
            zf.writestr(f"{release}-ror-data.csv", "id\n")
            zf.writestr(f"{release}-ror-data_schema_v2.json", data)
            zf.writestr(f"{release}-ror-data_schema_v2.csv", "id\n")
        elif era == "v1only":  # releases before v1.45
            zf.writestr(f"{release}-ror-data.json", data)
    return path


def v1_records(records) -> list[dict]:
    return [{"id": r["id"], "name": "Some name", "aliases": [], "types": ["Education"], "status": "active"} for r in records]


def tar_add(archive: tarfile.TarFile, name: str, data: bytes):
    info = tarfile.TarInfo(name)
    info.size = len(data)
    info.mtime = int(time.time())
    archive.addfile(info, io.BytesIO(data))


def openaire_tar(path: Path, parts: list[list]) -> Path:
    """Write a project.tar: ``project/part-0000N-….json.gz`` members of JSON lines."""
    with tarfile.open(path, "w") as archive:
        for number, lines in enumerate(parts):
            body = b"".join((line if isinstance(line, bytes) else json.dumps(line).encode()) + b"\n" for line in lines)
            tar_add(archive, f"project/part-{number:05d}-2f1e.json.gz", gzip.compress(body))
    return path


def orcid_targz(path: Path, records: dict[str, bytes], *, top: str = "ORCID_2024_10_summaries") -> Path:
    """Write a summaries .tar.gz laid out as ``<top>/<last 3 chars of iD>/<iD>.xml``."""
    with tarfile.open(path, "w:gz", compresslevel=1) as archive:
        for orcid_id, xml in records.items():
            tar_add(archive, f"{top}/{orcid_id[-3:]}/{orcid_id}.xml", xml)
    return path


@pytest.fixture
def import_dir(tmp_path, settings):
    folder = tmp_path / "imports"
    folder.mkdir()
    settings.VOCABULARIES_IMPORT_DIR = str(folder)
    return folder


@pytest.fixture
def ror_parsers(monkeypatch, tmp_path):
    """Which processes read a ROR dump, and which shard each read.

    Wraps ``vocabularies.readers.ror.ror_records``: a reader writes a line when it starts
    reading, in the process that reads it (a forked parser writes its own pid). Calling
    the fixture's value returns the readers started since the last call as
    ``[(pid, shard or None), ...]`` in start order.
    """
    from vocabularies.readers import ror

    log = tmp_path / "ror-parsers.jsonl"
    original = ror.ror_records

    def recording(path, *, shard=None, **options):
        with log.open("a") as out:  # one short append per reader: lines of processes do not mix
            out.write(json.dumps({"pid": os.getpid(), "shard": shard}) + "\n")
        yield from original(path, shard=shard, **options)

    def started() -> list[tuple[int, tuple[int, int] | None]]:
        lines = log.read_text().splitlines() if log.exists() else []
        log.unlink(missing_ok=True)
        return [(entry["pid"], tuple(entry["shard"]) if entry["shard"] else None) for entry in map(json.loads, lines)]

    monkeypatch.setattr(ror, "ror_records", recording)
    return started


def assert_sharded_in_forked_processes(readers, count: int):
    """``readers`` (from ``ror_parsers``) are ``count`` shards of one dump, each read in its own forked process."""
    assert sorted(shard for _, shard in readers) == [(index, count) for index in range(count)]
    pids = {pid for pid, _ in readers}
    assert len(pids) == count and os.getpid() not in pids


class Routes(dict):
    """path -> (status, headers, body bytes | callable(handler))."""


@pytest.fixture
def http_server():
    """A local HTTP server on 127.0.0.1; tests register routes on ``server.routes``."""
    routes = Routes()
    requests = []

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self):  # noqa: N802 - http.server API
            path = self.path.split("?", 1)[0]
            requests.append(path)
            if path not in routes:
                self.send_error(404, "Not Found")
                return
            status, headers, body = routes[path]
            if callable(body):
                body(self)
                return
            self.send_response(status)
            for key, value in {"Content-Length": str(len(body)), **headers}.items():
                self.send_header(key, value)
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    server.routes = routes
    server.requests = requests  # every path asked for, in order
    server.url = f"http://127.0.0.1:{server.server_address[1]}"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()
