"""The supervisors' reads at scale (issue 11): the figures, the rankings, the map's counts,
the units table and the wall's answer, timed in process on a filled SQLite database.

    .venv/bin/python bench/dashboard.py                  # 1,000,000 cases
    .venv/bin/python bench/dashboard.py --cases 100000

Fills bench/out/dash-<N>.sqlite3 once with `seed-demo --cases 0` and `bench-data` (two
years of cases in the demo county's two towns; kept for the next run), then, warm, runs each
read five times as the county's supervisor and prints the median and the slowest in ms.
The figures are read live from the cases (no rollups yet): this measures how far the live
queries are from the issue's targets (300 ms for a county's year, the rankings and the map).
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


def fill(path: Path, cases: int, env: dict) -> None:
    if path.exists():
        return
    path.parent.mkdir(parents=True, exist_ok=True)
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
    options = parser.parse_args()
    path = ROOT / "bench" / "out" / f"dash-{options.cases}.sqlite3"
    env = {**os.environ, "DATABASE_URL": f"sqlite:///{path}",
           "GRIDGOV_INSTANCE": str(path.parent / "instance"), "UPLOAD_DIR": str(path.parent / "up")}
    print(f"filling {path.name} (once)…", flush=True)
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


if __name__ == "__main__":
    main()
