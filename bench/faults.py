"""Mixed load with faults (issue 13): production's processes under 64 connections for 60 s
while they are killed, then a count of what was acknowledged against what is stored.

    .venv/bin/python bench/faults.py                          # SQLite, with faults
    .venv/bin/python bench/faults.py --database postgresql    # a throwaway PostgreSQL 15
    .venv/bin/python bench/faults.py --no-faults --seconds 30

The stack is production's: gunicorn with deploy/gunicorn.conf.py (4 workers), the one
scheduler (`flask scheduler`, a round a second), Redis for the rate limits, an SMTP server
in this process for the e-mails, the app behind a proxy (PROXY_FIX_HOPS=1: each resident
report comes from its own phone's address). The load, from --connections threads:
creates by grid workers (Idempotency-Key), lists and case reads by the dispatcher,
dispatches (派遣) of the cases created, residents' reports with a photo (their form
token is the key), Open311 GETs. A request that fails — connection cut, 502/503 — is
retried with the same key, as the field app does; every status is counted.

Faults (unless --no-faults), at fixed times: kill -9 of one gunicorn worker, of the
gunicorn master (and every worker: then started again, as systemd's Restart=always
does), of the scheduler (started again), and on PostgreSQL `pg_ctl restart -m fast`.

Afterwards: every acknowledged create and resident report is stored exactly once (by its
key), every acknowledged dispatch is logged exactly once, no case lacks its first log,
the scheduler catches up (/healthz 200) and the outbox delivers every e-mail once.
Prints p50/p99 per kind and the reconciliation; writes bench/out/faults-<database>.json.
Talks to 127.0.0.1 only.
"""
import argparse
import io
import json
import os
import random
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections import Counter, defaultdict
from pathlib import Path

import requests
from PIL import Image
from sqlalchemy import create_engine, text

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from tests.pgserver import TempPostgres, _free_port, find_bindir  # noqa: E402
from tests.redisserver import TempRedis, find_redis  # noqa: E402

BIN = ROOT / ".venv" / "bin"
PASSWORD = "bench-faults-1"
KINDS = {"create": 3, "list": 3, "detail": 4, "dispatch": 2, "resident": 2, "open311": 2}
RETRIES = 40


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


def jpeg() -> bytes:
    image = Image.effect_noise((800, 600), 40).convert("RGB")
    out = io.BytesIO()
    image.save(out, "JPEG", quality=80)
    return out.getvalue()


