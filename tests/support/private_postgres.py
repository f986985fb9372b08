"""A PostgreSQL cluster of the test's own (initdb + pg_ctl on a free port), so a test may stop and start it.

The machine's shared server is never touched. initdb refuses to run as root, so when the tests run as root
the cluster belongs to the `postgres` user (its files in a directory that user owns, commands via runuser).
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import pwd
import shutil
import subprocess
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from tests.support.live_app import free_port
from tests.support.postgres_admin import admin

OWNER = "postgres"


def _bin(name: str) -> str:
    found = shutil.which(name)
    if found:
        return found
    for folder in sorted(Path("/usr/lib/postgresql").glob("*/bin"), reverse=True):
        if (folder / name).exists():
            return str(folder / name)
    raise FileNotFoundError(name)


def available() -> bool:
    try:
        _bin("initdb"), _bin("pg_ctl")
    except FileNotFoundError:
        return False
    return os.geteuid() != 0 or _has_user(OWNER)


def _has_user(name: str) -> bool:
    try:
        pwd.getpwnam(name)
    except KeyError:
        return False
    return True


@dataclass
class PrivatePostgres:
    folder: Path
    port: int

    @property
    def data(self) -> Path:
        return self.folder / "data"

    @property
    def log(self) -> Path:
        return self.folder / "server.log"

    def url(self, database: str = "postgres") -> str:
        return f"postgresql+asyncpg://postgres@127.0.0.1:{self.port}/{database}"

    def _run(self, *args: str, timeout: float = 60) -> None:
        command = list(args)
        if os.geteuid() == 0:
            command = ["runuser", "-u", OWNER, "--", *command]
        done = subprocess.run(command, capture_output=True, text=True, timeout=timeout, check=False)
        if done.returncode != 0:
            raise RuntimeError(f"{' '.join(args)} failed: {done.stdout[-1000:]} {done.stderr[-1000:]}")

    def init(self) -> None:
        self._run(_bin("initdb"), "-D", str(self.data), "-U", "postgres", "--auth=trust", "-E", "UTF8",
                  "--no-sync", timeout=120)
        with (self.data / "postgresql.conf").open("a", encoding="utf-8") as conf:
            conf.write(f"\nport = {self.port}\nlisten_addresses = '127.0.0.1'\nunix_socket_directories = '{self.folder}'\n"
                       "max_connections = 300\nshared_buffers = 32MB\n"
                       # Fast, and still honest about a crash: no fsync (the OS keeps the pages when the
                       # server dies), but a COMMIT is answered only once its WAL is written, as in production.
                       "fsync = off\nfull_page_writes = off\nsynchronous_commit = on\n")

    def start(self) -> float:
        """Start the server and wait until it accepts connections; the seconds it took."""
        started = time.monotonic()
        self._run(_bin("pg_ctl"), "-D", str(self.data), "-l", str(self.log), "-w", "-t", "60", "start", timeout=90)
        return time.monotonic() - started

    def stop(self, mode: str = "immediate") -> None:
        """`immediate` is a crash as far as clients can tell: every connection drops at once."""
        self._run(_bin("pg_ctl"), "-D", str(self.data), "-m", mode, "-w", "-t", "60", "stop", timeout=90)

    def create_database(self, name: str) -> str:
        asyncio.run(admin(self.url(), f'DROP DATABASE IF EXISTS "{name}"', f'CREATE DATABASE "{name}"'))
        return self.url(name)


@contextlib.contextmanager
def private_postgres() -> Iterator[PrivatePostgres]:
    folder = Path(tempfile.mkdtemp(prefix="tiepdan-pg-"))
    if os.geteuid() == 0:
        user = pwd.getpwnam(OWNER)
        os.chown(folder, user.pw_uid, user.pw_gid)
    folder.chmod(0o700)
    cluster = PrivatePostgres(folder, free_port())
    try:
        cluster.init()
        cluster.start()
        yield cluster
    finally:
        with contextlib.suppress(Exception):
            cluster.stop("fast")
        shutil.rmtree(folder, ignore_errors=True)
