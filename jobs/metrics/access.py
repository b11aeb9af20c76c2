"""Who may scrape ``/metrics``: a bearer token or an IP allow-list, off when neither is set.

Pure functions of the request's header and address and the two settings, so the rules are
tested without a server.
"""

from __future__ import annotations

import hmac
import ipaddress
from enum import Enum


class Access(Enum):
    OFF = "off"  # neither a token nor an allow-list: the endpoint does not exist (404)
    ALLOWED = "allowed"
    DENIED = "denied"


def allow_list_parse(entries) -> list[ipaddress.IPv4Network | ipaddress.IPv6Network]:
    """``["10.0.0.0/8", "127.0.0.1"]`` -> networks; a bad entry raises ``ValueError`` naming it."""
    networks = []
    for entry in entries or []:
        entry = str(entry).strip()
        if not entry:
            continue
        try:
            networks.append(ipaddress.ip_network(entry, strict=False))
        except ValueError as exc:
            raise ValueError(f"JOBSITE_METRICS_ALLOW: {entry!r} is not an IP address or network") from exc
    return networks


def metrics_access(*, token: str, allow: list, authorization: str, remote_addr: str) -> Access:
    """Whether a scrape with this ``Authorization`` header from ``remote_addr`` is allowed.

    With both a token and an allow-list set, either one suffices.
    """
    networks = allow_list_parse(allow)
    if not token and not networks:
        return Access.OFF
    if token:
        scheme, _, given = (authorization or "").partition(" ")
        if scheme.lower() == "bearer" and hmac.compare_digest(given.strip().encode(), token.encode()):
            return Access.ALLOWED
    if networks and remote_addr:
        try:
            address = ipaddress.ip_address(remote_addr)
        except ValueError:
            return Access.DENIED
        if any(address in network for network in networks):
            return Access.ALLOWED
    return Access.DENIED