class Load:
    def __init__(self, stack: Stack, points: list[str]):
        self.stack, self.points = stack, points
        self.latency = defaultdict(list)
        self.statuses = defaultdict(Counter)
        self.retried = Counter()
        self.gave_up = Counter()
        self.created, self.reported, self.dispatched = {}, set(), set()
        self.undispatched = []
        self.lock = threading.Lock()
        self.photo = jpeg()
        self.tokens = {name: self._token(name) for name in ("worker", "dispatcher")}

    def _token(self, username):
        answer = requests.post(f"{self.stack.base}/api/v1/tokens", timeout=30,
                               json={"username": username, "password": PASSWORD})
        answer.raise_for_status()
        return {"Authorization": f"Bearer {answer.json()['token']}"}

    def _send(self, session, kind, method, path, **kwargs):
        """One request, retried as a phone would (same key) while the server is away;
        returns the answer or None when it never came."""
        for attempt in range(RETRIES):
            begun = time.perf_counter()
            try:
                answer = session.request(method, f"{self.stack.base}{path}", timeout=30,
                                         allow_redirects=False, **kwargs)
            except requests.RequestException:
                with self.lock:
                    self.statuses[kind]["connection error"] += 1
                    self.retried[kind] += 1
                time.sleep(0.25)
                continue
            elapsed = (time.perf_counter() - begun) * 1000
            with self.lock:
                self.statuses[kind][answer.status_code] += 1
            if answer.status_code in (502, 503, 504):
                with self.lock:
                    self.retried[kind] += 1
                time.sleep(0.25)
                continue
            with self.lock:
                self.latency[kind].append(elapsed)
            return answer
        with self.lock:
            self.gave_up[kind] += 1
        return None

    def one(self, session, rng):
        kind = rng.choices(list(KINDS), weights=list(KINDS.values()))[0]
        if kind == "create":
            key = uuid.uuid4().hex
            answer = self._send(session, kind, "POST", "/api/v1/events",
                                headers={**self.tokens["worker"], "Idempotency-Key": key},
                                json={"category_code": "06010", "lat": 43.603 + rng.random() / 500,
                                      "lon": 126.485 + rng.random() / 500,
                                      "description": "压测：垃圾未清运"})
            if answer is not None and answer.status_code == 201:
                with self.lock:
                    self.created[key] = answer.json()["id"]
                    self.undispatched.append(answer.json()["id"])
        elif kind == "list":
            self._send(session, kind, "GET", "/api/v1/events?limit=20",
                       headers=self.tokens["dispatcher"])
        elif kind == "detail":
            with self.lock:
                ids = list(self.created.values())[-200:]
            if ids:
                self._send(session, kind, "GET", f"/api/v1/events/{rng.choice(ids)}",
                           headers=self.tokens["dispatcher"])
        elif kind == "dispatch":
            with self.lock:
                case = self.undispatched.pop() if self.undispatched else None
            if case is not None:
                answer = self._send(session, kind, "POST", f"/api/v1/events/{case}/actions",
                                    headers=self.tokens["dispatcher"], json={"action": "dispatch"})
                if answer is not None and answer.status_code == 200:
                    with self.lock:
                        self.dispatched.add(case)
        elif kind == "resident":
            token = uuid.uuid4().hex
            phone = f"10.{rng.randrange(256)}.{rng.randrange(256)}.{rng.randrange(1, 255)}"
            answer = self._send(session, kind, "POST", f"/q/{rng.choice(self.points)}",
                                headers={"X-Forwarded-For": phone},
                                data={"form_token": token, "category_code": "06010",
                                      "description": "压测：居民随手拍"},
                                files={"photos": ("site.jpg", self.photo, "image/jpeg")})
            if answer is not None and answer.status_code == 303:
                with self.lock:
                    self.reported.add(token)
        else:  # an aggregator among many (each address has its own read limit)
            reader = f"172.16.{rng.randrange(256)}.{rng.randrange(1, 255)}"
            self._send(session, kind, "GET", "/open311/v2/requests.json?service_code=06010",
                       headers={"X-Forwarded-For": reader})

    def run(self, connections: int, seconds: float) -> float:
        deadline = time.monotonic() + seconds

        def client(seed):
            rng, session = random.Random(seed), requests.Session()
            while time.monotonic() < deadline:
                self.one(session, rng)

        threads = [threading.Thread(target=client, args=(n,)) for n in range(connections)]
        started, cpu = time.monotonic(), time.process_time()
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        elapsed = time.monotonic() - started
        #: this process's share of the 2 cores: the load generator competes with the server
        self.client_cpu = round((time.process_time() - cpu) / elapsed * 100)
        return elapsed


def reconcile(stack: Stack, load: Load, before: int) -> dict:
    engine = create_engine(stack.url)
    with engine.connect() as conn:
        def count(sql, **params):
            return conn.execute(text(sql), params).scalar()
        keys = list(load.created)
        stored = dict(conn.execute(text(
            "SELECT idempotency_key, count(*) FROM event WHERE idempotency_scope LIKE 'user:%' "
            "GROUP BY idempotency_key")).all())
        residents = dict(conn.execute(text(
            "SELECT idempotency_key, count(*) FROM event WHERE idempotency_scope LIKE 'qr:%' "
            "GROUP BY idempotency_key")).all())
        dispatch_logs = dict(conn.execute(text(
            "SELECT event_id, count(*) FROM event_log WHERE action = 'dispatch' "
            "GROUP BY event_id")).all())
        result = {
            "acknowledged creates": len(keys),
            "creates stored once": sum(stored.get(k) == 1 for k in keys),
            "acknowledged resident reports": len(load.reported),
            "resident reports stored once": sum(residents.get(k) == 1 for k in load.reported),
            "acknowledged dispatches": len(load.dispatched),
            "dispatches logged once": sum(dispatch_logs.get(c) == 1 for c in load.dispatched),
            "any key stored twice": any(n > 1 for n in [*stored.values(), *residents.values()]),
            "cases without a first log": count(
                "SELECT count(*) FROM event e WHERE NOT EXISTS "
                "(SELECT 1 FROM event_log l WHERE l.event_id = e.id)"),
            "cases added": count("SELECT count(*) FROM event") - before,
        }
    engine.dispose()
    return result


