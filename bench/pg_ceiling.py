"""gridgov on PostgreSQL beside the thinnest Flask + psycopg app doing the same hot paths
(bench/limit_app_pg.py), on one throwaway PostgreSQL 15 cluster (issue 8).

    .venv/bin/python bench/pg_ceiling.py                 # 10,000 cases, 2 rounds of 15 s
    .venv/bin/python bench/pg_ceiling.py --cases 10000 --duration 10 --rounds 3

What ../shared/bench/compare.sh does for SQLite, for PostgreSQL: the cluster runs durable
(fsync, synchronous_commit and full_page_writes on); gridgov is filled with `bench-data`
in one database, the ceiling app gets 10,000 rows in another; both are served by gunicorn
under the shared harness's settings (4 sync workers, preload) and loaded by its load.py
with wrk at 16 connections, in alternating rounds: creates, the list of 20 (and gridgov's
case read). The server CPU and PSS figures include the cluster's processes, which share
the two cores. Prints the table and each scenario's share of the ceiling; asserts
nothing. Talks to 127.0.0.1 only.
"""
import argparse
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from bench.scale import (PY, ROOT, SHARED, durable_postgres, fill_postgres, free_port,  # noqa: E402
                         get_json, scratch, serve, worker_case)


def serve_ceiling(dsn: str, work: Path) -> tuple[subprocess.Popen, str]:
    port = free_port()
    server = subprocess.Popen(
        [str(ROOT / ".venv" / "bin" / "gunicorn"), "-c", str(SHARED / "gunicorn_conf.py"),
         "--chdir", str(ROOT / "bench"), "limit_app_pg:app"], cwd=ROOT,
        env={**os.environ, "LIMIT_PORT": str(port), "LIMIT_PG": dsn},
        stdout=open(work / "ceiling.log", "w"), stderr=subprocess.STDOUT, start_new_session=True)
    base = f"http://127.0.0.1:{port}"
    for _ in range(150):
        try:
            get_json(f"{base}/reports?limit=1")
            return server, base
        except OSError:
            time.sleep(0.2)
    sys.exit(f"the ceiling app did not start: see {work / 'ceiling.log'}")


def postmaster_pid(pg) -> int:
    return int((Path(pg.dir) / "data" / "postmaster.pid").read_text().split()[0])


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--cases", type=int, default=10_000)
    ap.add_argument("--duration", type=int, default=15)
    ap.add_argument("--rounds", type=int, default=2)
    ap.add_argument("--conns", type=int, default=16)
    args = ap.parse_args()
    import psycopg
    work, env = scratch("gridgov-pgceiling-")
    pg = durable_postgres()
    servers = []
    try:
        env["DATABASE_URL"] = pg.start()
        plain = env["DATABASE_URL"].replace("+psycopg", "")
        ceiling_dsn = plain.rsplit("/", 1)[0] + "/ceiling"
        with psycopg.connect(plain, autocommit=True) as connection:
            connection.execute("CREATE DATABASE ceiling")
        fill_postgres(env, args.cases, str(work / "fill.log"))
        gridgov, gbase = serve(env, work)
        servers.append(gridgov)
        ceiling, cbase = serve_ceiling(ceiling_dsn, work)
        servers.append(ceiling)
        with psycopg.connect(ceiling_dsn, autocommit=True) as connection:
            connection.execute(
                "INSERT INTO reports (category, description, lat, lon) SELECT "
                "(ARRAY['outage','flicker','damaged_line','meter','vegetation','other'])[1 + i % 6],"
                " 'seed #' || i || ': transformer hum near pole', 51 + (i % 200) / 100.0,"
                " 3.5 + (i % 300) / 100.0 FROM generate_series(1, 10000) AS i")
            connection.execute("VACUUM ANALYZE reports")
        bearer, case = worker_case(gbase)
        results = work / "results.jsonl"
        cluster = postmaster_pid(pg)
        common = ["--duration", str(args.duration), "--conns", str(args.conns), "--threads", "2",
                  "--warmup", "3", "--warmup-same", "--out", str(results)]

        def load(target, base, pid, tag, scenario, *extra):
            subprocess.run([PY, str(SHARED / "load.py"), "run", "--target", target, "--base", base,
                            "--pid", f"{pid},{cluster}", "--scenarios", scenario, "--tag", tag,
                            *common, *extra], cwd=ROOT, timeout=300, check=False)
        print(f"== PostgreSQL, {args.cases:,} cases, {args.conns} connections, "
              f"{args.duration} s a run (CPU and PSS include the cluster)", flush=True)
        for n in range(1, args.rounds + 1):
            print(f"== round {n}", flush=True)
            for scenario in ("post", "list"):
                load("limit", cbase, ceiling.pid, f"r{n}.ceiling", scenario)
                load("gridgov", gbase, gridgov.pid, f"r{n}.project", scenario, f"--header={bearer}",
                     "--run-tag", f"r{n}")
            load("gridgov", gbase, gridgov.pid, f"r{n}.project", "detail", f"--header={bearer}",
                 "--case", str(case))
        subprocess.run([PY, str(SHARED / "ratio.py"), str(results)], cwd=ROOT, check=False)
    finally:
        for server in servers:
            os.killpg(server.pid, 15)
            server.wait(timeout=30)
        pg.stop()
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
