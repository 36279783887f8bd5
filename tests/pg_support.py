"""A real, throwaway PostgreSQL server and registry server processes for the registry tests and bench
(issue 14 §1).

:class:`PostgresServer` runs ``initdb`` on a fresh temporary folder and starts ``postgres`` on a Unix socket in
that folder only (``listen_addresses=''``: no TCP port, so parallel runs never collide), trust authentication,
fsync off (a throwaway cluster). The binaries are Debian's ``postgresql`` package
(``/usr/lib/postgresql/<version>/bin``, the highest version found; ``$PG_BIN`` overrides). PostgreSQL refuses
to run as root: as root the server runs as the ``postgres`` OS user (made by the Debian package; ``nobody``
when there is none) through ``runuser -u <user> --``, the folder chowned to it.

:func:`postgres_or_skip` gives a running server or skips with the reason — except under ``CI``, where a
PostgreSQL that cannot start fails the test (CI installs it: ``make system-deps``).
"""

import glob
import http.client
import os
import pwd
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

import pytest

try:
    import psycopg
except ImportError:  # the registry extra is not installed: postgres_or_skip says so
    psycopg = None


def pg_bin():
    """The folder of ``initdb``/``postgres``: ``$PG_BIN``, else the newest ``/usr/lib/postgresql/*/bin``, else
    ``None``."""
    if os.environ.get("PG_BIN"):
        return Path(os.environ["PG_BIN"])
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"), key=lambda p: int(Path(p).parts[-3])
                   if Path(p).parts[-3].isdigit() else 0)
    return Path(found[-1]).parent if found else None


def _run_as():
    """The OS user to run PostgreSQL as: ``None`` (ourselves) unless we are root."""
    if os.geteuid() != 0:
        return None
    for name in ("postgres", "nobody"):
        try:
            pwd.getpwnam(name)
            return name
        except KeyError:
            continue
    raise RuntimeError("running as root and there is no postgres or nobody user to run PostgreSQL as")