def catch_up(stack: Stack, timeout: float = 120) -> dict:
    """The scheduler back at work and the outbox empty; every e-mail sent once."""
    engine = create_engine(stack.url)
    deadline, healthy = time.time() + timeout, None
    while time.time() < deadline:
        try:
            health = requests.get(f"{stack.base}/healthz", timeout=5)
            healthy = health.status_code
        except requests.RequestException:
            healthy = None
        with engine.connect() as conn:
            pending = conn.execute(text("SELECT count(*) FROM notification WHERE channel = "
                                        "'email' AND status = 'pending'")).scalar()
        if healthy == 200 and pending == 0:
            break
        time.sleep(1)
    with engine.connect() as conn:
        sent = conn.execute(text("SELECT count(*) FROM notification WHERE channel = 'email' "
                                 "AND status = 'sent'")).scalar()
        failed = conn.execute(text("SELECT count(*) FROM notification WHERE channel = 'email' "
                                   "AND status = 'failed'")).scalar()
    engine.dispose()
    time.sleep(3)  # a few more rounds: nothing goes out twice
    return {"/healthz": healthy, "e-mails pending": pending, "e-mails sent": sent,
            "e-mails failed": failed, "e-mails received": len(stack.mails),
            "e-mails received twice": len(stack.mails) - len({m[2] for m in stack.mails})}


def percentile(values, share):
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))] if ordered else None


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawTextHelpFormatter)
    parser.add_argument("--database", choices=("sqlite", "postgresql"), default="sqlite")
    parser.add_argument("--seconds", type=float, default=60)
    parser.add_argument("--connections", type=int, default=64)
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("--cases", type=int, default=10000)
    parser.add_argument("--no-faults", dest="faults", action="store_false")
    args = parser.parse_args()
    workdir = Path(tempfile.mkdtemp(prefix="gridgov-faults-"))
    stack = Stack(args.database, workdir, args.workers)
    try:
        stack.start(args.cases)
        engine = create_engine(stack.url)
        with engine.connect() as conn:
            points = [row[0] for row in conn.execute(text("SELECT token FROM qr_point"))]
            before = conn.execute(text("SELECT count(*) FROM event")).scalar()
        engine.dispose()
        load = Load(stack, points)
        fault_log = []
        injector = threading.Thread(target=faults, args=(stack, args.seconds, fault_log),
                                    daemon=True) if args.faults else None
        if injector:
            injector.start()
        cpu_before = stack.cpu_seconds()
        elapsed = load.run(args.connections, args.seconds)
        cpu_after = stack.cpu_seconds()
        if injector:
            injector.join(timeout=120)
        settled = catch_up(stack)
        report = {
            "database": args.database, "connections": args.connections,
            "seconds": round(elapsed, 1), "workers": args.workers, "faults": fault_log,
            "client_cpu_percent": load.client_cpu,
            # of the processes alive at both ends (a run with faults undercounts the web)
            "web_cpu_percent": round((cpu_after["web"] - cpu_before["web"]) / elapsed * 100),
            "scheduler_cpu_percent": round(
                (cpu_after["scheduler"] - cpu_before["scheduler"]) / elapsed * 100),
            "kinds": {kind: {
                "answered": len(load.latency[kind]),
                "per_s": round(len(load.latency[kind]) / elapsed, 1),
                "p50_ms": round(statistics.median(load.latency[kind]), 1)
                if load.latency[kind] else None,
                "p99_ms": round(percentile(load.latency[kind], 0.99), 1)
                if load.latency[kind] else None,
                "statuses": {str(k): v for k, v in sorted(load.statuses[kind].items(), key=str)},
                "retried": load.retried[kind], "gave up": load.gave_up[kind]}
                for kind in KINDS},
            "reconciliation": reconcile(stack, load, before),
            "after": settled,
        }
    finally:
        stack.stop()
    out = ROOT / "bench" / "out"
    out.mkdir(exist_ok=True)
    (out / f"faults-{args.database}.json").write_text(json.dumps(report, ensure_ascii=False,
                                                                 indent=1))
    print(f"{args.database}: {args.connections} connections, {report['seconds']} s, "
          f"{args.workers} workers; CPU (of 200 %): web {report['web_cpu_percent']} %, "
          f"scheduler {report['scheduler_cpu_percent']} %, "
          f"load generator {report['client_cpu_percent']} %")
    for fault in report["faults"]:
        print(f"  at {fault['at_s']:>5} s  {fault['fault']}")
    print(f"  {'kind':<9}{'answered':>9}{'/s':>8}{'p50 ms':>9}{'p99 ms':>9}{'retried':>9}"
          f"{'gave up':>9}  statuses")
    for kind, row in report["kinds"].items():
        print(f"  {kind:<9}{row['answered']:>9}{row['per_s']:>8}{row['p50_ms'] or '-':>9}"
              f"{row['p99_ms'] or '-':>9}{row['retried']:>9}{row['gave up']:>9}  "
              f"{row['statuses']}")
    for name, value in {**report["reconciliation"], **report["after"]}.items():
        print(f"  {name}: {value}")
    print(f"  logs: {workdir}")


if __name__ == "__main__":
    main()
