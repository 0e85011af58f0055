"""A server that preloads the app runs its hot paths once before forking the workers, so what
running them builds is shared (issue 8, memory: ops.warmup) — inside a transaction that is
rolled back: the database keeps nothing of it, on SQLite and PostgreSQL."""
import gc
import json
import logging
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from prometheus_client.parser import text_string_to_metric_families
from sqlalchemy import select

from ops import warmup
from core.extensions import db
from tests.appservers import AppServer
from tests.support import another_app, rehearsal_given_back

ROOT = Path(__file__).resolve().parent.parent
PATHS = {"POST /api/v1/events": 201, "GET /api/v1/events": 200,
         "GET /api/v1/events/<id>": 200, "GET /field/": 200, "GET /events/<id>": 200,
         "GET /events (desk)": 200, "GET /events?mine=1 (desk)": 200}


def _contents(app) -> dict:
    """Every table's rows, in key order."""
    with app.app_context():
        found = {table.name: db.session.execute(
            select(table).order_by(*table.primary_key.columns)).all()
            for table in db.metadata.sorted_tables}
        db.session.remove()
    return found


def test_the_hot_paths_run_and_the_database_keeps_nothing_of_them(world, report, api):
    first = report("worker")
    before = _contents(world)
    assert warmup.warm_up(world) == PATHS
    assert _contents(world) == before
    # the county's numbering goes on from the last real case, the reporter's list is theirs
    second = report("worker")
    assert int(second["number"].rsplit("-", 1)[1]) == int(first["number"].rsplit("-", 1)[1]) + 1
    listed = api("worker").get("/api/v1/events").get_json()["items"]
    assert [case["id"] for case in listed] == [second["id"], first["id"]]


def test_a_database_with_nowhere_to_report_is_left_cold(app):
    before = _contents(app)
    assert warmup.warm_up(app) == {}
    assert _contents(app) == before


def test_the_warm_up_is_neither_logged_nor_counted(world, token_for, caplog):
    token = token_for("worker")
    with another_app(world, METRICS_ENABLED=True, LOG_FORMAT="json") as app:
        client = app.test_client()

        def creates():
            families = text_string_to_metric_families(client.get("/metrics").get_data(as_text=True))
            return sum(sample.value for family in families for sample in family.samples
                       if sample.name == "gridgov_http_requests_total"
                       and sample.labels["endpoint"] == "events_api.create_event")

        with caplog.at_level(logging.INFO, logger="gridgov.request"):
            before = creates()
            assert warmup.warm_up(app) == PATHS
            assert creates() == before
            assert not [r for r in caplog.records if getattr(r, "method", None) == "POST"]
            client.post("/api/v1/events", headers={"Authorization": f"Bearer {token}"},
                        json={"category_code": "06010", "lat": 43.6050, "lon": 126.4875,
                              "description": "垃圾堆放在路边"})
            assert creates() == before + 1
            assert [r.status for r in caplog.records if getattr(r, "method", None) == "POST"] \
                == [201]


def test_a_rehearsal_that_fails_gives_everything_back(world, report):
    from core.database import rehearsal, write_transaction
    from events.models import Event
    before = _contents(world)
    with pytest.raises(RuntimeError):
        with rehearsal(world):
            with world.app_context(), write_transaction():
                db.session.execute(Event.__table__.delete())
            raise RuntimeError("a request failed")
    rehearsal_given_back(world)
    assert _contents(world) == before
    report("worker")  # and the app writes as ever


@pytest.fixture
def cold(monkeypatch):
    monkeypatch.setattr(warmup, "_warmed", False)
    frozen = gc.get_freeze_count()
    yield
    if gc.get_freeze_count() != frozen:
        gc.unfreeze()  # the suite's own objects go back to the collector


def test_a_server_that_cannot_warm_up_starts_cold_and_tries_once(world, cold, monkeypatch,
                                                                caplog):
    tries = []

    def broken(app):
        tries.append(app)
        raise RuntimeError("no such table: event")
    monkeypatch.setattr(warmup, "warm_up", broken)
    with caplog.at_level(logging.INFO, logger="ops.warmup"):
        warmup.before_first_fork(world)  # does not raise
        warmup.before_first_fork(world)
    assert len(tries) == 1
    assert "warm-up failed; the workers start cold" in caplog.text
    assert "nothing to warm" in caplog.text


def _warm_up_lines(log_path) -> list[dict]:
    lines = [json.loads(line) for line in log_path.read_text().splitlines()
             if line.startswith("{")]
    return [line for line in lines if line.get("logger") == "ops.warmup"]


def test_gunicorn_with_preload_warms_its_master_once_and_serves(world, report, token_for,
                                                                database_url, tmp_path):
    first = report("worker")
    token = token_for("worker")
    before = _contents(world)
    env = {"DATABASE_URL": database_url, "SECRET_KEY": "test-secret", "LOG_FORMAT": "json",
           "GRIDGOV_INSTANCE": str(tmp_path / "instance"), "UPLOAD_DIR": str(tmp_path / "up")}
    with AppServer(env, workers=2, log_path=tmp_path / "preload.log",
                   options=("--preload",)) as server:
        import requests
        warmed = _warm_up_lines(tmp_path / "preload.log")
        assert len(warmed) == 1 and all(f"'{path}': {status}" in warmed[0]["message"]
                                        for path, status in PATHS.items())
        kept = re.search(r"(\d+) free heap chunks kept", warmed[0]["message"])
        assert kept and int(kept.group(1)) > 0  # ops.heap, after the warm-up
        assert _contents(world) == before
        answers = [requests.post(f"{server.base}/api/v1/events", timeout=10,
                                 headers={"Authorization": f"Bearer {token}"},
                                 json={"category_code": "06010", "lat": 43.6050,
                                       "lon": 126.4875, "description": f"第{n}次"})
                   for n in range(4)]
    assert [answer.status_code for answer in answers] == [201] * 4
    serial = int(first["number"].rsplit("-", 1)[1])
    assert sorted(int(a.json()["number"].rsplit("-", 1)[1]) for a in answers) \
        == list(range(serial + 1, serial + 5))
    # without --preload (deploy/gunicorn.conf.py) each worker imports the app: nothing forks
    # from it, nothing is warmed
    with AppServer(env, workers=1, log_path=tmp_path / "plain.log"):
        pass
    assert _warm_up_lines(tmp_path / "plain.log") == []


