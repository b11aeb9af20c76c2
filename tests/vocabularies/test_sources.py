"""Sources: paths confined to the import folder, http(s) downloads with limits, nothing else."""

import os
import time

import pytest

from vocabularies.exceptions import ImportFailed, SourceRejected
from vocabularies.sources import (
    address_allowed,
    address_refusal,
    host_listed,
    source_check,
    source_hosts,
    source_open,
)


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


def test_http_404_fails_without_echoing_the_status_line(http_server, import_dir):
    with pytest.raises(ImportFailed, match="did not answer with the file") as failure:
        with source_open(f"{http_server.url}/missing.zip"):
            pass
    assert "404" not in str(failure.value) and "Not Found" not in str(failure.value)


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


# --- the source guard: address classification (pure), host list, redirects, every entry point ----


@pytest.mark.parametrize(
    ("address", "kind"),
    [
        ("127.0.0.1", "loopback"), ("127.8.9.10", "loopback"), ("::1", "loopback"), ("::ffff:127.0.0.1", "loopback"),
        ("10.1.2.3", "private"), ("172.16.0.1", "private"), ("192.168.1.1", "private"), ("fc00::1", "private"),
        ("169.254.169.254", "link-local"), ("fe80::1", "link-local"),
        ("224.0.0.1", "multicast"), ("ff02::1", "multicast"),
        ("0.0.0.0", "unspecified"), ("::", "unspecified"),
        ("100.64.0.1", "not public"), ("240.0.0.1", "private"),
    ],
)
def test_address_refusal_names_the_range(address, kind):
    assert address_refusal(address) == kind


@pytest.mark.parametrize("address", ["188.185.79.172", "1.1.1.1", "2001:1458:d00:3b::100:2a7", "2606:4700::1111"])
def test_public_addresses_are_not_refused(address):
    assert address_refusal(address) is None


def test_address_allowed_by_address_or_network():
    assert address_allowed("127.0.0.1", ["127.0.0.1"])
    assert not address_allowed("127.0.0.2", ["127.0.0.1"])
    assert address_allowed("10.0.3.4", ["10.0.0.0/16"])
    assert not address_allowed("::1", ["127.0.0.1"])


def test_host_list_is_exact_or_a_dotted_suffix():
    assert host_listed("zenodo.org", ["zenodo.org"])
    assert not host_listed("evilzenodo.org", ["zenodo.org"]) and not host_listed("a.zenodo.org", ["zenodo.org"])
    assert host_listed("files.example.org", [".example.org"])


@pytest.fixture
def guard_defaults(settings):
    """The production defaults: Zenodo's host only, no non-public address."""
    del settings.VOCABULARIES_SOURCE_HOSTS
    del settings.VOCABULARIES_SOURCE_ALLOW_ADDRESSES


def test_default_hosts_are_the_built_in_sources(guard_defaults):
    assert source_hosts() == ["zenodo.org"]


def test_loopback_is_refused_by_default(guard_defaults, http_server, settings):
    http_server.routes["/dump.zip"] = (200, {}, b"x")
    with pytest.raises(SourceRejected, match="not in VOCABULARIES_SOURCE_HOSTS"):
        source_check(f"{http_server.url}/dump.zip")
    settings.VOCABULARIES_SOURCE_HOSTS = ["127.0.0.1", "localhost"]  # listed, yet loopback
    for url in (f"{http_server.url}/dump.zip", f"http://localhost:{http_server.server_address[1]}/dump.zip"):
        with pytest.raises(SourceRejected, match="loopback address"):
            source_check(url)
    with pytest.raises(SourceRejected, match="loopback address"):
        with source_open(f"{http_server.url}/dump.zip"):
            pass
    assert http_server.requests == []  # refused before any connection


def test_allowed_host_and_address_pass(http_server):
    source_check(f"{http_server.url}/dump.zip")  # tests/settings.py allows 127.0.0.1 explicitly


def test_redirects_are_followed_when_each_hop_passes(http_server, import_dir):
    http_server.routes["/dump.zip"] = (200, {}, b"the dump")
    http_server.routes["/go"] = (302, {"Location": "/dump.zip"}, b"")
    with source_open(f"{http_server.url}/go") as path:
        assert path.read_bytes() == b"the dump"


def test_a_redirect_to_a_refused_address_is_not_followed(http_server, import_dir, settings):
    settings.VOCABULARIES_SOURCE_HOSTS = ["127.0.0.1", "127.0.0.2"]  # both listed; only .1 allowed
    port = http_server.server_address[1]
    http_server.routes["/go"] = (302, {"Location": f"http://127.0.0.2:{port}/admin"}, b"")
    with pytest.raises(SourceRejected, match="127.0.0.2 resolves to a loopback address"):
        with source_open(f"{http_server.url}/go"):
            pass
    http_server.routes["/elsewhere"] = (301, {"Location": "https://example.org/x.zip"}, b"")
    with pytest.raises(SourceRejected, match="host example.org is not in VOCABULARIES_SOURCE_HOSTS"):
        with source_open(f"{http_server.url}/elsewhere"):
            pass
    assert http_server.requests == ["/go", "/elsewhere"]


def test_redirect_loops_end(http_server, import_dir):
    http_server.routes["/loop"] = (302, {"Location": "/loop"}, b"")
    with pytest.raises(SourceRejected, match="too many redirects"):
        with source_open(f"{http_server.url}/loop"):
            pass


def test_errors_never_echo_the_targets_answer(http_server, import_dir, settings):
    http_server.routes["/failing"] = (500, {"X-Token": "INTERNAL-SECRET-TOKEN-abc123"}, b"INTERNAL-SECRET-TOKEN-abc123")
    settings.VOCABULARIES_DOWNLOAD_MAX_BYTES = 10
    http_server.routes["/big"] = (200, {}, b"x" * 7_777_777)
    for path in ("/failing", "/big"):
        with pytest.raises(ImportFailed) as failure:
            with source_open(f"{http_server.url}{path}"):
                pass
        message = str(failure.value)
        for echo in ("SECRET", "HTTP", "500", "Internal Server Error", "7777777"):
            assert echo not in message, message


@pytest.mark.parametrize(
    ("source", "message"),
    [
        ("/etc/passwd", "outside the import folder"),
        ("../../etc/passwd", "'..' is not allowed"),
        ("nonexistent.zip", "does not exist"),
        ("file:///etc/passwd", "only http"),
        ("ftp://example.org/x.zip", "only http"),
        ("https://example.org/x.zip", "not in VOCABULARIES_SOURCE_HOSTS"),
    ],
)
def test_source_check_names_the_broken_rule(import_dir, source, message):
    with pytest.raises(SourceRejected, match=message):
        source_check(source)


def test_existing_file_and_empty_default_pass(import_dir):
    (import_dir / "ror.zip").write_bytes(b"x")
    source_check("ror.zip")
    source_check("")
