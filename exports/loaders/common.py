"""What the loaders share: the ``Loaded`` result, ``LoadError`` and ``tidy``."""

from __future__ import annotations

from dataclasses import dataclass, field


class LoadError(ValueError):
    """The document is not DataCite XML/JSON that a loader can read."""


@dataclass
class Loaded:
    doi: str
    metadata: dict
    deleted: bool = False
    problems: list[str] = field(default_factory=list)


def tidy(value):
    """Drop None, blank strings and empty lists/dicts, recursively (the dialect never stores them)."""
    if isinstance(value, dict):
        out = {}
        for key, item in value.items():
            item = tidy(item)
            if item not in (None, "", [], {}):
                out[key] = item
        return out
    if isinstance(value, list):
        return [item for item in (tidy(v) for v in value) if item not in (None, "", [], {})]
    if isinstance(value, str):
        return value.strip() and value
    return value
