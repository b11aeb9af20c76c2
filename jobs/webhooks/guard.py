"""Where a webhook may point: http(s) URLs whose host is a public address.

``url_refusal`` is pure (the caller resolves the host), so the rule is tested without DNS:
loopback, private, link-local, multicast, reserved and unspecified addresses are refused
unless ``allow_private`` (tests and single-host set-ups set ``JOBS_WEBHOOK_ALLOW_PRIVATE``).
"""

from __future__ import annotations

import ipaddress
import socket
from urllib.parse import urlsplit

SCHEMES = ("http", "https")


def address_refusal(address: str, *, allow_private: bool) -> str | None:
    """Why a webhook must not call ``address`` (an IP literal), or None."""
    ip = ipaddress.ip_address(address)
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    if allow_private:
        return None
    for label, flag in (
        ("loopback", ip.is_loopback), ("unspecified", ip.is_unspecified), ("link-local", ip.is_link_local),
        ("multicast", ip.is_multicast), ("private", ip.is_private), ("reserved", ip.is_reserved),
    ):
        if flag:
            return f"{address} is a {label} address"
    if not ip.is_global:  # e.g. 100.64.0.0/10, shared address space of carriers
        return f"{address} is not a public address"
    return None


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
