"""Escalation sweep at scale: 1,000,000 cases, 10,000 due, on SQLite and PostgreSQL.

    .venv/bin/python bench/escalation.py [--cases 1000000] [--due 10000] [--backend sqlite|postgresql|both]
                                         [--shared-buffers 512MB] [--durable]

Fills a fresh database per backend with `flask --app wsgi bench-data`, then reports:
the sweep with nothing due (and its query plan), the sweep of the due cases, and the
sweep after the scheduler was down for three days. Prints figures; asserts nothing.
"""
import argparse
import os
import statistics
import subprocess
import sys
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
NOW = datetime(2026, 11, 27, 2, 0, tzinfo=timezone.utc)  # Friday 10:00 in Shanghai


def flask(url, *args):
    env = {**os.environ, "DATABASE_URL": url, "GRIDGOV_INSTANCE": str(ROOT / "bench" / "out")}
    subprocess.run([sys.executable, "-m", "flask", "--app", "wsgi", *args], cwd=ROOT, env=env,
                   check=True, stdout=subprocess.DEVNULL)


def prepare(url, cases, due):
    started = time.perf_counter()
    flask(url, "db", "upgrade")
    flask(url, "seed-demo", "--cases", "0", "--password", "bench-password")
    flask(url, "bench-data", "--cases", str(cases), "--due", str(due), "--now", NOW.isoformat())
    return time.perf_counter() - started


def measure(url):
    from sqlalchemy import func, select, text

    from core import create_app
    from core.extensions import db
    from events.models import Event
    from events.sweep import escalate_due

    app = create_app({"SQLALCHEMY_DATABASE_URI": url,
                      "UPLOAD_DIR": ROOT / "bench" / "out" / "uploads"})
    with app.app_context():
        dialect = db.engine.dialect.name
        total = db.session.scalar(select(func.count()).select_from(Event))
        settings = ""
        if dialect == "postgresql":
            settings = ", ".join(
                f"{name} {db.session.scalar(text(f'SHOW {name}'))}" for name in
                ("server_version", "shared_buffers", "fsync", "synchronous_commit",
                 "full_page_writes"))
            db.session.execute(text("ANALYZE"))
            db.session.commit()
        idle = NOW - timedelta(hours=1)
        escalate_due(idle)  # warm caches
        times = []
        for _ in range(20):
            started = time.perf_counter()
            report = escalate_due(idle)
            times.append(time.perf_counter() - started)
            assert report.cases == 0
        query = select(Event.id).where(Event.next_escalation_at <= idle) \
            .order_by(Event.next_escalation_at).limit(1000)
        compiled = query.compile(db.engine, compile_kwargs={"literal_binds": True})
        explain = "EXPLAIN QUERY PLAN " if dialect == "sqlite" else "EXPLAIN "
        plan = [" ".join(str(c) for c in row) for row in
                db.session.execute(text(explain + str(compiled))).all()]
        db.session.rollback()

        started = time.perf_counter()
        due_report = escalate_due(NOW)
        due_seconds = time.perf_counter() - started

        later = NOW + timedelta(days=3)
        started = time.perf_counter()
        down_report = escalate_due(later)
        down_seconds = time.perf_counter() - started
    return {"dialect": dialect, "settings": settings, "rows": total,
            "idle_ms": statistics.median(times) * 1000,
            "idle_max_ms": max(times) * 1000, "plan": plan,
            "due": due_report, "due_s": due_seconds,
            "down": down_report, "down_s": down_seconds}


def show(result, fill_seconds):
    due, down = result["due"], result["down"]
    print(f"\n== {result['dialect']}: {result['rows']:,} cases (filled in {fill_seconds:.0f} s)")
    if result["settings"]:
        print(f"  {result['settings']}")
    print(f"sweep, nothing due: median {result['idle_ms']:.2f} ms, max {result['idle_max_ms']:.2f} ms")
    print("  plan: " + " | ".join(result["plan"]))
    print(f"sweep, {due.cases:,} due: {result['due_s']:.2f} s — {due.steps:,} steps, "
          f"{due.steps / result['due_s']:,.0f} escalations/s, {due.notifications:,} notifications")
    print(f"after 3 days down: {down.cases:,} cases, {down.steps:,} steps in "
          f"{result['down_s']:.2f} s — {down.steps / result['down_s']:,.0f} escalations/s "
          f"({down.cases / result['down_s']:,.0f} cases/s), {down.notifications:,} notifications")


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--cases", type=int, default=1_000_000)
    parser.add_argument("--due", type=int, default=10_000)
    parser.add_argument("--backend", choices=("sqlite", "postgresql", "both"), default="both")
    parser.add_argument("--shared-buffers", default="512MB",
                        help="PostgreSQL shared_buffers (bench/README.md says why not 128MB)")
    parser.add_argument("--durable", action="store_true",
                        help="PostgreSQL with fsync, synchronous_commit and full_page_writes on "
                             "(the test cluster runs with them off)")
    args = parser.parse_args()
    out = ROOT / "bench" / "out"
    out.mkdir(parents=True, exist_ok=True)
    if args.backend in ("sqlite", "both"):
        path = out / "escalation.sqlite3"
        for suffix in ("", "-wal", "-shm"):
            Path(f"{path}{suffix}").unlink(missing_ok=True)
        url = f"sqlite:///{path}"
        fill = prepare(url, args.cases, args.due)
        show(measure(url), fill)
    if args.backend in ("postgresql", "both"):
        from sqlalchemy import create_engine, text

        from tests.pgserver import TempPostgres, find_bindir
        settings = {"shared_buffers": args.shared_buffers}
        if args.durable:
            settings.update(fsync="on", synchronous_commit="on", full_page_writes="on")
        server = TempPostgres(find_bindir(), settings)
        base = server.start()
        try:
            engine = create_engine(base, isolation_level="AUTOCOMMIT")
            with engine.connect() as conn:
                conn.execute(text("CREATE DATABASE bench"))
            engine.dispose()
            url = base.rsplit("/", 1)[0] + "/bench"
            fill = prepare(url, args.cases, args.due)
            show(measure(url), fill)
        finally:
            server.stop()


if __name__ == "__main__":
    main()
