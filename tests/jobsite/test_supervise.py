"""``make run``'s supervisor (``jobsite/supervise.py``): Ctrl-C stops web, worker and beat cleanly, exit 0.

The real Procfile on the embedded defaults (SQLite, the filesystem broker) in a temporary
folder; SIGINT to the supervisor is what Ctrl-C sends it (its children run in their own
sessions, so the terminal's signal reaches only the supervisor).
"""

import os
import signal
import socket
import subprocess
import sys
import time

import pytest

from jobsite.supervise import procfile_read
from tests.conftest import ROOT
from tests.test_embedded import embedded_env as embedded_env  # the fixture, shared
from tests.test_embedded import manage

pytestmark = pytest.mark.worker


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_the_procfile_names_web_worker_and_beat():
    assert [name for name, _ in procfile_read(ROOT / "Procfile")] == ["web", "worker", "beat"]


def test_ctrl_c_stops_all_three_cleanly_with_exit_0(embedded_env, tmp_path):
    assert manage(embedded_env, "migrate", "--no-input", "-v0").returncode == 0
    env = dict(embedded_env, PORT=str(free_port()), PATH=f"{os.path.dirname(sys.executable)}:{os.environ['PATH']}")
    env.pop("JOBS_EXTRA_TYPES")
    log = (tmp_path / "supervise.log").open("w")
    proc = subprocess.Popen(
        [sys.executable, "-m", "jobsite.supervise", "Procfile"], cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT
    )
    output = tmp_path / "supervise.log"
    try:
        deadline = time.monotonic() + 90
        while not all(marker in output.read_text() for marker in ("celery@", " ready.", "beat: Starting", "Quit the server")):
            assert proc.poll() is None, output.read_text()[-3000:]
            assert time.monotonic() < deadline, output.read_text()[-3000:]
            time.sleep(0.2)
        proc.send_signal(signal.SIGINT)
        returncode = proc.wait(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
        log.close()
    text = output.read_text()
    assert returncode == 0, text[-3000:]
    assert "all stopped" in text and "Warm shutdown" in text
    for bad in ("exited with", "killed", "Traceback", "ERROR/"):
        assert bad not in text, text[-3000:]
