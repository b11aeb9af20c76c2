"""Zenodo resolver against a local server answering like Zenodo's REST API."""

import json

import pytest

from vocabularies.exceptions import ImportFailed
from vocabularies.zenodo import zenodo_latest_file_url


def zenodo_routes(server, *, concept="6347574", latest="18000001", files=None):
    """Register /api/records/<concept> (an older version) and /api/records/<latest>/versions/latest."""
    api = f"{server.url}/api"
    files = files if files is not None else [{
        "id": "b5f1c0de", "key": "v2.9-2026-06-23-ror-data.zip", "size": 12345,
        "checksum": "md5:0123456789abcdef0123456789abcdef",
        "links": {"self": f"{api}/records/{latest}/files/v2.9-2026-06-23-ror-data.zip/content"},
    }]
    older = {
        "id": 17000000, "conceptrecid": concept, "doi": "10.5281/zenodo.17000000",
        "conceptdoi": f"10.5281/zenodo.{concept}", "metadata": {"title": "ROR Data", "version": "v2.8"},
        "files": [], "links": {"self": f"{api}/records/17000000", "latest": f"{api}/records/{latest}/versions/latest"},
    }
    newest = {
        "id": int(latest), "conceptrecid": concept, "doi": f"10.5281/zenodo.{latest}",
        "metadata": {"title": "ROR Data", "version": "v2.9", "publication_date": "2026-06-23"},
        "files": files,
        "links": {"self": f"{api}/records/{latest}", "latest": f"{api}/records/{latest}/versions/latest"},
    }
    server.routes[f"/api/records/{concept}"] = (200, {"Content-Type": "application/json"}, json.dumps(older).encode())
    server.routes[f"/api/records/{latest}/versions/latest"] = (200, {"Content-Type": "application/json"}, json.dumps(newest).encode())
    return f"{api}/records/{latest}/files/v2.9-2026-06-23-ror-data.zip/content"


def test_follows_links_latest_to_the_file(http_server):
    expected = zenodo_routes(http_server)
    assert zenodo_latest_file_url("6347574", pattern=r"\.zip$", api=f"{http_server.url}/api") == expected


def test_no_matching_file_fails(http_server):
    zenodo_routes(http_server, files=[{"key": "README.md", "links": {"self": "x"}}])
    with pytest.raises(ImportFailed, match="no file matching"):
        zenodo_latest_file_url("6347574", pattern=r"\.zip$", api=f"{http_server.url}/api")


def test_unknown_record_fails(http_server):
    with pytest.raises(ImportFailed, match="did not answer with the record") as failure:
        zenodo_latest_file_url("1", pattern=r"\.zip$", api=f"{http_server.url}/api")
    assert "404" not in str(failure.value)
