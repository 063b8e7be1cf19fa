"""Real servers for the tests that need one: PostgreSQL from Debian's package, on loopback.

`.ci/run` installs the package; on a machine without it the tests that need it skip, saying why.
"""

from __future__ import annotations

import glob
import os
import shutil
import socket
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def postgres_bin() -> Path | None:
    """The folder of PostgreSQL's server programs (Debian keeps them off PATH)."""
    initdb = shutil.which("initdb")
    if initdb:
        return Path(initdb).resolve().parent
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"))
    return Path(found[-1]).parent if found else None


def _as_server_user(command: list[str]) -> list[str]:
    # PostgreSQL refuses to run as root (CI runs as root): run it as Debian's `postgres` user.
    if os.geteuid() == 0:
        return ["runuser", "-u", "postgres", "--", *command]
    return command


def _run(command: list[str]) -> None:
    done = subprocess.run(command, capture_output=True, text=True, timeout=120)
    if done.returncode:
        raise RuntimeError(f"{' '.join(command)} exited {done.returncode}: {done.stderr.strip() or done.stdout}")


@contextmanager
def postgres_server(database: str = "dagster") -> Iterator[str]:
    """A throwaway PostgreSQL cluster on a free loopback port, removed afterwards; yields its URL."""
    binaries = postgres_bin()
    if binaries is None:
        raise FileNotFoundError("PostgreSQL's server programs (Debian package `postgresql`) are not installed")
    # A folder of its own under /tmp: pytest's are private to root, and the server runs as `postgres`.
    folder = Path(tempfile.mkdtemp(prefix="issue-assets-pg-"))
    if os.geteuid() == 0:
        shutil.chown(folder, "postgres")
    data, port = folder / "data", free_port()
    try:
        _run(_as_server_user([str(binaries / "initdb"), "-D", str(data), "-U", "dagster", "-A", "trust",
                              "--no-sync", "-E", "UTF8"]))
        _run(_as_server_user([
            str(binaries / "pg_ctl"), "-D", str(data), "-l", str(folder / "server.log"), "-w", "start", "-o",
            f"-p {port} -c listen_addresses=127.0.0.1 -k {folder} -c fsync=off -c max_connections=100",
        ]))
        try:
            _run(["psql", "-h", "127.0.0.1", "-p", str(port), "-U", "dagster", "-d", "postgres", "-c",
                  f"CREATE DATABASE {database}"])
            yield f"postgresql://dagster@127.0.0.1:{port}/{database}"
        finally:
            subprocess.run(_as_server_user([str(binaries / "pg_ctl"), "-D", str(data), "-m", "fast", "-w",
                                            "stop"]), capture_output=True, timeout=120)
    finally:
        shutil.rmtree(folder, ignore_errors=True)
