"""Container health checks (docker-compose.yml): ``python -m jobsite.healthcheck web|beat``.

``web`` asks the site's ``/healthz`` over plain HTTP inside the container with a Host
header the site accepts (the first of ``DJANGO_ALLOWED_HOSTS``); ``beat`` checks that the
process named in beat's pid file is alive. Standard library only: no Django start-up
every few seconds. Exit 0 healthy, 1 not.
"""

from __future__ import annotations

import http.client
import os
import sys
from pathlib import Path


def allowed_host(value: str) -> str:
    """A host name the site answers to, from a ``DJANGO_ALLOWED_HOSTS`` value."""
    first = (value.split(",")[0].strip() if value else "") or "localhost"
    if first == "*":
        return "localhost"
    return "healthcheck" + first if first.startswith(".") else first


def web_healthy(port: int = 8000) -> bool:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
    try:
        connection.request("GET", "/healthz", headers={"Host": allowed_host(os.environ.get("DJANGO_ALLOWED_HOSTS", ""))})
        return connection.getresponse().status == 200
    except OSError:
        return False
    finally:
        connection.close()


def pid_alive(pidfile: str) -> bool:
    try:
        pid = int(Path(pidfile).read_text().strip())
        os.kill(pid, 0)
    except (OSError, ValueError):
        return False
    return True


def main(argv: list[str]) -> int:
    kind = argv[0] if argv else "web"
    if kind == "web":
        return 0 if web_healthy(int(os.environ.get("PORT", "8000"))) else 1
    if kind == "beat":
        return 0 if pid_alive(argv[1] if len(argv) > 1 else "/run/beat/beat.pid") else 1
    print(f"unknown check {kind!r}: web or beat", file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
