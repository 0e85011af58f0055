"""A throwaway PostgreSQL server for the test session: initdb + pg_ctl in a temp dir.

As root, initdb and pg_ctl refuse to run, so they run as the `postgres` user.
"""
import glob
import os
import shutil
import socket
import subprocess
import tempfile
import time


def find_bindir() -> str | None:
    for candidate in sorted(glob.glob("/usr/lib/postgresql/*/bin"), reverse=True):
        if os.path.exists(os.path.join(candidate, "initdb")):
            return candidate
    return None


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class TempPostgres:
    def __init__(self, bindir: str, settings: dict | None = None):
        """`settings`: extra server settings, e.g. {"shared_buffers": "512MB"} (bench/)."""
        self.bindir = bindir
        self.settings = dict(settings or {})
        self.dir = tempfile.mkdtemp(prefix="gridgov-pg-")
        self.port = _free_port()
        self.as_root = os.geteuid() == 0

    def _run(self, *args):
        command = list(args)
        if self.as_root:
            command = ["runuser", "-u", "postgres", "--", *command]
        subprocess.run(command, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)

    def start(self) -> str:
        data = os.path.join(self.dir, "data")
        if self.as_root:
            shutil.chown(self.dir, "postgres", "postgres")
        self._run(os.path.join(self.bindir, "initdb"), "-D", data, "-A", "trust",
                  "-U", "postgres", "-E", "UTF8", "--no-sync", "--locale=C.UTF-8")
        options = (f"-p {self.port} -k {self.dir} -c listen_addresses=127.0.0.1 "
                   "-c fsync=off -c synchronous_commit=off -c full_page_writes=off "
                   "-c max_connections=200")
        options += "".join(f" -c {name}={value}" for name, value in self.settings.items())
        self._run(os.path.join(self.bindir, "pg_ctl"), "-D", data, "-o", options,
                  "-l", os.path.join(self.dir, "log"), "-w", "start")
        deadline = time.time() + 20
        while time.time() < deadline:
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=1).close()
                break
            except OSError:
                time.sleep(0.1)
        return f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/postgres"

    def stop(self) -> None:
        try:
            self._run(os.path.join(self.bindir, "pg_ctl"), "-D",
                      os.path.join(self.dir, "data"), "-m", "immediate", "stop")
        finally:
            shutil.rmtree(self.dir, ignore_errors=True)
