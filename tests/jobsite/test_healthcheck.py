"""The container health checks: /healthz through the web check, beat's pid file, the Host header."""

import os
import socket

import pytest

from jobsite.healthcheck import allowed_host, main, pid_alive, web_healthy


@pytest.mark.parametrize(
    ("value", "host"),
    [("jobsite.example.org,other", "jobsite.example.org"), ("*", "localhost"), ("", "localhost"),
     (".example.org", "healthcheck.example.org")],
)
def test_allowed_host(value, host):
    assert allowed_host(value) == host


@pytest.mark.django_db(transaction=True)
def test_web_check_answers_through_the_live_server(live_server, monkeypatch):
    monkeypatch.setenv("DJANGO_ALLOWED_HOSTS", "localhost")
    port = int(live_server.url.rsplit(":", 1)[1])
    assert web_healthy(port)
    with socket.socket() as unused:
        unused.bind(("127.0.0.1", 0))
        closed = unused.getsockname()[1]
    assert not web_healthy(closed)


@pytest.mark.django_db
def test_healthz_is_exempt_from_the_https_redirect(client, settings):
    settings.SECURE_SSL_REDIRECT = True
    assert client.get("/healthz").status_code == 200
    assert client.get("/admin/login/").status_code == 301


def test_beat_check_reads_the_pid_file(tmp_path):
    pidfile = tmp_path / "beat.pid"
    assert not pid_alive(str(pidfile))
    pidfile.write_text(f"{os.getpid()}\n")
    assert pid_alive(str(pidfile)) and main(["beat", str(pidfile)]) == 0
    pidfile.write_text("not a pid")
    assert main(["beat", str(pidfile)]) == 1
