"""Where a webhook may point: http(s) URLs whose host is a public address.

``url_refusal`` is pure (the caller resolves the host), so the rule is tested without DNS:
loopback, private, link-local, multicast, reserved and unspecified addresses are refused
unless ``allow_private`` (tests and single-host set-ups set ``JOBS_WEBHOOK_ALLOW_PRIVATE``).
"""

from __future__ import annotations

import socket
from urllib.parse import urlsplit

from jobs.guards import address_kind

SCHEMES = ("http", "https")


def address_refusal(address: str, *, allow_private: bool) -> str | None:
    """Why a webhook must not call ``address`` (an IP literal), or None."""
    kind = None if allow_private else address_kind(address)
    if kind is None:
        return None
    return f"{address} is not a public address" if kind == "not public" else f"{address} is a {kind} address"


def url_refusal(url: str, addresses: list[str], *, allow_private: bool, unresolved_ok: bool = False) -> str | None:
    """Why ``url`` (whose host resolved to ``addresses``) may not be called, or None.

    ``unresolved_ok``: a host that does not resolve (yet) passes; forms use it, the
    delivery does not.
    """
    parts = urlsplit(url)
    if parts.scheme not in SCHEMES:
        return f"only http and https URLs are allowed, not {parts.scheme or 'no scheme'!r}"
    if not parts.hostname:
        return "the URL has no host"
    if not addresses:
        return None if unresolved_ok else f"{parts.hostname} does not resolve"
    for address in addresses:
        reason = address_refusal(address, allow_private=allow_private)
        if reason:
            return f"{parts.hostname}: {reason}"
    return None


def host_addresses(url: str) -> list[str]:
    """The addresses the URL's host resolves to (empty when it does not)."""
    parts = urlsplit(url)
    if not parts.hostname:
        return []
    try:
        port = parts.port or (443 if parts.scheme == "https" else 80)
        infos = socket.getaddrinfo(parts.hostname, port, proto=socket.IPPROTO_TCP)
    except (OSError, ValueError):
        return []
    return sorted({info[4][0] for info in infos})
