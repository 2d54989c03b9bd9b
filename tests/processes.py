"""A child process of a test (a server, a worker, an SDK app), its output kept in a log file
for the test report; stopped with its whole process group."""

import os
import signal
import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


class Process:
    """A child process whose output goes to a log file kept for the test report."""

    def __init__(
        self, name: str, cmd: list[str], env: dict[str, str], log_dir: Path, cwd: Path = ROOT
    ) -> None:
        self.name, self.cmd, self.env, self.cwd = name, cmd, env, cwd
        self.log_path = log_dir / f"{name}.log"
        self.proc: subprocess.Popen | None = None

    def start(self) -> "Process":
        log = self.log_path.open("a")
        self.proc = subprocess.Popen(
            self.cmd,
            env={**os.environ, **self.env},
            cwd=self.cwd,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        return self

    def stop(self, sig: int = signal.SIGTERM, timeout: float = 10) -> None:
        """`sig` to the process group; SIGKILL after `timeout` seconds."""
        if self.proc is None or self.proc.poll() is not None:
            return
        os.killpg(self.proc.pid, sig)
        try:
            self.proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait(timeout=10)

    def kill(self) -> None:
        """SIGKILL: no cleanup, as when a machine dies."""
        self.stop(signal.SIGKILL)

    def output(self) -> str:
        return self.log_path.read_text() if self.log_path.exists() else ""
