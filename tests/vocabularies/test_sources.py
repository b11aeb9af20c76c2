"""Sources: paths confined to the import folder, http(s) downloads with limits, nothing else."""

import os
import time

import pytest

from vocabularies.exceptions import ImportFailed, SourceRejected
from vocabularies.sources import source_open


def test_relative_and_absolute_paths_below_the_import_folder(import_dir):
    (import_dir / "ror.zip").write_bytes(b"x")
    with source_open("ror.zip") as path:
        assert path == (import_dir / "ror.zip").resolve()
    with source_open(str(import_dir / "ror.zip")) as path:
        assert path.read_bytes() == b"x"


@pytest.mark.parametrize("source", ["../secret.zip", "sub/../../secret.zip", "/etc/passwd"])
def test_paths_outside_are_rejected(import_dir, source):
    with pytest.raises(SourceRejected):
        with source_open(source):
            pass


def test_symlink_escape_is_rejected(import_dir, tmp_path):
    outside = tmp_path / "outside.zip"
    outside.write_bytes(b"x")
    os.symlink(outside, import_dir / "link.zip")
    with pytest.raises(SourceRejected, match="outside the import folder"):
        with source_open("link.zip"):
            pass


@pytest.mark.parametrize("source", ["ftp://example.org/x.zip", "file:///etc/passwd", "s3://bucket/x"])
def test_other_schemes_are_rejected(import_dir, source):
    with pytest.raises(SourceRejected, match="only http"):
        with source_open(source):
            pass


def test_missing_file_fails(import_dir):
    with pytest.raises(ImportFailed, match="does not exist"):
        with source_open("nope.zip"):
            pass


def test_download_streams_to_a_temporary_file_removed_afterwards(http_server, import_dir):
    body = os.urandom(3 * 1024 * 1024 + 5)
    http_server.routes["/dump.zip"] = (200, {}, body)
    calls = []
    with source_open(f"{http_server.url}/dump.zip", progress=lambda d, t: calls.append((d, t))) as path:
        assert path.read_bytes() == body
    assert not path.exists()
    assert calls[-1] == (len(body), len(body))


def test_http_404_fails_with_message(http_server, import_dir):
    with pytest.raises(ImportFailed, match="HTTP 404"):
        with source_open(f"{http_server.url}/missing.zip"):
            pass


def _unsized(handler):
    handler.send_response(200)
    handler.end_headers()
    handler.wfile.write(b"x" * 5000)
    handler.close_connection = True


@pytest.mark.parametrize("body", [b"x" * 5000, _unsized], ids=["content-length", "no-length"])
def test_download_over_size_limit_fails(http_server, import_dir, settings, body):
    settings.VOCABULARIES_DOWNLOAD_MAX_BYTES = 1000
    http_server.routes["/big.zip"] = (200, {}, body)
    with pytest.raises(ImportFailed, match="VOCABULARIES_DOWNLOAD_MAX_BYTES"):
        with source_open(f"{http_server.url}/big.zip"):
            pass


def test_stalled_download_times_out(http_server, import_dir, settings):
    settings.VOCABULARIES_DOWNLOAD_TIMEOUT = 0.5

    def stall(handler):
        handler.send_response(200)
        handler.send_header("Content-Length", "100000")
        handler.end_headers()
        handler.wfile.write(b"x" * 100)
        handler.wfile.flush()
        time.sleep(3)

    http_server.routes["/stall.zip"] = (200, {}, stall)
    started = time.monotonic()
    with pytest.raises(ImportFailed, match="stalled|timed out"):
        with source_open(f"{http_server.url}/stall.zip"):
            pass
    assert time.monotonic() - started < 2.5
