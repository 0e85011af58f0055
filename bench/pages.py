"""Every role's pages, one request after another, in process (issue 8): the median time of
each page a role opens — the workbench and its filters, a case, the messages, the field
app, the dashboards, the admin pages — to find the pages that grow with the database.

    .venv/bin/python bench/pages.py                      # bench/scale.py's filled database
    .venv/bin/python bench/pages.py --cases 10000 --roles worker,handler -n 30

Works on a copy of bench/scale.py's filled SQLite database (bench/out/scale-<N>.filled
.sqlite3; run `bench/scale.py --cases N --only lists` once to fill it), migrated to the
code's schema, so logging in and the tokens it issues leave the filled one as it was.
Prints milliseconds per page (the median of -n requests after three warm-up ones); pages
a role may not open are left out.
Asserts nothing; talks to no network (Flask's test client).
"""
import argparse
import os
import re
import shutil
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
ROLES = ("worker", "dispatcher", "handler", "supervisor", "admin")
PASSWORD = "bench-pass-1"
CASE = "<a case of the role>"
PAGES = ("/events", "/events?sort=newest", "/events?overdue=1", "/events?mine=1",
         "/events?mine=1&sort=newest", "/events?q=路灯", "/events?q=灯", "/events?q=2026-00012",
         "/events?phone=13812341234", "/events?supervised=1", "/events?state=closed",
         "/events?sort=newest&state=closed", "/events?sort=oldest&state=filed",
         "/events?sort=newest&category=06010",
         CASE, "/notifications", "/notifications?unread=1", "/field/",
         "/field/patrols", "/field/map", "/dashboard", "/dashboard/rankings", "/dashboard/wall",
         "/dashboard/wall.json", "/dashboard/bulletin", "/grids", "/programme", "/care",
         "/admin", "/admin/users", "/admin/audit", "/hotline/calls", "/snow")


def given(app) -> None:
    """What the filled cases lack, in the copy: a caller's number on one case in 13 (the
    hotline's share; 13812341234 on a few of them) and 督办 on one in 997."""
    from sqlalchemy import text

    from core.database import write_transaction
    from core.extensions import db
    with write_transaction():
        db.session.execute(text(
            "UPDATE event SET reporter_phone = CASE WHEN id % 50021 = 0 THEN '13812341234' "
            "ELSE '1390000' || (id % 1000) END WHERE id % 13 = 0 OR id % 50021 = 0"))
        db.session.execute(text("UPDATE event SET supervise_count = 1 WHERE id % 997 = 0"))


def logged_in(app, role: str):
    client = app.test_client()
    form = client.get("/login").get_data(as_text=True)
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', form)
    client.post("/login", data={"username": role, "password": PASSWORD,
                                **({"csrf_token": token.group(1)} if token else {})})
    return client


def a_case(app, role: str) -> str | None:
    client = app.test_client()
    token = client.post("/api/v1/tokens", json={"username": role, "password": PASSWORD})
    items = client.get("/api/v1/events?limit=1", headers={
        "Authorization": f"Bearer {token.get_json()['token']}"}).get_json()["items"]
    return f"/events/{items[0]['id']}" if items else None


def median_ms(client, url: str, times: int) -> float | None:
    if client.get(url).status_code != 200:
        return None
    for _ in range(3):
        client.get(url)
    spent = []
    for _ in range(times):
        started = time.perf_counter()
        client.get(url)
        spent.append(time.perf_counter() - started)
    return sorted(spent)[len(spent) // 2] * 1000


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--cases", type=int, default=1_000_000)
    ap.add_argument("--roles", default=",".join(ROLES))
    ap.add_argument("-n", type=int, default=15, help="requests a page (the median is printed)")
    args = ap.parse_args()
    filled = ROOT / "bench" / "out" / f"scale-{args.cases}.filled.sqlite3"
    if not filled.exists():
        sys.exit(f"{filled} is missing: run bench/scale.py --cases {args.cases} --only lists")
    work = Path(tempfile.mkdtemp(prefix="gridgov-pages-"))
    try:
        shutil.copyfile(filled, work / "pages.sqlite3")
        os.environ.update(DATABASE_URL=f"sqlite:///{work / 'pages.sqlite3'}",
                          GRIDGOV_INSTANCE=str(work), INSTANCE_PATH=str(work),
                          UPLOAD_DIR=str(work / "uploads"), SECRET_KEY="bench-secret")
        sys.path.insert(0, str(ROOT))
        from flask_migrate import upgrade
        from wsgi import app
        with app.app_context():  # a database filled by older code gets the indexes since
            upgrade()
            given(app)
        print(f"== {args.cases:,} cases, SQLite, in process: ms a page (median of {args.n})")
        for role in args.roles.split(","):
            client, case = logged_in(app, role), a_case(app, role)
            found = []
            for page in PAGES:
                url = case if page == CASE else page
                took = median_ms(client, url, args.n) if url else None
                if took is not None:
                    found.append(f"{url} {took:.1f}")
            print(f"{role}: " + "  ".join(found), flush=True)
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
