"""Health checks (issue 13): /healthz/web for the load balancer (this process and the
database), /healthz for the monitor (that, and the scheduler's last round)."""
import os
import signal
import subprocess
import sys
import time
from datetime import timedelta
from pathlib import Path

import pytest
import requests
from sqlalchemy import update

from core import clock
from core.extensions import db
from core.scheduler import register_job, run_cycle
from ops.models import SchedulerBeat
from tests.pgserver import _free_port
from tests.support import writing

ROOT = Path(__file__).resolve().parent.parent


def test_the_web_check_answers_while_the_database_does(client):
    response = client.get("/healthz/web")
    assert response.status_code == 200
    assert response.get_json() == {"status": "ok", "web": "ok", "database": "ok"}


def test_without_a_limit_the_scheduler_is_reported_not_judged(client):
    """The default (a development server, a bare gunicorn): /healthz says what it knows."""
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.get_json()["scheduler"] == {"status": "never", "last_sweep_at": None,
                                                "silent_seconds": None, "limit_seconds": 0}


def test_a_scheduler_that_never_ran_is_the_monitors_503_not_the_balancers(client, configure):
    configure(HEALTH_SCHEDULER_SILENCE_SECONDS=300)  # production's setting
    response = client.get("/healthz")
    assert response.status_code == 503
    body = response.get_json()
    assert body["scheduler"]["status"] == "never"
    assert body["reason"] == "the scheduler has never completed a round"
    assert client.get("/healthz/web").status_code == 200


def test_a_round_of_the_scheduler_makes_it_healthy_and_says_when(app, client):
    started = clock.utcnow()
    run_cycle(app)
    body = client.get("/healthz").get_json()
    assert body["status"] == "ok" and body["scheduler"]["status"] == "ok"
    assert body["scheduler"]["silent_seconds"] < 60
    assert body["scheduler"]["last_sweep_at"] >= started.isoformat()
    assert body["scheduler"]["pid"] == os.getpid()


def test_a_silent_scheduler_is_503_with_how_long(app, client, configure):
    configure(HEALTH_SCHEDULER_SILENCE_SECONDS=300)
    run_cycle(app)
    run_cycle(app)  # a second round (or a second scheduler) updates the one row
    with writing(app):
        db.session.execute(update(SchedulerBeat).values(
            finished_at=clock.utcnow() - timedelta(minutes=10)))
    response = client.get("/healthz")
    assert response.status_code == 503
    body = response.get_json()
    assert body["scheduler"]["status"] == "silent"
    assert 590 <= body["scheduler"]["silent_seconds"] <= 700
    assert body["reason"].startswith("the scheduler has been silent for")
    configure(HEALTH_SCHEDULER_SILENCE_SECONDS=0)  # reported, not judged
    assert client.get("/healthz").status_code == 200


def test_a_round_that_fails_part_way_does_not_count_as_a_beat(app, client, configure):
    configure(HEALTH_SCHEDULER_SILENCE_SECONDS=300)
    def broken(_now):
        raise RuntimeError("the sweep failed")
    register_job(app, "broken", broken, order=50)
    try:
        run_cycle(app)
    except RuntimeError:
        pass
    assert client.get("/healthz").get_json()["scheduler"]["status"] == "never"


def test_both_checks_are_503_when_the_database_is_gone(tmp_path):
    from core import create_app
    from tests.support import _config
    app = create_app(_config("postgresql+psycopg://nobody@127.0.0.1:1/none", tmp_path))
    for path in ("/healthz", "/healthz/web"):
        response = app.test_client().get(path)
        assert response.status_code == 503
        assert response.get_json()["database"] == "database not answering"


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)  # the beat's upsert is
def test_the_real_scheduler_process_beats_and_its_death_shows(app, database_url, tmp_path):
    # tested on both engines above; this is about the process
    """`flask scheduler` started as in production; killed with -9, /healthz notices."""
    env = {**os.environ, "DATABASE_URL": database_url, "GRIDGOV_INSTANCE": str(tmp_path),
           "PYTHONPATH": str(ROOT), "SCHEDULER_INTERVAL_SECONDS": "1",
           "HEALTH_SCHEDULER_SILENCE_SECONDS": "3"}
    port = _free_port()
    web = subprocess.Popen([sys.executable, "-m", "flask", "--app", "wsgi", "run", "--port",
                            str(port)], cwd=ROOT, env=env, stdout=subprocess.DEVNULL,
                           stderr=subprocess.DEVNULL)
    scheduler = subprocess.Popen([sys.executable, "-m", "flask", "--app", "wsgi", "scheduler"],
                                 cwd=ROOT, env=env, stdout=subprocess.DEVNULL,
                                 stderr=subprocess.DEVNULL)
    base = f"http://127.0.0.1:{port}"
    try:
        def status():
            try:
                return requests.get(f"{base}/healthz", timeout=5).json()["status"]
            except (requests.ConnectionError, requests.Timeout):
                return None
        deadline = time.time() + 60
        while status() != "ok":
            assert time.time() < deadline, "the scheduler never beat"
            time.sleep(0.3)
        scheduler.send_signal(signal.SIGKILL)
        scheduler.wait(timeout=10)
        deadline = time.time() + 30
        while status() != "unavailable":
            assert time.time() < deadline, "a dead scheduler still looks healthy"
            time.sleep(0.5)
        body = requests.get(f"{base}/healthz", timeout=5).json()
        assert body["scheduler"]["status"] == "silent" and body["web"] == "ok"
        assert requests.get(f"{base}/healthz/web", timeout=5).status_code == 200
    finally:
        for process in (web, scheduler):
            if process.poll() is None:
                process.kill()
            process.wait(timeout=10)