FORKED_WORKER = """
import os, sys
import gunicorn, wsgi
from ops import heap, warmup
if sys.argv[1] == "keep-holes":
    heap.take_free_chunks = lambda libc=None: (0, None)
warmup.before_first_fork(wsgi.app)
read, write = os.pipe()
worker = os.fork()
if worker == 0:
    client = wsgi.app.test_client()
    for _ in range(20):
        client.get("/healthz"); client.get("/login"); client.get("/api/v1/events")
    copied, in_heap = 0, False
    for line in open("/proc/self/smaps"):
        fields = line.split()
        if "-" in fields[0] and len(fields) >= 5:
            in_heap = line.rstrip().endswith("[heap]")
        elif in_heap and line.startswith("Private_Dirty:"):
            copied += int(fields[1])
    os.write(write, str(copied).encode())
    os._exit(0)
os.waitpid(worker, 0)
print(int(os.read(read, 100)))
"""


def _python(code: str, *argv: str, **env: str) -> str:
    """What `code` prints, run by this Python in a process of its own from the project's
    root (a fresh heap: no other threads' arenas, no test's leftovers)."""
    done = subprocess.run([sys.executable, "-c", code, *argv], cwd=ROOT, capture_output=True,
                          text=True, timeout=120,
                          env={**os.environ, "PYTHONPATH": str(ROOT), **env})
    assert done.returncode == 0, done.stderr[-2000:]
    return done.stdout


def _heap_a_worker_wrote(mode: str, database_url: str, tmp_path) -> int:
    """KiB of the C heap a worker forked after the warm-up holds on its own (pages it
    copied from the master, or new ones) after a few requests."""
    out = _python(FORKED_WORKER, mode, DATABASE_URL=database_url, SECRET_KEY="test-secret",
                  GRIDGOV_INSTANCE=str(tmp_path / "instance"), UPLOAD_DIR=str(tmp_path / "up"))
    return int(out.strip().splitlines()[-1])


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_a_worker_forked_after_the_warm_up_puts_its_heap_data_in_pages_of_its_own(
        world, database_url, tmp_path):
    # the warm-up leaves free chunks all over the master's heap (SQLite's page cache among
    # them); a worker's allocations would land in them and copy each page they touch. With
    # them taken before the fork, its allocations go to fresh pages at the heap's end
    # (ops.heap). With PostgreSQL's driver the holes are fewer: 3.2 -> 2.7 MiB here.
    taken = _heap_a_worker_wrote("take-holes", database_url, tmp_path)
    kept = _heap_a_worker_wrote("keep-holes", database_url, tmp_path)
    assert taken < kept * 0.7, (taken, kept)


def test_the_heap_is_left_alone_where_the_allocator_is_not_glibcs():
    from ops import heap
    assert heap.take_free_chunks(libc=object()) == (0, 0)
    assert heap.free_outside_top(libc=object()) is None


HOLES = """
import ctypes, sys, threading
from ops import heap
libc = ctypes.CDLL(None)
libc.malloc.restype = ctypes.c_void_p
libc.malloc.argtypes = [ctypes.c_size_t]
libc.free.argtypes = [ctypes.c_void_p]
# holes: 4,000 chunks of 100 B to 4 KiB, every other one freed, live ones between them
chunks = [libc.malloc(100 + n * 997 % 4000) for n in range(8000)]
for pointer in chunks[::2]:
    libc.free(pointer)
before = heap.free_outside_top()
if sys.argv[1] == "thread":  # off the main thread: nothing is done
    found = []
    worker = threading.Thread(target=lambda: found.append(heap.take_free_chunks()))
    worker.start(); worker.join()
    print(found[0][0], found[0][1], before, heap.free_outside_top())
else:
    top = heap._glibc()[0]().keepcost
    taken, taken_bytes = heap.take_free_chunks()
    print(taken, taken_bytes, before, heap.free_outside_top(), top - heap._glibc()[0]().keepcost)
"""


def _holes(mode: str) -> tuple[int, ...]:
    return tuple(int(word) for word in _python(HOLES, mode).split())


def test_taking_the_holes_takes_them_and_no_more():
    # in a process of its own: a fresh heap, no other threads' arenas
    taken, taken_bytes, before, after, top_shrank = _holes("main")
    assert before > 4_000_000  # ~8 MB freed in holes
    assert taken >= 3_000 and after < before // 10
    # only holes (the bins' and the small chunks' cache, which the bins' figure leaves
    # out), nothing carved from the heap's free end
    assert taken_bytes <= before + 64 * 7 * 1032 and top_shrank < 64 * 1024


def test_the_holes_are_left_alone_off_the_main_thread():
    taken, taken_bytes, before, after = _holes("thread")
    assert (taken, taken_bytes) == (0, 0) and after >= before * 0.9
