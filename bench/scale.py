"""The hot paths at scale (issue 8): each role's lists — the first page and a deep page
(cursor), API and HTML — then the grid worker's creates and case reads.

    .venv/bin/python bench/scale.py                        # 1,000,000 cases, SQLite
    .venv/bin/python bench/scale.py --cases 10000
    .venv/bin/python bench/scale.py --backend postgresql   # a throwaway PostgreSQL 15 cluster
    .venv/bin/python bench/scale.py --only writes          # or lists

Fills a database once (SQLite: bench/out/scale-<N>.filled.sqlite3, kept, and each run works
on a fresh copy of it; PostgreSQL: a throwaway cluster, filled every run), serves it with
gunicorn under the shared harness's settings (../shared/bench/gunicorn_conf.py: 4 sync
workers, preload), and for every role runs wrk (through ../shared/bench/load.py) at 8 connections on GET /api/v1/events?limit=20, the
same 100 pages deep by cursor, the HTML list /events and its deep page; then creates
(POST /api/v1/events, the shared gridgov.lua bodies) and one case's reads at 16 connections.
PostgreSQL runs durable (fsync, synchronous_commit and full_page_writes on). Prints req/s,
p50, p99; asserts nothing. Talks to 127.0.0.1 only.
"""
import argparse
import http.cookiejar
import json
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.parse
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SHARED = Path(os.environ.get("SHARED_BENCH", ROOT / ".." / "shared" / "bench")).resolve()
PY = str(ROOT / ".venv" / "bin" / "python")
FLASK = [str(ROOT / ".venv" / "bin" / "flask"), "--app", "wsgi"]
ROLES = ("worker", "dispatcher", "handler", "supervisor", "admin")
PASSWORD = "bench-pass-1"
DEEP_PAGES = 100
USER_AGENT = "gridgov-bench"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def run(cmd, env, log):
    with open(log, "a") as out:
        subprocess.run(cmd, env=env, cwd=ROOT, stdout=out, stderr=subprocess.STDOUT, check=True,
                       timeout=3600)


def fill(env, cases: int, log: str) -> None:
    for cmd in (["db", "upgrade"], ["calendar", "seed"],
                ["seed-demo", "--password", PASSWORD, "--cases", "0"],
                ["bench-data", "--cases", str(cases)]):
        started = time.monotonic()
        run(FLASK + cmd, env, log)
        print(f"   {' '.join(cmd)}: {time.monotonic() - started:.0f} s", flush=True)


def _checkpoint(path: Path) -> None:
    """Fold the WAL into the file, so the file alone is the whole database (a copy of the
    file without its WAL can be torn)."""
    import sqlite3
    connection = sqlite3.connect(path)
    connection.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    connection.close()


def get_json(url, headers=None):
    request = urllib.request.Request(url, headers=headers or {})
    with urllib.request.urlopen(request, timeout=30) as answer:
        return json.load(answer)


def token_for(base, username) -> str:
    request = urllib.request.Request(
        f"{base}/api/v1/tokens", data=json.dumps({"username": username,
                                                  "password": PASSWORD}).encode(),
        headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=30) as answer:
        return json.load(answer)["token"]


def session_cookie(base, username) -> str:
    jar = http.cookiejar.CookieJar()
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
    # Flask-Login's strong session protection ties the session to the browser: wrk sends
    # the same User-Agent
    opener.addheaders = [("User-Agent", USER_AGENT)]
    page = opener.open(f"{base}/login", timeout=30).read().decode()
    csrf = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page).group(1)
    opener.open(f"{base}/login", data=urllib.parse.urlencode(
        {"csrf_token": csrf, "username": username, "password": PASSWORD}).encode(), timeout=30)
    return "; ".join(f"{c.name}={c.value}" for c in jar)


def scratch(prefix: str) -> tuple[Path, dict]:
    """A scratch directory for one run and the app's environment pointing into it (its
    instance, uploads and a fixed secret); DATABASE_URL is the caller's to add."""
    work = Path(tempfile.mkdtemp(prefix=prefix))
    return work, {**os.environ, "GRIDGOV_INSTANCE": str(work / "instance"),
                  "INSTANCE_PATH": str(work / "instance"), "UPLOAD_DIR": str(work / "uploads"),
                  "SECRET_KEY": "bench-secret"}


def durable_postgres():
    """A throwaway PostgreSQL cluster (tests.pgserver) running durable: fsync,
    synchronous_commit and full_page_writes on. Not started."""
    sys.path.insert(0, str(ROOT))
    from tests.pgserver import TempPostgres, find_bindir
    return TempPostgres(find_bindir(), {"fsync": "on", "synchronous_commit": "on",
                                       "full_page_writes": "on"})


def fill_postgres(env, cases: int, log: str) -> None:
    """`fill` into env's PostgreSQL, then VACUUM ANALYZE (fresh statistics for the plans)."""
    print(f"== filling a throwaway PostgreSQL ({cases:,} cases)", flush=True)
    fill(env, cases, log)
    run([PY, "-c", "import sys,psycopg;c=psycopg.connect(sys.argv[1],autocommit=True);"
         "c.execute('VACUUM ANALYZE')", env["DATABASE_URL"].replace("+psycopg", "")], env, log)


