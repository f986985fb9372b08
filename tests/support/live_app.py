"""`tiepdan run` as a newcomer starts it: the installed command, no messenger token, its own SQLite file."""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

TIEPDAN = str(Path(sys.executable).parent / "tiepdan")


@dataclass
class LiveApp:
    process: subprocess.Popen[str]
    base_url: str
    port: int
    seconds_to_serve: float  # from the command's start to the first 200 from /chat
    output: Path

    def printed(self) -> str:
        return self.output.read_text(encoding="utf-8")


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def wait_for_page(url: str, process: subprocess.Popen[str], timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            return False
        try:
            with urllib.request.urlopen(url, timeout=5) as response:
                if response.status == 200:
                    return True
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            pass
        time.sleep(0.1)
    return False


@contextlib.contextmanager
def tiepdan_run(folder: Path, *, timeout: float = 120.0, env: dict[str, str] | None = None,
                port: int | None = None) -> Iterator[LiveApp]:
    """Start `tiepdan run` in `folder` (no .env there) and wait until /chat answers 200; `port` restarts a
    stopped one at the same address (its pages reconnect)."""
    port = port or free_port()
    clean = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": str(folder), "LANG": "C.UTF-8",
        "DATABASE_URL": f"sqlite+aiosqlite:///{folder / 'tiepdan.db'}", "PORT": str(port),
        "LOG_LEVEL": "WARNING",
    }
    output = folder / "stdout.txt"
    with output.open("a", encoding="utf-8") as out, (folder / "stderr.txt").open("a", encoding="utf-8") as err:
        started = time.monotonic()
        process = subprocess.Popen([TIEPDAN, "run"], cwd=folder, env=clean | (env or {}), stdout=out, stderr=err,
                                   text=True)
        try:
            url = f"http://127.0.0.1:{port}"
            if not wait_for_page(f"{url}/chat", process, timeout):
                raise AssertionError(f"tiepdan run did not serve /chat: {(folder / 'stderr.txt').read_text()[-2000:]}")
            yield LiveApp(process, url, port, time.monotonic() - started, output)
        finally:
            if process.poll() is None:
                process.send_signal(signal.SIGTERM)
                try:
                    process.wait(timeout=30)
                except subprocess.TimeoutExpired:
                    process.kill()
                    process.wait()
