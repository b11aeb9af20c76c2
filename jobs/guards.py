"""Pure guards shared by everything that reads a path or calls an address an operator typed.

``address_kind`` classifies an IP literal (loopback, link-local, private, ...; None when
public), and ``path_below`` resolves a path that must exist below a folder. Import
sources (vocabularies, exports) and webhook URLs apply them with their own settings and
messages; nothing here reads settings or touches the network.
"""

from __future__ import annotations

import ipaddress
from pathlib import Path, PurePosixPath


def address_kind(address: str) -> str | None:
    """Why ``address`` (a literal IPv4/IPv6 address) is not a public one ("loopback", "private", ...), or None."""
    ip = ipaddress.ip_address(address)
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    for kind, flag in (
        ("loopback", ip.is_loopback), ("link-local", ip.is_link_local), ("multicast", ip.is_multicast),
        ("unspecified", ip.is_unspecified), ("private", ip.is_private), ("reserved", ip.is_reserved),
    ):
        if flag:
            return kind
    return None if ip.is_global else "not public"  # e.g. 100.64.0.0/10, carriers' shared space


class PathRefused(ValueError):
    """``path_below`` refused a path; ``reason`` is "dotdot", "outside" or "missing"."""

    def __init__(self, reason: str, base: Path):
        super().__init__(reason)
        self.reason = reason
        self.base = base


def path_below(source: str, base: Path) -> Path:
    """The real path of ``source`` (relative to ``base``, or absolute), which must exist below ``base``.

    ``..`` is refused outright; a symlink that leads out of ``base`` is refused once resolved.
    """
    base = base.resolve()
    if ".." in PurePosixPath(source.replace("\\", "/")).parts:
        raise PathRefused("dotdot", base)
    real = (base / source).resolve()  # an absolute ``source`` replaces ``base`` here
    if real != base and base not in real.parents:
        raise PathRefused("outside", base)
    if not real.exists():
        raise PathRefused("missing", base)
    return real
