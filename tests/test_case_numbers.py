"""Case numbers name one case across the county (issue 9): the town's prefix heads each
number, every way a town is made gives it one, and older numbers were migrated."""
import pytest
from sqlalchemy import select, text
from sqlalchemy.exc import IntegrityError

from core.extensions import db
from events.models import Event
from grid.models import Region, case_prefix_candidates
from tests.factories import make_case, make_county, make_town
from tests.support import writing


def test_a_prefix_is_the_towns_short_name():
    assert next(case_prefix_candidates("清河镇")) == "清河"
    assert next(case_prefix_candidates("新华街道")) == "新华"
    assert next(case_prefix_candidates("满族乡")) == "满族"
    assert next(case_prefix_candidates("二道白河镇")) == "二道白河"
    assert next(case_prefix_candidates("长白朝鲜族自治县城关镇")) == "长白朝鲜"


def test_two_towns_of_one_name_number_apart(app):
    with writing(app):
        county = make_county()
        first = Region(code="990101101000", name="红石镇", level="town", parent=county,
                       path=county.path + "990101101000/")
        second = Region(code="990101102000", name="红石镇", level="town", parent=county,
                        path=county.path + "990101102000/")
        db.session.add_all([first, second])
        db.session.flush()
        assert (first.case_prefix, second.case_prefix) == ("红石", "红石01")
        third = Region(code="990101103000", name="红石镇", level="town", parent=county,
                       path=county.path + "990101103000/")
        db.session.add(third)
        db.session.flush()
        assert third.case_prefix == "红石02"


def test_numbers_of_different_towns_never_collide(app):
    with writing(app):
        one, two = make_town(grids=1), make_town(grids=1)
        a, b = make_case(one.grids[0]), make_case(two.grids[0])
        assert a.number != b.number
        assert a.number.endswith("-000001") and b.number.endswith("-000001")
        assert a.number.startswith(one.case_prefix + "-")
        assert b.number.startswith(two.case_prefix + "-")


def test_the_database_refuses_a_number_twice(app):
    with pytest.raises(IntegrityError), writing(app):
        one, two = make_town(grids=1), make_town(grids=1)
        a, b = make_case(one.grids[0]), make_case(two.grids[0])
        b.number = a.number
        db.session.flush()


def test_a_number_is_found_by_search(world, report, api):
    case = report("worker", description="柴草垛占道")
    found = api("admin").get("/api/v1/events", query_string={"q": case["number"]}).get_json()
    assert [item["id"] for item in found["items"]] == [case["id"]]
    serial = case["number"].split("-", 1)[1]  # 2026-000001 without the prefix finds it too
    found = api("admin").get("/api/v1/events", query_string={"q": serial}).get_json()
    assert case["id"] in [item["id"] for item in found["items"]]


def test_old_numbers_gain_their_towns_prefix(empty_database_url, tmp_path):
    """A county upgrading from 0011 keeps its cases; 2026-000001 becomes 清河-2026-000001."""
    from flask_migrate import downgrade, upgrade

    from tests.support import demo_database
    with demo_database(empty_database_url, tmp_path, cases=6):
        numbers = dict(db.session.execute(select(Event.id, Event.number)).all())
        db.session.remove()
        downgrade(revision="0011")
        old = dict(db.session.execute(text("SELECT id, number FROM event")).all())
        assert old and all(n.split("-", 1)[1] == old[i] for i, n in numbers.items())
        db.session.remove()
        upgrade()
        assert dict(db.session.execute(select(Event.id, Event.number)).all()) == numbers
        assert {n.split("-")[0] for n in numbers.values()} == {"清河", "柳湾"}


def test_reports_sent_at_once_are_numbered_without_gaps_or_repeats(world, live_server,
                                                                   token_for):
    """Forty reports from eight connections at once, through a real threaded server: every
    answer names its own case, and the town's numbers run 1…40 with its counter at 40."""
    import json
    import urllib.request
    from concurrent.futures import ThreadPoolExecutor

    from events.models import EventCounter
    from tests.support import POINT_GRID1
    token = token_for("worker")

    def create(index):
        body = json.dumps({"category_code": "06010", "lat": POINT_GRID1[0],
                           "lon": POINT_GRID1[1] + index * 1e-5,
                           "description": f"并发上报 {index}"}).encode()
        request = urllib.request.Request(f"{live_server}/api/v1/events", data=body, headers={
            "Authorization": f"Bearer {token}", "Content-Type": "application/json"})
        with urllib.request.urlopen(request, timeout=30) as answer:
            assert answer.status == 201
            return json.loads(answer.read())["number"]

    with ThreadPoolExecutor(8) as pool:
        numbers = list(pool.map(create, range(40)))
    assert len(set(numbers)) == 40
    serials = sorted(int(number.rsplit("-", 1)[1]) for number in numbers)
    assert serials == list(range(1, 41))
    assert all(number.startswith("清河-") for number in numbers)
    with world.app_context():
        assert db.session.scalars(select(EventCounter.last_number)).all() == [40]
