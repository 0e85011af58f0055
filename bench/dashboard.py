"""The supervisors' reads at scale (issue 11): the figures, the rankings, the map's counts,
the units table and the wall's answer, timed in process on a filled SQLite database.

    .venv/bin/python bench/dashboard.py                  # 1,000,000 cases
    .venv/bin/python bench/dashboard.py --cases 100000

    .venv/bin/python bench/dashboard.py --database-url postgresql+psycopg://USER:PASS@127.0.0.1/DB

Fills bench/out/dash-<N>.sqlite3 (or an empty PostgreSQL database) once with `seed-demo
--cases 0` and `bench-data` (two years of cases in the demo county's two towns, counted into
the rollups at the end; kept for the next run), then, warm, runs each read five times as the
county's supervisor and prints the median and the slowest in ms. The issue's targets: 300 ms
for a county's year, the dashboard, the rankings and the map; 50 ms for a filtered list.
"""
import argparse
import os
import statistics
import subprocess
import sys
import time
from datetime import date
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
FLASK = [str(ROOT / ".venv" / "bin" / "flask"), "--app", "wsgi"]


def fill(path: Path | None, cases: int, env: dict) -> None:
    """Fill the database once: a SQLite file that does not exist yet, or a PostgreSQL
    database (`path` None) with no case in it."""
    def upgrade():  # filled before: brought to the latest schema
        subprocess.run(FLASK + ["db", "upgrade"], env=env, cwd=ROOT, check=True,
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    if path is not None and path.exists():
        return upgrade()
    if path is None:
        from sqlalchemy import create_engine, inspect, text
        engine = create_engine(env["DATABASE_URL"])
        with engine.connect() as conn:
            filled = inspect(conn).has_table("event") and conn.scalar(
                text("SELECT count(*) FROM event"))
        engine.dispose()
        if filled:
            return upgrade()
    (ROOT / "bench" / "out").mkdir(parents=True, exist_ok=True)
    for cmd in (["db", "upgrade"], ["calendar", "seed"],
                ["seed-demo", "--password", "bench-pass-1", "--cases", "0"],
                ["bench-data", "--cases", str(cases)]):
        started = time.monotonic()
        subprocess.run(FLASK + cmd, env=env, cwd=ROOT, check=True, stdout=subprocess.DEVNULL)
        print(f"  {' '.join(cmd[:1])}: {time.monotonic() - started:.0f} s", flush=True)


def timed(name: str, work, runs: int = 5) -> None:
    work()  # warm
    spent = []
    for _ in range(runs):
        started = time.perf_counter()
        work()
        spent.append((time.perf_counter() - started) * 1000)
    print(f"| {name} | {statistics.median(spent):.0f} | {max(spent):.0f} |", flush=True)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--cases", type=int, default=1_000_000)
    parser.add_argument("--database-url", help="a PostgreSQL database to fill (once) and read "
                        "instead of bench/out/dash-<N>.sqlite3, e.g. postgresql+psycopg://…@127.0.0.1/…")
    options = parser.parse_args()
    out = ROOT / "bench" / "out"
    path = None if options.database_url else out / f"dash-{options.cases}.sqlite3"
    env = {**os.environ, "DATABASE_URL": options.database_url or f"sqlite:///{path}",
           "GRIDGOV_INSTANCE": str(out / "instance"), "UPLOAD_DIR": str(out / "up")}
    print(f"filling {path.name if path else 'the PostgreSQL database'} (once)…", flush=True)
    fill(path, options.cases, env)
    os.environ.update(env)
    from sqlalchemy import select

    from auth.models import User
    from core import clock, create_app
    from core.extensions import db
    from dashboard import board
    from dashboard.rankings import rank_towns
    from dashboard.stats import Period, figures
    from dashboard.wall import grid_counts, wall_data
    from events.filters import read_page
    app = create_app()
    with app.test_request_context():
        lead = db.session.scalar(select(User).where(User.username == "supervisor"))
        now = clock.utcnow()
        today = now.date()
        year = Period(date(today.year, 1, 1), today)
        month = Period(today.replace(day=1), today)
        print(f"\n{options.cases:,} cases, the county's supervisor, warm, ms\n")
        print("| read | median | slowest |\n|---|---|---|")
        timed("figures: county, this year", lambda: figures(lead, {}, year, now))
        timed("figures: county, this month", lambda: figures(lead, {}, month, now))
        timed("figures: one town, this year",
              lambda: figures(lead, {"town": "220221101000"}, year, now))
        timed("rankings: 省级, this year (and last)",
              lambda: rank_towns(lead, "provincial", str(today.year), now))
        timed("map: each grid's counts, this month", lambda: grid_counts(lead, {}, month, now))
        timed("units table: each town, this year", lambda: board.units(lead, {}, year, now))
        timed("trend: this month by day", lambda: board.trend(lead, {}, month, now))
        timed("filtered list: one grid, overdue, first page",
              lambda: read_page(lead, {"grid": "220221101000001", "overdue": True}, "urgency",
                                None, 20))
        timed("wall answer", lambda: wall_data(lead, {}, today, now))
        from dashboard.wall import case_pins
        from grid.models import Grid
        centre = db.session.execute(select(Grid.centroid_lat, Grid.centroid_lon)
                                    .order_by(Grid.code).limit(1)).one()
        view = (centre[0] - 0.01, centre[1] - 0.01, centre[0] + 0.01, centre[1] + 0.01)
        timed("map pins: the open cases of a zoomed-in view",
              lambda: case_pins(lead, {}, view, now))
    import re
    client = app.test_client()
    form = client.get("/login").get_data(as_text=True)
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', form)
    client.post("/login", data={"username": "supervisor", "password": "bench-pass-1",
                                **({"csrf_token": token.group(1)} if token else {})})

    def page(url):
        answer = client.get(url)
        assert answer.status_code == 200, answer.status_code
    timed("dashboard page (whole request): county, this month",
          lambda: page("/dashboard?period=month"))
    timed("dashboard page (whole request): county, this year",
          lambda: page("/dashboard?period=year"))


if __name__ == "__main__":
    main()
