"""``make run``'s supervisor: start the Procfile's processes, stop them all cleanly on Ctrl-C.

    python -m jobsite.supervise Procfile

honcho, used before, sent SIGTERM to each process *group* and SIGKILL after a fixed 5 s:
the worker's pool children died of SIGTERM ("exited with signal 15"), the worker was
killed in the middle of its warm shutdown, and honcho exited 130 ("make: Error 130").
Here each process runs in its own session, so the terminal's Ctrl-C reaches only this
supervisor; on Ctrl-C (or SIGTERM) each process's main pid gets SIGTERM (Celery's warm
shutdown stops its own pool), and a process still alive after ``JOBSITE_STOP_TIMEOUT``
seconds (30) is killed with its group. A stop that was asked for and went cleanly exits 0;
a process that ended by itself stops the others and exits 1.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

STOP_TIMEOUT = float(os.environ.get("JOBSITE_STOP_TIMEOUT", "30"))


def procfile_read(path: Path) -> list[tuple[str, str]]:
    """``name: command`` lines of a Procfile, in order (blank lines and ``#`` comments skipped)."""
    entries = []
    for line in path.read_text().splitlines():
        if line.strip() and not line.lstrip().startswith("#"):
            name, _, command = line.partition(":")
            entries.append((name.strip(), command.strip()))
    return entries


class Supervisor:
    def __init__(self, entries: list[tuple[str, str]], *, out=sys.stdout, stop_timeout: float = STOP_TIMEOUT):
        self.entries = entries
        self.out = out
        self.stop_timeout = stop_timeout
        self.width = max(len(name) for name, _ in entries) if entries else 0
        self.lock = threading.Lock()
        self.stop_asked = threading.Event()
        self.procs: dict[str, subprocess.Popen] = {}

    def say(self, name: str, text: str):
        with self.lock:
            self.out.write(f"{time.strftime('%H:%M:%S')} {name:<{self.width}} | {text}\n")
            self.out.flush()

    def _pump(self, name: str, stream):
        for line in iter(stream.readline, ""):
            self.say(name, line.rstrip("\n"))
        stream.close()

    def start(self):
        for name, command in self.entries:
            # exec: the shell expands ${PORT:-8000} and then becomes the process (one pid to signal).
            proc = subprocess.Popen(
                ["/bin/sh", "-c", f"exec {command}"], stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                bufsize=1, start_new_session=True,
            )
            self.procs[name] = proc
            threading.Thread(target=self._pump, args=(name, proc.stdout), daemon=True).start()
            self.say("system", f"{name} started (pid={proc.pid})")

    def _running(self) -> dict[str, subprocess.Popen]:
        return {name: proc for name, proc in self.procs.items() if proc.poll() is None}

    def stop(self) -> bool:
        """SIGTERM to every main process; kill the groups of those alive after the timeout. True: all ended in time."""
        for name, proc in self._running().items():
            self.say("system", f"stopping {name} (SIGTERM to pid {proc.pid})")
            proc.send_signal(signal.SIGTERM)
        deadline = time.monotonic() + self.stop_timeout
        while self._running() and time.monotonic() < deadline:
            time.sleep(0.1)
        in_time = True
        for name, proc in self._running().items():
            self.say("system", f"{name} did not stop within {self.stop_timeout:g} s: killed")
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
            in_time = False
        return in_time

    def run(self) -> int:
        def asked(signum, frame):
            self.stop_asked.set()

        signal.signal(signal.SIGINT, asked)
        signal.signal(signal.SIGTERM, asked)
        self.start()
        while not self.stop_asked.is_set() and len(self._running()) == len(self.procs):
            self.stop_asked.wait(0.2)
        ended = [name for name, proc in self.procs.items() if proc.poll() is not None]
        if self.stop_asked.is_set():
            self.say("system", "stopping (Ctrl-C or SIGTERM)")
        for name in ended:
            self.say("system", f"{name} ended by itself (exit code {self.procs[name].returncode}): stopping the others")
        in_time = self.stop()
        self.say("system", "all stopped")
        return 0 if self.stop_asked.is_set() and not ended and in_time else 1


def main(argv: list[str]) -> int:
    path = Path(argv[0] if argv else "Procfile")
    return Supervisor(procfile_read(path)).run()


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