class PostgresServer:
    """``initdb`` + ``postgres`` in a temporary folder; :meth:`url` makes a database, :meth:`stop` ends it all.

    Args:
        bin_dir: the PostgreSQL binaries (:func:`pg_bin`).
        fsync: ``False`` (default, tests) or ``True`` (the bench: commits as durable as in production).
    """

    def __init__(self, bin_dir=None, fsync=False):
        self.bin = Path(bin_dir or pg_bin() or "")
        if not (self.bin / "initdb").exists():
            raise RuntimeError("PostgreSQL is not installed (no /usr/lib/postgresql/*/bin/initdb; "
                               "apt-get install postgresql, or set PG_BIN)")
        self.user = _run_as()
        self.dir = Path(tempfile.mkdtemp(prefix="resale-pg-"))
        self.data = self.dir / "data"
        self.port = 5432  # only names the socket file in self.dir: nothing listens on TCP
        self.process = None
        if self.user:
            shutil.chown(self.dir, self.user)
        try:
            self._sh([self.bin / "initdb", "-D", self.data, "-U", "postgres", "--auth=trust", "--encoding=UTF8",
                      "--locale=C.UTF-8", "--no-sync"], timeout=120)
            options = ["-c", "listen_addresses=", "-c", f"unix_socket_directories={self.dir}", "-p", str(self.port),
                       "-c", "max_connections=200", "-c", "shared_buffers=32MB"]
            if not fsync:
                options += ["-c", "fsync=off", "-c", "synchronous_commit=off", "-c", "full_page_writes=off"]
            command = [str(self.bin / "postgres"), "-D", str(self.data), *options]
            if self.user:
                command = ["runuser", "-u", self.user, "--", *command]
            self.log = open(self.dir / "postgres.log", "ab")  # noqa: SIM115 -- open for the server's life
            self.process = subprocess.Popen(command, stdout=self.log, stderr=subprocess.STDOUT)
            self._wait_ready()
        except BaseException:
            self.stop()
            raise

    def _sh(self, command, timeout=60):
        command = [str(c) for c in command]
        if self.user:
            command = ["runuser", "-u", self.user, "--", *command]
        done = subprocess.run(command, check=False, capture_output=True, text=True, timeout=timeout)
        if done.returncode != 0:
            raise RuntimeError(f"{' '.join(command[:4])} … failed: {(done.stderr or done.stdout)[-800:]}")
        return done

    def _wait_ready(self, seconds=60):
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError("postgres exited: " + (self.dir / "postgres.log").read_text(errors="replace")[-800:])
            ready = subprocess.run([str(self.bin / "pg_isready"), "-h", str(self.dir), "-p", str(self.port), "-q"],
                                   check=False, capture_output=True)
            if ready.returncode == 0:
                return
            time.sleep(0.1)
        raise RuntimeError("postgres did not become ready in time")

    def dsn(self, database="postgres"):
        """A libpq URL of ``database`` on this server (Unix socket, user ``postgres``)."""
        return f"postgresql://postgres@/{database}?host={self.dir}&port={self.port}"

    def url(self):
        """Create a fresh, empty database and return its URL (``postgresql://…``)."""
        name = "t_" + uuid.uuid4().hex[:16]
        with psycopg.connect(self.dsn(), autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')
        return self.dsn(name)

    def stop(self):
        """Stop the server (fast shutdown) and delete its folder."""
        if self.process and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(10)
        if getattr(self, "log", None):
            self.log.close()
        shutil.rmtree(self.dir, ignore_errors=True)


def postgres_or_skip():
    """A running :class:`PostgresServer`; without PostgreSQL or psycopg: skip with the reason, but under
    ``CI`` fail (the registry must be tested on both back ends there)."""
    if psycopg is None:
        reason = "psycopg is not installed (pip install 'psycopg[binary]', the registry extra)"
    else:
        try:
            return PostgresServer()
        except (RuntimeError, OSError, subprocess.SubprocessError) as exc:
            reason = f"PostgreSQL could not start: {exc}"
    if os.environ.get("CI"):
        pytest.fail(f"{reason} — in CI the registry tests must run on PostgreSQL too")
    pytest.skip(reason)


ROOT = Path(__file__).resolve().parent.parent


class RegistryProcess:
    """``resale-pos registry serve`` (waitress) in its own OS process on a free loopback port, on the database
    at ``database_url`` (several of them on one database: the load-balanced set-up of ``docs/registry.md``).

    Args:
        folder: its instance folder (each process its own: they share nothing but the database).
        database_url: ``postgresql://…`` or ``sqlite:///…``.
        threads: waitress threads.
    """

    def __init__(self, folder, database_url, threads=8, port=None):
        self.port = port or _free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log_path = Path(folder).with_suffix(".log")
        self.log = open(self.log_path, "ab")  # noqa: SIM115 -- open for the process's life
        self.process = subprocess.Popen(
            [sys.executable, "-m", "cli", "registry", "serve", "--instance", str(folder), "--database-url",
             database_url, "--port", str(self.port), "--threads", str(threads)],
            cwd=ROOT, env={**os.environ, "PYTHONPATH": str(ROOT)}, stdout=self.log, stderr=subprocess.STDOUT)

    def wait_ready(self, seconds=120):
        """Wait until ``GET /healthz`` answers 200 (the process has migrated and listens); returns self.

        Raises:
            RuntimeError: the process exited or did not answer in time (its log is in the message).
        """
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError("registry process exited: " + self.log_path.read_text(errors="replace")[-2000:])
            try:
                conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=2)
                conn.request("GET", "/healthz")
                if conn.getresponse().status == 200:
                    conn.close()
                    return self
                conn.close()
            except OSError:
                pass
            time.sleep(0.2)
        log = self.log_path.read_text(errors="replace")[-2000:]
        raise RuntimeError("registry process did not answer in time: " + log)

    def stop(self):
        """Stop the process (SIGTERM, then SIGKILL after 15 s)."""
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(10)
        self.log.close()


def _free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]
