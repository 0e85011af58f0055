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
import random
import statistics
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
from bench.faultstack import PASSWORD, Stack, faults  # noqa: E402
KINDS = {"create": 3, "list": 3, "detail": 4, "dispatch": 2, "resident": 2, "open311": 2}
RETRIES = 40


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
