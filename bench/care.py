"""巡访 at a county's scale (issue 14): the reads the register's pages, the worker's phone and
the dashboards make, timed in process on a filled SQLite database (or PostgreSQL).

    .venv/bin/python bench/care.py                       # 5,000 people, a year of visits
    .venv/bin/python bench/care.py --people 20000
    .venv/bin/python bench/care.py --database-url postgresql+psycopg://USER:PASS@127.0.0.1/DB

Fills bench/out/care-<N>.sqlite3 once (the demo county without cases, then N elderly spread
over its 22 grids, each visited on schedule for a year — a tenth of the visits a few days
late), then, warm, runs each read five times and prints the median and the slowest in ms.
"""
import argparse
import os
import random
import statistics
import subprocess
import sys
import time
from datetime import date, datetime, timedelta, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
FLASK = [str(ROOT / ".venv" / "bin" / "flask"), "--app", "wsgi"]


def timed(name: str, work, runs: int = 5, cold: bool = False) -> None:
    """`cold`: the app's cache emptied before each run (coverage computed afresh)."""
    from core.extensions import cache
    work()  # warm
    spent = []
    for _ in range(runs):
        if cold:
            cache.clear()
        started = time.perf_counter()
        work()
        spent.append((time.perf_counter() - started) * 1000)
    print(f"| {name} | {statistics.median(spent):.0f} | {max(spent):.0f} |", flush=True)


def fill(app, people: int, today: date) -> None:
    from sqlalchemy import func, insert, select

    from auth.models import User
    from care.models import CarePerson, CareVisit
    from care.schedule import next_due
    from care.services import intervals, refresh_due
    from core.database import write_transaction
    from core.extensions import db
    from grid.models import Grid, GridMember
    with app.app_context():
        if db.session.scalar(select(func.count()).select_from(CarePerson)):
            return
        rng = random.Random(20261203)
        grids = db.session.execute(select(Grid.id, Grid.town_id, Grid.min_lat, Grid.min_lon)).all()
        workers = dict(db.session.execute(select(GridMember.grid_id, GridMember.user_id)
                                          .join(User)).all())
        table = intervals()
        now = datetime.now(timezone.utc)
        with write_transaction():
            rows = []
            for n in range(people):
                grid = grids[n % len(grids)]
                rows.append({"grid_id": grid.id, "town_id": grid.town_id, "name": f"老人{n}",
                             "birth_year": 1940, "address": "村", "lat": grid.min_lat,
                             "lon": grid.min_lon, "phone": "", "guardian_name": "",
                             "guardian_phone": "", "guardian_relation": "", "living": "alone",
                             "risk": rng.choice(("high", "medium", "medium", "low")),
                             "notes": "", "left_reason": "", "version": 1,
                             "registered_on": today - timedelta(days=400),
                             "created_at": now, "updated_at": now})
            db.session.execute(insert(CarePerson.__table__), rows)
        with write_transaction():
            visits = []
            for person in db.session.scalars(select(CarePerson)):
                anchor = person.registered_on
                while True:
                    day = next_due(anchor, table[person.risk]) + timedelta(
                        days=rng.choice((-1, 0, 0, 0, 0, 0, 0, 0, 0, 3)))
                    if day >= today:
                        break
                    visits.append({"person_id": person.id, "grid_id": person.grid_id,
                                   "user_id": workers[person.grid_id], "kind": "visit",
                                   "visited_at": now, "visited_on": day, "checks": {},
                                   "needs": "", "photo_consent": False, "created_at": now,
                                   "key": f"b{person.id}-{day}"})
                    person.last_visit_on = anchor = day
            for start in range(0, len(visits), 20000):
                db.session.execute(insert(CareVisit.__table__), visits[start:start + 20000])
            refresh_due(db.session.scalars(select(CarePerson)).all())
        print(f"  {people:,} people, {len(visits):,} visits", flush=True)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--people", type=int, default=5000)
    parser.add_argument("--database-url")
    options = parser.parse_args()
    out = ROOT / "bench" / "out"
    out.mkdir(parents=True, exist_ok=True)
    path = out / f"care-{options.people}.sqlite3"
    env = {**os.environ, "DATABASE_URL": options.database_url or f"sqlite:///{path}",
           "GRIDGOV_INSTANCE": str(out / "instance"), "UPLOAD_DIR": str(out / "up")}
    if options.database_url or not path.exists():
        for cmd in (["db", "upgrade"], ["calendar", "seed"],
                    ["seed-demo", "--if-empty", "--password", "bench-pass-1", "--cases", "0"]):
            subprocess.run(FLASK + cmd, env=env, cwd=ROOT, check=True,
                           stdout=subprocess.DEVNULL)
    os.environ.update(env)
    from sqlalchemy import select

    from auth.models import User
    from care import services
    from care.coverage import coverage
    from core import clock, create_app
    from core.extensions import db
    from dashboard import board
    from dashboard.stats import Period
    app = create_app()
    now = clock.utcnow()
    today = now.astimezone().date()
    fill(app, options.people, today)
    with app.test_request_context():
        lead = db.session.scalar(select(User).where(User.username == "supervisor"))
        worker = db.session.scalar(select(User).where(User.username == "worker"))
        year = Period(today - timedelta(days=364), today)
        month = Period(today - timedelta(days=29), today)
        print(f"\n{options.people:,} people, warm, ms\n")
        print("| read | median | slowest |\n|---|---|---|")
        for cold, kept in ((True, "computed"), (False, "kept in the cache")):
            timed(f"coverage: the county, last 30 days ({kept})",
                  lambda: coverage(month.first, month.last, today), cold=cold)
            timed(f"coverage: the county, last 365 days ({kept})",
                  lambda: coverage(year.first, year.last, today), cold=cold)
            timed(f"units table with the duties: each town, last 365 days ({kept})",
                  lambda: board.units(lead, {}, year, now), cold=cold)
            timed(f"units table with the duties: one town's grids, last 30 days ({kept})",
                  lambda: board.units(lead, {"town": "220221101000"}, month, now), cold=cold)
        timed("worker's due list (one grid)", lambda: services.due(worker, today))


if __name__ == "__main__":
    main()
