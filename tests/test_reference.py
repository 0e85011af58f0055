"""Reference data kept between requests while the database's token stays the same
(core.reference, migration 0039): every change of a reference table, whoever makes it, is
seen by the next request; the hot paths' own writes leave the token alone, so what is kept
is used."""
import random
import re
from datetime import date, datetime, timezone

import pytest
from sqlalchemy import create_engine, select, text

from core import reference
from core.extensions import db
from tests.support import POINT_GRID1

GRID1 = "220221101000001"


def _token(app) -> str:
    with app.app_context():
        return db.session.execute(text("SELECT token FROM reference_version")).scalar_one()


def _elsewhere(app, sql: str, **params) -> None:
    """A change made and committed on a connection of its own, past the app: another
    process, the CLI, SQL typed by hand."""
    with app.app_context():
        url = db.engine.url
    engine = create_engine(url)
    try:
        with engine.begin() as connection:
            connection.execute(text(sql), params)
    finally:
        engine.dispose()


def _a_new_row(app, name: str) -> dict:
    """A copy of one of the table's rows under a key of its own (so it can be inserted)."""
    with app.app_context():
        table = db.metadata.tables[name]
        row = dict(db.session.execute(select(table).limit(1)).mappings().one())
    row.pop("id", None)
    fresh = {"category": {"code": "99999"}, "region": {"code": "990000000000"},
             "grid": {"code": "990000000000001"}, "department": {"code": "ZZ-TEST"},
             "work_day": {"day": date(2099, 1, 1)}}[name]
    return row | fresh


@pytest.mark.parametrize("name", reference.TABLES)
def test_every_change_of_a_reference_table_gives_a_new_token(world, name):
    """Inserted, updated or deleted by SQL on another connection: each a new token."""
    row = _a_new_row(world, name)
    key, column = ("day", "source") if name == "work_day" else ("code", "name")
    columns = ", ".join(row)
    values = ", ".join(f":{column}" for column in row)
    seen = {_token(world)}
    _elsewhere(world, f"INSERT INTO {name} ({columns}) VALUES ({values})", **row)
    seen.add(_token(world))
    _elsewhere(world, f"UPDATE {name} SET {column} = {column} WHERE {key} = :key", key=row[key])
    seen.add(_token(world))
    _elsewhere(world, f"DELETE FROM {name} WHERE {key} = :key", key=row[key])
    seen.add(_token(world))
    assert len(seen) == 4


def test_reports_lists_reads_actions_and_logins_leave_the_token(world, api, report, login_as):
    """What users do all day writes no reference table: what was kept stays good."""
    before = _token(world)
    case = report("worker")
    api("dispatcher").get("/api/v1/events")
    api("dispatcher").get(f"/api/v1/events/{case['id']}")
    department = api("dispatcher").get("/api/v1/departments").get_json()["items"][0]["code"]
    acted = api("dispatcher").post(f"/api/v1/events/{case['id']}/actions", json={
        "action": "dispatch", "version": case["version"], "department_code": department})
    assert acted.status_code == 200, acted.get_json()
    assert login_as("dispatcher").get("/events").status_code == 200
    assert _token(world) == before


def _report_outcome(client) -> tuple:
    answer = client.post("/api/v1/events", json={
        "category_code": "06010", "lat": POINT_GRID1[0], "lon": POINT_GRID1[1],
        "description": "垃圾堆放在路边"})
    body = answer.get_json()
    if answer.status_code != 201:
        return answer.status_code, body["message"]
    return 201, body["grid_code"], body["category_name"], body["state"], body["clock"]


def _workbench_grids(client) -> list[str]:
    page = client.get("/events").get_data(as_text=True)
    form = re.search(r'<select name="grid".*?</select>', page, re.S).group(0)
    return re.findall(r"<option[^>]*>([^<]*)</option>", form)


