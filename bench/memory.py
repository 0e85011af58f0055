"""Where the workers' memory goes (issue 8, memory): the harness's hot paths served by
gunicorn under the shared settings (4 sync workers, preload), then each process's memory
from /proc/<pid>/smaps — what it shares, what it holds alone, and of that how much is the
C heap ([heap]) and how much anonymous maps (Python's object arenas among them).

    .venv/bin/python bench/memory.py                 # 10,000 cases, 5 s a scenario
    .venv/bin/python bench/memory.py --seconds 15

Fills bench/out/scale-<N>.filled.sqlite3 once (as bench/scale.py does) and works on a copy;
drives creates, lists and a case's reads at 16 connections and creates at 64 through the
shared ../shared/bench/load.py, as the grid worker. PSS summed over the master and its
workers is the harness's "PSS" figure; a worker's private pages are mostly the master's
pages it wrote to (copy-on-write). Prints figures; asserts nothing. Talks to 127.0.0.1 only.
"""
import argparse
import re
import shutil
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import scale  # noqa: E402 — the fill, the ports and the logins are bench/scale.py's

KINDS = ("Pss", "Private_Dirty", "Shared_Dirty", "Shared_Clean")


def smaps(pid: int) -> dict[str, Counter]:
    """KiB per kind, for the whole process and for its [heap] and anonymous maps."""
    found = {"all": Counter(), "[heap]": Counter(), "anonymous": Counter()}
    where = None
    with open(f"/proc/{pid}/smaps") as lines:
        for line in lines:
            if re.match(r"^[0-9a-f]+-[0-9a-f]+ ", line):
                fields = line.split()
                name = fields[5] if len(fields) > 5 else ""
                where = "[heap]" if name == "[heap]" else "anonymous" if not name else None
                continue
            key, _sep, value = line.partition(":")
            if key in KINDS:
                kib = int(value.split()[0])
                found["all"][key] += kib
                if where:
                    found[where][key] += kib
    return found


def children(pid: int) -> list[int]:
    out = subprocess.run(["pgrep", "-P", str(pid)], capture_output=True, text=True).stdout
    return [int(p) for p in out.split()]


def mib(kib: int) -> str:
    return f"{kib / 1024:6.1f}"


def report(master: int, label: str) -> None:
    print(f"-- {label}")
    print("   process        PSS  private  shared   [heap] private  anon private")
    total = Counter()
    for n, pid in enumerate([master] + sorted(children(master))):
        found = smaps(pid)
        total.update(found["all"])
        shared = found["all"]["Shared_Dirty"] + found["all"]["Shared_Clean"]
        print(f"   {'master' if n == 0 else f'worker {n}':<12} {mib(found['all']['Pss'])} "
              f"{mib(found['all']['Private_Dirty'])}  {mib(shared)}   "
              f"{mib(found['[heap]']['Private_Dirty'])}          "
              f"{mib(found['anonymous']['Private_Dirty'])}")
    print(f"   PSS, master and workers: {total['Pss'] / 1024:.1f} MiB", flush=True)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--cases", type=int, default=10_000)
    ap.add_argument("--seconds", type=int, default=5)
    args = ap.parse_args()
    work, env = scale.scratch("gridgov-memory-")
    path = scale.fresh_sqlite(env, args.cases, str(work / "fill.log"))
    env["DATABASE_URL"] = f"sqlite:///{path}"
    server, base = scale.serve(env, work)
    try:
        time.sleep(1)  # every worker up
        report(server.pid, "started, before any request")
        bearer, case = scale.worker_case(base)
        for conns, scenario in ((16, "post"), (16, "list"), (16, "detail"), (64, "post")):
            subprocess.run([scale.PY, str(scale.SHARED / "load.py"), "run", "--target", "gridgov",
                            "--base", base, "--pid", str(server.pid), "--db", str(path),
                            "--duration", str(args.seconds), "--conns", str(conns),
                            "--threads", "2", "--warmup", "1", "--warmup-same",
                            "--case", str(case), f"--header={bearer}", "--scenarios", scenario,
                            "--out", str(work / "results.jsonl"), "--tag", f"{scenario}{conns}"],
                           cwd=scale.ROOT, timeout=300, check=False)
        report(server.pid, "after creates, lists and reads at 16 connections, creates at 64")
    finally:
        server.terminate()
        server.wait(timeout=30)
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
