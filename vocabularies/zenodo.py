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
from vocabularies.exceptions import ImportFailed, SourceRejected
from vocabularies.sources import guarded_get

logger = logging.getLogger(__name__)


def _get_json(url: str) -> dict:
    """The JSON record at ``url``, fetched through the source guard (host list, addresses, redirects)."""
    try:
        response = guarded_get(url, headers={"Accept": "application/json"})
    except SourceRejected as exc:
        raise SourceRejected(f"Zenodo API request {url} refused: {exc}") from exc
    except requests.RequestException as exc:
        raise ImportFailed(f"Zenodo API request {url} failed: no connection or no answer") from exc
    with response:
        if response.status_code != 200:
            raise ImportFailed(f"Zenodo API request {url} failed: the server did not answer with the record")
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
    raise ImportFailed(f"the latest Zenodo record of concept {concept_id} has no file matching {pattern!r}")
