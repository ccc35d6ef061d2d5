"""A PostgreSQL server of a test's own, to stop and start at will (``initdb`` and ``pg_ctl``
in a temporary directory, on a free port), so that restarting it disturbs no other test
using the shared server of :mod:`tests.postgres`.

PostgreSQL refuses to run as root: when the tests run as root, the server runs as the
``postgres`` account (``runuser``). Without the server binaries, or without a way to run
them, the test is skipped saying why (it fails instead under ``GONGKAI_REQUIRE_POSTGRES=1``).
"""

from __future__ import annotations

import os
import pwd
import shutil
import subprocess
import tempfile
import time
from pathlib import Path
from typing import NoReturn

import pytest
from postgres import REQUIRED

BIN_DIRS = [Path(p) for p in os.environ.get("GONGKAI_PG_BIN", "").split(os.pathsep) if p] + [
    *sorted(Path("/usr/lib/postgresql").glob("*/bin"), reverse=True)
]


def _bin() -> Path | None:
    for where in BIN_DIRS:
        if (where / "initdb").exists() and (where / "pg_ctl").exists():
            return where
    found = shutil.which("initdb")
    return Path(found).parent if found else None


def _skip(why: str) -> NoReturn:
    message = f"private PostgreSQL server unavailable: {why}"
    if REQUIRED:
        pytest.fail(message + " (GONGKAI_REQUIRE_POSTGRES=1)")
    pytest.skip(message)


class PrivateServer:
    """One throw-away cluster: :meth:`start`, :meth:`stop`, :meth:`close` (removes it)."""

    def __init__(self, port: int) -> None:
        where = _bin()
        if where is None:
            _skip("no initdb/pg_ctl (install postgresql, or set GONGKAI_PG_BIN)")
        self.bin = where
        self.port = port
        self.prefix: list[str] = []
        self.dir = Path(tempfile.mkdtemp(prefix="gongkai-pg-"))
        if os.geteuid() == 0:  # the server will not run as root
            runuser = shutil.which("runuser")
            try:
                account = pwd.getpwnam("postgres")
            except KeyError:
                account = None
            if runuser is None or account is None:
                self.close()
                _skip("running as root without runuser and a postgres account")
            self.prefix = [runuser, "-u", "postgres", "--"]
            os.chown(self.dir, account.pw_uid, account.pw_gid)
        self.data = self.dir / "cluster"
        self.log = self.dir / "server.log"
        done = self._run(
            "initdb", "-D", str(self.data), "-U", "gongkai", "--auth=trust", "-E", "UTF8",
            "--locale=C.UTF-8", "--no-sync",
        )  # fmt: skip
        if done.returncode != 0:
            self.close()
            _skip(f"initdb failed: {done.stderr.strip().splitlines()[-1:]}")

    @property
    def url(self) -> str:
        return f"postgresql://gongkai@127.0.0.1:{self.port}/postgres"

    def _run(self, tool: str, *args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [*self.prefix, str(self.bin / tool), *args],
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
            cwd=self.dir,
        )

    def start(self) -> None:
        options = f"-p {self.port} -k {self.dir} -c listen_addresses=127.0.0.1 -c fsync=off"
        done = self._run(
            "pg_ctl", "start", "-w", "-D", str(self.data), "-l", str(self.log), "-o", options
        )
        assert done.returncode == 0, done.stderr + self.log.read_text(errors="replace")[-2000:]

    def stop(self, mode: str = "fast") -> None:
        """``fast``: sessions are ended (what a restart does); ``immediate``: a crash."""
        self._run("pg_ctl", "stop", "-w", "-D", str(self.data), "-m", mode)

    def running(self) -> bool:
        return self._run("pg_ctl", "status", "-D", str(self.data)).returncode == 0

    def close(self) -> None:
        if (self.dir / "cluster" / "postmaster.pid").exists():
            self.stop("immediate")
            time.sleep(0.2)
        shutil.rmtree(self.dir, ignore_errors=True)
