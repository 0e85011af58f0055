"""The processes bench/faults.py loads and breaks (issue 13): a database (SQLite, or a
throwaway PostgreSQL 15 cluster, durable), Redis, an SMTP sink, gunicorn with
deploy/gunicorn.conf.py and the one scheduler; and the faults at fixed times of a run."""
import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import requests
from sqlalchemy import create_engine, text

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from tests.pgserver import TempPostgres, _free_port, find_bindir  # noqa: E402
from tests.redisserver import TempRedis, find_redis  # noqa: E402

BIN = ROOT / ".venv" / "bin"
PASSWORD = "bench-faults-1"


class Stack:
    """The database, Redis, an SMTP sink, gunicorn and the scheduler."""

    def __init__(self, database: str, workdir: Path, workers: int):
        self.database, self.workdir, self.workers = database, workdir, workers
        self.pg = self.redis = self.web = self.scheduler = self.smtp = None
        self.mails = []
        self.port = _free_port()
        self.base = f"http://127.0.0.1:{self.port}"

    def start(self, cases: int) -> None:
        if self.database == "postgresql":
            self.pg = TempPostgres(find_bindir(), {"fsync": "on", "synchronous_commit": "on",
                                                   "full_page_writes": "on"})
            server = self.pg.start()
            engine = create_engine(server, isolation_level="AUTOCOMMIT")
            with engine.connect() as conn:
                conn.execute(text("CREATE DATABASE gridgov_faults"))
            engine.dispose()
            self.url = server.rsplit("/", 1)[0] + "/gridgov_faults"
        else:
            self.url = f"sqlite:///{self.workdir / 'faults.sqlite3'}"
        self.redis = TempRedis(find_redis())
        from aiosmtpd.controller import Controller
        from aiosmtpd.handlers import Message
        mails = self.mails

        class Collect(Message):
            def handle_message(self, message):
                mails.append((message["To"], message["Subject"], message["Message-ID"]))

        smtp_port = _free_port()
        self.smtp = Controller(Collect(), hostname="127.0.0.1", port=smtp_port)
        self.smtp.start()
        self.env = {**os.environ, "DATABASE_URL": self.url, "PYTHONPATH": str(ROOT),
                    "GRIDGOV_INSTANCE": str(self.workdir), "UPLOAD_DIR": str(self.workdir / "up"),
                    "RATELIMIT_STORAGE_URI": self.redis.start(), "SECRET_KEY": "faults",
                    "PROXY_FIX_HOPS": "1", "GUNICORN_WORKERS": str(self.workers),
                    "GUNICORN_BIND": f"127.0.0.1:{self.port}", "SCHEDULER_INTERVAL_SECONDS": "1",
                    "SMTP_HOST": "127.0.0.1", "SMTP_PORT": str(smtp_port),
                    "HEALTH_SCHEDULER_SILENCE_SECONDS": "10", "DATABASE_POOL_SIZE": "2",
                    "SQLITE_BUSY_TIMEOUT_MS": "15000"}
        flask = [str(BIN / "flask"), "--app", "wsgi"]
        for command in (["db", "upgrade"], ["calendar", "seed"],
                        ["seed-demo", "--password", PASSWORD, "--cases", "0"],
                        ["bench-data", "--cases", str(cases)]):
            subprocess.run(flask + command, env=self.env, cwd=ROOT, check=True,
                           stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        engine = create_engine(self.url)
        with engine.begin() as conn:  # every user has an address: e-mails flow
            conn.execute(text("UPDATE \"user\" SET email = username || '@county.test'"))
        engine.dispose()
        self.start_web()
        self.start_scheduler()

    def start_web(self) -> None:
        log = open(self.workdir / "web.log", "ab")
        self.web = subprocess.Popen([str(BIN / "gunicorn"), "-c",
                                     str(ROOT / "deploy" / "gunicorn.conf.py"), "wsgi:app"],
                                    cwd=ROOT, env=self.env, stdout=log, stderr=log)
        log.close()
        deadline = time.time() + 60
        while time.time() < deadline:
            try:
                if requests.get(f"{self.base}/healthz/web", timeout=2).status_code == 200:
                    return
            except requests.RequestException:
                time.sleep(0.2)
        raise RuntimeError("gunicorn did not start: see web.log")

    def start_scheduler(self) -> None:
        log = open(self.workdir / "scheduler.log", "ab")
        self.scheduler = subprocess.Popen([str(BIN / "flask"), "--app", "wsgi", "scheduler"],
                                          cwd=ROOT, env=self.env, stdout=log, stderr=log)
        log.close()

    def workers_of_web(self) -> list[int]:
        out = subprocess.run(["pgrep", "-P", str(self.web.pid)], capture_output=True, text=True)
        return [int(pid) for pid in out.stdout.split()]

    def cpu_seconds(self) -> dict:
        """CPU used so far by the web processes alive now and by the scheduler."""
        def used(pid):
            try:
                fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                return 0.0
            return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
        return {"web": sum(used(pid) for pid in [self.web.pid, *self.workers_of_web()]),
                "scheduler": used(self.scheduler.pid)}

    def stop(self) -> None:
        for process in (self.scheduler, self.web):
            if process and process.poll() is None:
                process.terminate()
                try:
                    process.wait(timeout=30)
                except subprocess.TimeoutExpired:
                    process.kill()
        if self.smtp:
            self.smtp.stop()
        if self.redis:
            self.redis.stop()
        if self.pg:
            self.pg.stop()


def faults(stack: Stack, seconds: float, log: list) -> None:
    """The schedule of faults, spread over the run."""
    def at(fraction, what, action):
        delay = started + seconds * fraction - time.monotonic()
        if delay > 0:
            time.sleep(delay)
        log.append({"at_s": round(time.monotonic() - started, 1), "fault": what})
        action()

    def kill_worker():
        os.kill(random.choice(stack.workers_of_web()), signal.SIGKILL)

    def kill_master():
        orphans = stack.workers_of_web()
        stack.web.send_signal(signal.SIGKILL)
        stack.web.wait()
        for pid in orphans:  # what systemd's KillMode=mixed does to the rest of the unit
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        time.sleep(1)  # RestartSec
        stack.start_web()

    def kill_scheduler():
        stack.scheduler.send_signal(signal.SIGKILL)
        stack.scheduler.wait()
        time.sleep(2)
        stack.start_scheduler()

    def restart_postgresql():
        stack.pg._run(os.path.join(stack.pg.bindir, "pg_ctl"), "-D",
                      os.path.join(stack.pg.dir, "data"), "-m", "fast", "-w", "restart")

    started = time.monotonic()
    at(0.15, "kill -9 one gunicorn worker", kill_worker)
    at(0.35, "kill -9 the gunicorn master (and its workers), restarted", kill_master)
    at(0.55, "kill -9 the scheduler, restarted", kill_scheduler)
    if stack.pg:
        at(0.75, "pg_ctl restart -m fast", restart_postgresql)