def test_what_is_kept_never_outlives_a_change(world, api, login_as, freeze, now):
    """A random walk of changes to categories, grids and the work calendar, made past the
    app, between reports and workbench pages: each answer equals the one the same request
    gives with nothing kept — and most requests were served from what was kept."""
    freeze(now)
    store = world.extensions["gridgov.reference"]
    worker, page = api("worker"), login_as("dispatcher")
    today = now.astimezone(timezone.utc).date()  # 2026-03-10, a Tuesday (Asia/Shanghai too)
    with world.app_context():
        day_row = db.session.execute(text("SELECT is_workday FROM work_day WHERE day = :d"),
                                     {"d": today}).first()
    changes = [
        ("UPDATE category SET is_active = NOT is_active WHERE code = '06010'", {}),
        ("UPDATE category SET limit_value = :v WHERE code = '06010'",
         {"v": lambda rnd: rnd.choice([1, 2, 4, 8])}),
        ("UPDATE category SET name = :v WHERE code = '06010'",
         {"v": lambda rnd: rnd.choice(["垃圾未清运", "暴露垃圾", "垃圾堆放"])}),
        ("UPDATE grid SET retired_at = CASE WHEN retired_at IS NULL THEN :v END "
         "WHERE code = :code", {"v": lambda rnd: datetime(2026, 1, 1), "code": lambda rnd: GRID1}),
        ("UPDATE grid SET name = :v WHERE code = :code",
         {"v": lambda rnd: f"第一网格{rnd.randrange(100)}", "code": lambda rnd: GRID1}),
        ("UPDATE work_day SET is_workday = NOT is_workday WHERE day = :v",
         {"v": lambda rnd: today}),
    ]
    rnd = random.Random(8)
    served_kept = 0
    try:
        for _step in range(40):
            if rnd.random() < 0.4:
                sql, params = rnd.choice(changes)
                _elsewhere(world, sql, **{k: v(rnd) for k, v in params.items()})
                continue
            token = _token(world)
            served_kept += any(kept[0] == token for kept in store.values())
            if rnd.random() < 0.6:
                kept_answer = _report_outcome(worker)
                store.clear()
                assert kept_answer == _report_outcome(worker)
            else:
                kept_answer = _workbench_grids(page)
                store.clear()
                assert kept_answer == _workbench_grids(page)
    finally:  # the calendar is kept between tests
        if day_row is not None:
            _elsewhere(world, "UPDATE work_day SET is_workday = :w WHERE day = :d",
                       w=day_row[0], d=today)
    assert served_kept >= 10


def test_a_token_serves_only_its_own_transaction(world):
    """Nothing is kept without a caller's token (the CLI, the scheduler), after the
    transaction that read it ended (a request's write unit begins so), or while the session
    holds changes it has not written."""
    from events.models import Category
    with world.app_context():
        session = db.session()
        loads = []

        def load():
            loads.append(1)
            return len(loads)
        assert reference.kept("t", 1, load) == 1  # no token: read each time
        assert reference.kept("t", 1, load) == 2
        token = session.execute(text("SELECT token FROM reference_version")).scalar_one()
        reference.note(session, token)
        assert reference.kept("t", 1, load) == 3
        assert reference.kept("t", 1, load) == 3  # kept
        session.get(Category, 1) or pytest.fail("the demo catalogue has category 1")
        session.get(Category, 1).name = "改了名"  # not written yet
        assert reference.kept("t", 1, load) == 4
        session.rollback()
        assert reference.kept("t", 1, load) == 5  # the transaction ended: no token
        session.execute(text("SELECT 1"))
        reference.note(session, token)
        assert reference.kept("t", 1, load) == 3  # the same token again: what was kept


def test_every_reference_table_has_its_triggers(app):
    """A migration that rebuilds a table (SQLite's batch mode) drops its triggers, and the
    token would never change again: they are all there at head."""
    with app.app_context():
        if db.engine.dialect.name == "postgresql":
            names = db.session.execute(text(
                "SELECT tgname FROM pg_trigger WHERE NOT tgisinternal "
                "AND tgname LIKE '%\\_reference'")).scalars().all()
            expected = {f"{table}_reference" for table in reference.TABLES}
        else:
            names = db.session.execute(text(
                "SELECT name FROM sqlite_master WHERE type = 'trigger' "
                "AND name LIKE '%\\_reference\\_%' ESCAPE '\\'")).scalars().all()
            expected = {f"{table}_reference_{change}" for table in reference.TABLES
                        for change in ("insert", "update", "delete")}
    assert set(names) == expected


def test_made_up_codes_are_not_kept_and_a_broken_boundary_stops_one_grid(world, api):
    """Codes a request makes up cost a statement each and push nothing out; a boundary
    written past the import's check loses that grid only, not every report's."""
    worker = api("worker")
    store = world.extensions["gridgov.reference"]
    for n in range(5):
        answer = worker.post("/api/v1/events", json={
            "category_code": f"9999{n}", "lat": POINT_GRID1[0], "lon": POINT_GRID1[1],
            "description": "编造的类别"})
        assert answer.status_code == 422
        answer = worker.post("/api/v1/events", json={
            "category_code": "06010", "grid_code": f"99999999999999{n}",
            "lat": POINT_GRID1[0], "lon": POINT_GRID1[1], "description": "编造的网格"})
        assert answer.status_code == 422
    assert not [key for key in store if key[1] is not None and "9999" in str(key[1])]
    _elsewhere(world, "UPDATE grid SET boundary = '{not json' WHERE code = :code",
               code="220221101000002")
    answer = worker.post("/api/v1/events", json={
        "category_code": "06010", "lat": POINT_GRID1[0], "lon": POINT_GRID1[1],
        "description": "垃圾堆放在路边"})
    assert answer.status_code == 201 and answer.get_json()["grid_code"] == GRID1
