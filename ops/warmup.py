"""The hot paths run once in a preloading server's master, before it forks (issue 8, memory).

A worker forked from the master shares the master's memory until it writes to a page, and a
Python 3.11 process writes to much of what it runs the first times it runs it: it
specialises each function's bytecode in place, SQLAlchemy compiles each statement and keeps
it, Jinja compiles each template, lazy attributes fill in. Each worker did all of that for
itself, in pages of its own. Run once in the master before the fork, it is done once, in
pages every worker shares — Ruby 3.3's Process.warmup, for the same reason.

`warm_up` reports a case, lists the reporter's cases and reads the case — the API's hot
paths — as a grid worker made for the purpose in a grid of the served database, each
ROUNDS times, then the same worker's phone home and the case's page, and a town dispatcher
made alike opens the desk's workbench and 我的待办. It all runs inside
`core.database.rehearsal()`: one transaction, rolled back, so the database keeps none of
it (not the worker, the token, the cases, their logs, notices or counts). Its requests
are marked (`WARM_UP_ENVIRON`): the request log and the metrics leave them out. A database
without a grid, a category or the schema is not warmed; the server starts all the same.

`before_first_fork` is what wsgi.py registers with os.register_at_fork: a server that
imports the app in each worker (deploy/gunicorn.conf.py, no preload) never forks from it,
so never warms; one that preloads (gunicorn --preload) warms once, at its first fork.
"""
import gc
import json
import logging
import secrets
import time

from flask import Flask
from shapely.geometry import shape
from sqlalchemy import select

from core import clock
from core.database import rehearsal, write_transaction
from core.extensions import db
from core.requestlog import WARM_UP_ENVIRON
from ops import heap

log = logging.getLogger(__name__)

#: how many times each API path runs: Python 3.11 specialises a function after a few calls
ROUNDS = 12


def warm_up(app: Flask, rounds: int = ROUNDS) -> dict[str, int]:
    """Run the hot paths in a rolled-back rehearsal: {path: status of its last run}, empty
    when the database has nothing to report in."""
    from auth.models import User
    from auth.services import issue_token
    from events.models import Category
    from grid.models import Grid, GridMember

    statuses: dict[str, int] = {}
    with rehearsal(app):
        with app.app_context(), write_transaction():
            grid = db.session.scalar(select(Grid).where(Grid.retired_at.is_(None))
                                     .order_by(Grid.id).limit(1))
            # categories differ in what a report sets off (dispatched at once or filed)
            categories = db.session.scalars(select(Category.code)
                                            .where(Category.is_active.is_(True))
                                            .order_by(Category.code).limit(rounds)).all()
            if grid is None or not categories:
                return statuses
            worker = User(username=f"warm-up-{secrets.token_hex(8)}", role="grid_worker",
                          display_name="warm-up", password_hash="!", region_id=grid.town_id)
            db.session.add(worker)
            db.session.flush()
            db.session.add(GridMember(grid_id=grid.id, user_id=worker.id, grid_role="worker"))
            token, _row = issue_token(worker, clock.utcnow())
            session_id = worker.get_id()
            desk = User(username=f"warm-up-{secrets.token_hex(8)}", role="dispatcher",
                        display_name="warm-up", password_hash="!", region_id=grid.town_id)
            db.session.add(desk)
            db.session.flush()
            desk_id = desk.get_id()
            point = shape(json.loads(grid.boundary)).representative_point()
            report = {"description": "warm-up", "lat": point.y, "lon": point.x}
        client = app.test_client()
        client.environ_base[WARM_UP_ENVIRON] = True
        headers = {"Authorization": f"Bearer {token}"}
        case_id = None
        for turn in range(rounds):
            answer = client.post("/api/v1/events", headers=headers, json={
                **report, "category_code": categories[turn % len(categories)]})
            statuses["POST /api/v1/events"] = answer.status_code
            if answer.status_code != 201:
                break
            case_id = answer.get_json()["id"]
            statuses["GET /api/v1/events"] = client.get(
                "/api/v1/events?limit=20", headers=headers).status_code
            statuses["GET /api/v1/events/<id>"] = client.get(
                f"/api/v1/events/{case_id}", headers=headers).status_code
        if case_id is not None:
            _log_in(app, client, session_id)
            for path in ("/field/", f"/events/{case_id}"):
                statuses["GET " + path.replace(str(case_id), "<id>")] = client.get(
                    path).status_code
            desk_client = app.test_client()
            desk_client.environ_base[WARM_UP_ENVIRON] = True
            _log_in(app, desk_client, desk_id)  # the town's dispatcher: the desk's pages
            for _ in range(max(1, rounds // 2)):
                for path in ("/events", "/events?mine=1"):
                    statuses["GET " + path + " (desk)"] = desk_client.get(path).status_code
    return statuses


def _log_in(app: Flask, client, session_id: str) -> None:
    """The test client's session logged in as `session_id`, as Flask-Login's login_user
    leaves it (the "strong" protection's identifier is the client's address and agent)."""
    from flask_login.utils import _create_identifier
    with app.test_request_context(environ_base=client.environ_base):
        identifier = _create_identifier()
    with client.session_transaction() as session:
        session.update({"_user_id": session_id, "_fresh": True, "_id": identifier})


_warmed = False


def before_first_fork(app: Flask) -> None:
    """os.register_at_fork's `before`: at the first fork only, warm up, close the database
    connections (a connection must not cross a fork) and freeze what was built out of the
    collector's sight (wsgi.py). Never raises: a server that cannot warm up starts cold."""
    global _warmed
    if _warmed:
        return
    _warmed = True
    started = time.perf_counter()
    statuses = {}
    try:
        statuses = warm_up(app)
    except Exception:  # noqa: BLE001 — a cold start is still a start
        log.warning("warm-up failed; the workers start cold", exc_info=True)
    try:
        with app.app_context():
            db.engine.dispose()  # no connection crosses the fork
        gc.collect()
        gc.freeze()
        # last, when nothing more is freed: the heap's holes, so the workers' own data goes
        # to pages of their own (ops.heap)
        taken, taken_bytes = heap.take_free_chunks()
        log.info("warm-up before the workers' fork: %s in %.2f s; %d free heap chunks kept "
                 "(%d bytes)", statuses or "nothing to warm", time.perf_counter() - started,
                 taken, taken_bytes)
    except Exception:  # noqa: BLE001 — never in the way of the fork
        log.warning("after the warm-up", exc_info=True)
