"""The workbench's search (`q`) led by the bigram index (issue 8): the same cases with the
index as without it, on SQLite and PostgreSQL — before the scheduler's cycle indexes new
cases and after, when words change, when a case is deleted, and after the migration."""
import pytest
from sqlalchemy import delete, select, text

from core import textsearch
from core.extensions import db
from core.scheduler import run_cycle
from events import search
from events.models import Event
from tests.support import statements_during, writing

CASES = [  # description, address
    ("路灯不亮，晚上一片漆黑", "清河大街3号楼"),
    ("垃圾堆放在路边无人清运", "北二道街"),
    ("积雪未清，路面结冰", "3号楼东侧"),
    ("电线缠绕在树上 cable", "文化广场"),
    ("雪糕摊占道经营", ""),
    ("ᦵᦲ 路口积水", ""),  # New Tai Lue vowel signs: letters to Python, not to SQLite's FTS5
]
QUERIES = ["路灯", "路", "雪", "积雪未清", "3号楼", "3号 楼", "cable", "able", "清运", "楼东",
           "无此词语", "，", "-", "街3", "2026", "ᦵ", "ᦵᦲ", "ᦲ 路口"]


@pytest.fixture
def found(api):
    """found(words, role="admin") -> the ids the list API answers for `q=words`, sorted."""
    def search_for(words: str, role: str = "admin") -> list[int]:
        response = api(role).get("/api/v1/events", query_string={"q": words, "limit": 100})
        assert response.status_code == 200, response.get_json()
        return sorted(item["id"] for item in response.get_json()["items"])
    return search_for


def _expected(cases: list[dict], words: str) -> list[int]:
    return sorted(case["id"] for case in cases
                  if any(words in (case[field] or "")
                         for field in ("number", "address", "description")))


@pytest.fixture
def cases(world, report):
    return [report("worker", description=description, address=address)
            for description, address in CASES]


def _index(world) -> str:
    return run_cycle(world)


def test_terms_are_bigrams_of_runs_and_their_characters():
    def readable(found):  # the terms as characters (FTS5 gets their code points in hex)
        return found and " ".join("".join(chr(int(t[i:i + 6], 16)) for i in range(0, len(t), 6))
                                  for t in found.replace('"', "").split(" ") if t != "AND")
    assert readable(textsearch.terms("清河-2026", None, "路灯 OK")) == \
        "清河 20 02 26 路灯 ok 清 河 2 0 6 路 灯 o k"
    assert textsearch.terms("路") == "008def"
    assert readable(textsearch.match_expression("路灯")) == "路灯"
    assert textsearch.match_expression("积雪未清").count(" ") == 2  # one phrase of 3 bigrams
    assert textsearch.match_expression("3号 楼").count(" AND ") == 1
    assert textsearch.match_expression("A_b") == '"000061" AND "000062"'  # LIKE: _ literal
    assert textsearch.match_expression("，—") is None


def test_search_answers_what_like_answers_before_and_after_indexing(world, cases, found,
                                                                    monkeypatch):
    """Every query, on cases not yet indexed (just reported), then indexed by the cycle,
    then with the index's lead turned off (every word "common"): the same cases, those
    holding the words."""
    before = {words: found(words) for words in QUERIES}
    monkeypatch.setattr(search, "BATCH", 2)  # the round's units of work, several
    line = _index(world)
    after = {words: found(words) for words in QUERIES}
    monkeypatch.setattr(search, "RARE", 0)
    unled = {words: found(words) for words in QUERIES}
    for words in QUERIES:
        assert before[words] == after[words] == unled[words] == _expected(cases, words), words
    assert before["路灯"] == [cases[0]["id"]]
    assert before["雪"] == sorted([cases[2]["id"], cases[4]["id"]])
    assert before["3号 楼"] == []
    with world.app_context():
        if db.engine.dialect.name == "sqlite":
            assert f"search: {len(CASES)} cases indexed" in line
            mark = db.session.execute(text("SELECT indexed_to FROM event_search_mark")).scalar()
            assert mark == max(case["id"] for case in cases)
            assert _index(world).count("search:") == 0  # nothing new: nothing to do


def test_an_indexed_case_is_found_by_its_new_words_not_its_old(world, cases, found):
    _index(world)
    with writing(world):
        case = db.session.get(Event, cases[1]["id"])
        case.description = "井盖缺失，行人易跌落"
        case.address = "新华路口"
    assert found("井盖") == [cases[1]["id"]]
    assert found("新华路") == [cases[1]["id"]]
    assert found("垃圾") == []
    assert found("北二道") == []


