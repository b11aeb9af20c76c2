"""Find the newest file of a Zenodo concept record through Zenodo's REST API.

``GET <api>/records/<concept id>`` answers with a record (Zenodo redirects a concept
id to its latest version); its ``links.latest`` points at the latest version, whose
``files`` list holds ``{key, size, checksum, links: {self|content}}`` entries.
"""

from __future__ import annotations

import logging
import re

import requests

from vocabularies import conf
from vocabularies.exceptions import ImportFailed

logger = logging.getLogger(__name__)


def _get_json(url: str) -> dict:
    timeout = float(conf.get("VOCABULARIES_DOWNLOAD_TIMEOUT"))
    try:
        response = requests.get(url, timeout=(timeout, timeout), headers={"Accept": "application/json"})
    except requests.RequestException as exc:
        raise ImportFailed(f"Zenodo API request {url} failed: {exc}") from exc
    if response.status_code != 200:
        raise ImportFailed(f"Zenodo API request {url} failed: HTTP {response.status_code}")
    try:
        data = response.json()
    except ValueError as exc:
        raise ImportFailed(f"Zenodo API answer of {url} is not JSON") from exc
    if not isinstance(data, dict):
        raise ImportFailed(f"Zenodo API answer of {url} is not a record")
    return data


def _files(record: dict) -> list[dict]:
    files = record.get("files")
    if isinstance(files, dict):  # InvenioRDM-style {"entries": {...}} or {"entries": [...]}
        entries = files.get("entries") or {}
        files = list(entries.values()) if isinstance(entries, dict) else entries
    return [f for f in files or [] if isinstance(f, dict)]


def zenodo_latest_file_url(concept_id: str, *, pattern: str, api: str | None = None) -> str:
    """Return the download URL of the file matching ``pattern`` in the latest version."""
    api = (api or conf.get("VOCABULARIES_ZENODO_API")).rstrip("/")
    record = _get_json(f"{api}/records/{concept_id}")
    latest = (record.get("links") or {}).get("latest")
    if latest and latest != (record.get("links") or {}).get("self"):
        record = _get_json(latest)
    regex = re.compile(pattern)
    for entry in _files(record):
        key = entry.get("key") or entry.get("filename") or ""
        if regex.search(key):
            links = entry.get("links") or {}
            url = links.get("content") or links.get("self") or links.get("download")
            if not url:
                url = f"{api}/records/{record.get('id')}/files/{key}/content"
            logger.info("zenodo_resolved concept=%s record=%s file=%s", concept_id, record.get("id"), key)
            return url
    keys = [entry.get("key") for entry in _files(record)]
    raise ImportFailed(f"Zenodo record {record.get('id')} (concept {concept_id}) has no file matching {pattern!r}: {keys}")