def worker_case(base) -> tuple[str, int]:
    """The grid worker's bearer header line and the newest case it sees."""
    token = token_for(base, "worker")
    case = get_json(f"{base}/api/v1/events?limit=1",
                    {"Authorization": f"Bearer {token}"})["items"][0]["id"]
    return f"Authorization: Bearer {token}", case


def fresh_sqlite(env, cases: int, log: str) -> Path:
    """A copy of bench/out/scale-<cases>.filled.sqlite3 (filled on first use), upgraded:
    every run starts from the same filled database (creates add to the copy)."""
    out = ROOT / "bench" / "out"
    out.mkdir(parents=True, exist_ok=True)
    path = out / f"scale-{cases}.sqlite3"
    filled = out / f"scale-{cases}.filled.sqlite3"
    if not filled.exists():
        print(f"== filling {filled} ({cases:,} cases)", flush=True)
        fill({**env, "DATABASE_URL": f"sqlite:///{filled}"}, cases, log)
        _checkpoint(filled)
    shutil.copyfile(filled, path)
    for suffix in ("-wal", "-shm"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)
    # a database filled by older code gets the indexes added since
    run(FLASK + ["db", "upgrade"], {**env, "DATABASE_URL": f"sqlite:///{path}"}, log)
    return path


def serve(env, work: Path) -> tuple[subprocess.Popen, str]:
    """gunicorn under the shared harness's settings (4 sync workers, preload) on a free
    port, once it answers: (the server, its base URL)."""
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    server = subprocess.Popen(
        [str(ROOT / ".venv" / "bin" / "gunicorn"), "-c", str(SHARED / "gunicorn_conf.py"),
         "wsgi:app"], cwd=ROOT, env={**env, "LIMIT_PORT": str(port)},
        stdout=open(work / "server.log", "w"), stderr=subprocess.STDOUT, start_new_session=True)
    for _ in range(150):
        try:
            urllib.request.urlopen(f"{base}/healthz/web", timeout=2)
            break
        except OSError:
            time.sleep(0.2)
    return server, base


def deep_cursor(base, headers) -> tuple[str, int]:
    cursor, pages = "", 0
    while pages < DEEP_PAGES:
        page = get_json(f"{base}/api/v1/events?limit=20" + (f"&cursor={cursor}" if cursor else ""),
                        headers)
        if not page["next_cursor"]:
            break
        cursor, pages = page["next_cursor"], pages + 1
    return cursor, pages


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--cases", type=int, default=1_000_000)
    ap.add_argument("--backend", choices=("sqlite", "postgresql"), default="sqlite")
    ap.add_argument("--duration", type=int, default=10)
    ap.add_argument("--conns", type=int, default=8)
    ap.add_argument("--roles", default=",".join(ROLES))
    ap.add_argument("--write-conns", type=int, default=16)
    ap.add_argument("--only", choices=("lists", "writes"), help="run one half")
    args = ap.parse_args()
    if not (SHARED / "load.py").exists():
        sys.exit(f"the shared harness is not at {SHARED}")
    work, env = scratch("gridgov-lists-")
    log = str(work / "fill.log")
    server = pg = None
    try:
        if args.backend == "sqlite":
            env["DATABASE_URL"] = f"sqlite:///{fresh_sqlite(env, args.cases, log)}"
        else:
            pg = durable_postgres()
            env["DATABASE_URL"] = pg.start()
            fill_postgres(env, args.cases, log)
        server, base = serve(env, work)
        results = work / "results.jsonl"
        print(f"== {args.backend}, {args.cases:,} cases, {args.conns} connections, "
              f"{args.duration} s a run", flush=True)

        def load(conns, tag, *extra):
            subprocess.run([PY, str(SHARED / "load.py"), "run", "--target", "gridgov",
                            "--base", base, "--pid", str(server.pid),
                            "--duration", str(args.duration), "--conns", str(conns),
                            "--threads", "2", "--warmup", "2", "--warmup-same", "--settle", "0.5",
                            "--out", str(results), "--tag", tag, *extra],
                           cwd=ROOT, timeout=300, check=False)
        for username in args.roles.split(",") if args.only != "writes" else ():
            bearer = {"Authorization": f"Bearer {token_for(base, username)}"}
            cursor, pages = deep_cursor(base, bearer)
            cookie = session_cookie(base, username)
            browser = {"Cookie": cookie, "User-Agent": USER_AGENT}
            scenarios = [("list", bearer), ("html", browser)]
            if cursor:
                scenarios += [("deep", bearer), ("htmldeep", browser)]
            print(f"-- {username}: deep page = page {pages + 1}", flush=True)
            for scenario, header in scenarios:
                load(args.conns, f"{username}.{scenario}", "--scenarios", scenario,
                     "--cursor", cursor, *[f"--header={k}: {v}" for k, v in header.items()])
        if args.only == "lists":
            return
        bearer, case = worker_case(base)
        print(f"-- worker: creates and case {case}, {args.write_conns} connections", flush=True)
        for scenario in ("post", "detail"):
            load(args.write_conns, f"worker.{scenario}", "--scenarios", scenario,
                 "--case", str(case), f"--header={bearer}")
    finally:
        if server is not None:
            os.killpg(server.pid, 15)
            server.wait(timeout=30)
        if pg is not None:
            pg.stop()
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