def test_a_deleted_newest_case_leaves_no_gap_for_the_next(world, cases, report, found):
    """SQLite hands the newest id out again once its case is deleted: the next case under
    that id must be found by its own words, not taken for indexed — also when the cases after
    the mark, never indexed, are deleted after it."""
    def remove(ident):
        for table in ("event_log", "notification", "attachment"):
            db.session.execute(text(f"DELETE FROM {table} WHERE event_id = :i"), {"i": ident})
        db.session.execute(delete(Event).where(Event.id == ident))

    _index(world)
    newest = cases[-1]["id"]
    with writing(world):
        remove(newest)
    assert found("路口积水") == []
    first = report("worker", description="违停车辆堵路")
    assert found("违停") == [first["id"]]
    _index(world)
    later = [report("worker", description=f"井盖缺失 {n}")["id"] for n in (1, 2)]
    with writing(world):  # the indexed newest, then the two after the mark
        for ident in (first["id"], later[1], later[0]):
            remove(ident)
    again = report("worker", description="违停三轮车")
    with world.app_context():
        if db.engine.dialect.name == "sqlite":
            assert again["id"] == first["id"]  # the id handed out again
    assert found("违停") == [again["id"]]
    assert found("井盖") == []
    _index(world)
    assert found("违停") == [again["id"]]
    assert found("三轮") == [again["id"]]


def test_the_index_is_rebuilt_on_demand_and_its_triggers_stand(world, cases, found, runner):
    """`flask search-rebuild` (after an upgrade of Python, whose Unicode tables split the
    text) fills the index again; the triggers that mend it are there after every migration
    (SQLite's batch table rebuilds would drop them silently)."""
    result = runner.invoke(args=["search-rebuild"])
    assert result.exit_code == 0, result.output
    with world.app_context():
        if db.engine.dialect.name == "sqlite":
            assert f"search index: {len(CASES)} cases indexed" in result.output
            triggers = set(db.session.execute(text(
                "SELECT name FROM sqlite_master WHERE type = 'trigger' "
                "AND tbl_name = 'event'")).scalars())
            assert {"event_search_update", "event_search_delete"} <= triggers
        else:
            assert "search index: 0 cases indexed" in result.output
    assert found("路灯") == [cases[0]["id"]]
    assert found("ᦵᦲ") == [cases[5]["id"]]


def test_a_rare_word_reads_only_its_cases(world, cases, api):
    """SQLite: the list statement reads the matching cases by id, not the town's cases in
    order (a dispatcher's 1.2 s at a million); PostgreSQL: it asks the GIN expression."""
    _index(world)
    with world.app_context():
        engine = db.engine
    seen = statements_during(engine, lambda: api("dispatcher").get(
        "/api/v1/events", query_string={"q": "路灯"}))
    lists = [(sql, params) for sql, params in seen if "FROM event" in sql and "LIKE" in sql]
    assert lists
    with world.app_context():
        if engine.dialect.name == "sqlite":
            with engine.connect() as connection:
                textsearch.register(connection.connection.dbapi_connection)
                for sql, params in lists:
                    plan = connection.exec_driver_sql(f"EXPLAIN QUERY PLAN {sql}",
                                                      params).all()
                    steps = " ".join(str(row[-1]) for row in plan)
                    assert "SEARCH event USING INTEGER PRIMARY KEY" in steps, steps
                    assert "ix_event_town_created" not in steps and "ix_event_due" not in steps
        else:  # the statement's test is the index's expression: the planner may use it
            assert all("gridgov_terms(event.number, event.address, event.description) @@"
                       in sql for sql, _ in lists)
            narrowed = search.narrow(select(Event.id), "路灯").compile(
                engine, compile_kwargs={"literal_binds": True})
            with engine.connect() as connection:  # tiny tables: no scan but a bitmap one
                connection.exec_driver_sql("SET enable_seqscan = off")
                connection.exec_driver_sql("SET enable_indexscan = off")
                plan = " ".join(row[0] for row in connection.exec_driver_sql(
                    f"EXPLAIN {narrowed}"))
            assert "Bitmap Index Scan on ix_event_search" in plan, plan


def test_the_migration_indexes_the_cases_already_there(empty_database_url, tmp_path):
    from flask_migrate import downgrade, upgrade

    from tests.support import demo_database
    with demo_database(empty_database_url, tmp_path, cases=12):
        downgrade(revision="0036")
        upgrade()
        some = db.session.scalars(select(Event).order_by(Event.id)).first()
        words = some.description[:2]
        holding = {event.id for event in db.session.scalars(select(Event))
                   if words in event.description or words in (event.address or "")
                   or words in event.number}
        statement = search.narrow(select(Event.id), words)
        assert set(db.session.scalars(statement)) == holding
        if db.engine.dialect.name == "sqlite":
            newest = db.session.scalar(select(Event.id).order_by(Event.id.desc()))
            assert db.session.execute(
                text("SELECT indexed_to FROM event_search_mark")).scalar() == newest
            indexed = db.session.execute(
                text("SELECT rowid FROM event_search WHERE event_search MATCH :m"),
                {"m": textsearch.match_expression(words)}).scalars().all()
            assert set(indexed) >= holding
