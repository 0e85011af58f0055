"""The grid worker's phone app (issue 10): home queue in tabs with counts, most urgent first;
巡查上报 filed directly with its photos, place and grid; only grid workers use it."""
import io
import re
from datetime import timedelta

import pytest
from PIL import Image
from sqlalchemy import select

from core import clock
from core.extensions import db
from events.models import Event
from tests.pagehelpers import text_of
from tests.support import POINT_GRID1, POINT_GRID2, query_plan, statements_during, writing


def _home(client, tab=None):
    page = text_of(client.get("/field/" + (f"?tab={tab}" if tab else "")))
    counts = dict((label, int(n)) for n, label in re.findall(
        r"<b>(\d+)</b><span>([^<]+)</span>", page))
    cases = re.findall(r'<li class="[^"]*">\s*<a href="/events/(\d+)"', page)
    return counts, [int(c) for c in cases], page


def test_the_home_shows_the_workers_queue_in_tabs_most_urgent_first(world, login_as, report,
                                                                     api):
    resident_like = [report("dispatcher", source="hotline", description=f"来电{i}")
                     for i in range(2)]  # 待核实 for the grid's worker
    own = report("worker", description="巡查发现")  # filed directly: the worker's own report
    handled = report("worker", description="待核查的")
    for step in (("dispatcher", "dispatch"), ("handler", "accept")):
        api(step[0]).act(handled["id"], step[1])
    api("handler").act(handled["id"], "handle", note="已处理")
    with writing(world):  # the second call is overdue: it leads
        db.session.get(Event, resident_like[1]["id"]).due_at = clock.utcnow() - timedelta(hours=1)
    counts, cases, page = _home(login_as("worker"))
    assert counts == {"待办": 3, "待核实": 2, "待核查": 1, "我的上报": 2, "超期": 1}
    assert cases[0] == resident_like[1]["id"]  # overdue first
    assert set(cases) == {resident_like[0]["id"], resident_like[1]["id"], handled["id"]}
    assert "清河镇第1网格" in page
    assert _home(login_as("worker"), "check")[1] == [handled["id"]]
    assert set(_home(login_as("worker"), "reported")[1]) == {own["id"], handled["id"]}
    assert _home(login_as("worker"), "overdue")[1] == [resident_like[1]["id"]]
    # another grid's worker sees none of it
    assert _home(login_as("w101002"))[0]["待办"] == 0


def test_an_empty_tab_says_so(world, login_as):
    _counts, cases, page = _home(login_as("worker"), "verify")
    assert cases == [] and "没有待核实的上报" in page


@pytest.mark.parametrize("who", ["dispatcher", "handler", "supervisor", "admin"])
def test_the_field_app_is_the_grid_workers(world, login_as, who):
    client = login_as(who)
    assert client.get("/field/").status_code == 403
    assert client.get("/field/report").status_code == 403


def _jpeg() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (80, 60), (10, 120, 10)).save(out, "JPEG")
    return out.getvalue()


def _photo(client) -> int:
    answer = client.post("/uploads", data={"file": (io.BytesIO(_jpeg()), "p.jpg")},
                         content_type="multipart/form-data",
                         headers={"Accept": "application/json"})
    assert answer.status_code == 201
    return answer.get_json()["id"]


def _patrol(client, **fields):
    page = client.get("/field/report").get_data(as_text=True)
    token = re.search(r'name="form_token" value="([^"]+)"', page).group(1)
    data = {"form_token": token, "category_code": "06010", "lat": str(POINT_GRID1[0]),
            "lon": str(POINT_GRID1[1]), "description": "路边垃圾堆", "grid_code": "",
            "address": "幸福路口", **fields}
    return client.post("/field/report", data=data)


def test_a_patrol_report_is_filed_directly_with_its_photo(world, login_as):
    worker = login_as("worker")
    photo = _photo(worker)
    response = _patrol(worker, photo_ids=str(photo))
    assert response.status_code == 302
    event_id = int(re.search(r"/events/(\d+)$", response.headers["Location"]).group(1))
    with world.app_context():
        event = db.session.get(Event, event_id)
        assert (event.source, event.state) == ("patrol", "filed")
        assert event.grid.code == "220221101000001"  # found from the position
        assert [a.id for a in event.attachments] == [photo]
    assert "已上报" in text_of(worker.get(response.headers["Location"]))


def test_a_refused_patrol_report_keeps_photo_and_text(world, login_as):
    worker = login_as("worker")
    photo = _photo(worker)
    refused = _patrol(worker, lat="", lon="", photo_ids=str(photo), description="桥下积水")
    assert refused.status_code == 422
    page = text_of(refused)
    assert "还没有位置" in page and "桥下积水" in page
    assert f'name="photo_ids" value="{photo}"' in page
    outside = _patrol(worker, lat=str(POINT_GRID2[0]), lon=str(POINT_GRID2[1]))
    assert outside.status_code in (403, 422)  # another grid's ground
    with world.app_context():
        assert db.session.scalars(select(Event.id)).all() == []


def test_a_patrol_report_near_an_open_one_asks_first(world, login_as):
    worker = login_as("worker")
    assert _patrol(worker).status_code == 302
    asked = _patrol(worker, description="又一堆")
    assert asked.status_code == 200 and "附近已有同类案件" in text_of(asked)
    assert _patrol(worker, description="又一堆", confirm_not_duplicate="1").status_code == 302


def test_the_tiles_put_the_workers_most_used_categories_first(world, login_as, report):
    for _ in range(3):
        report("worker", category_code="10002", point=(43.603, 126.486 + _ * 0.002))
    page = login_as("worker").get("/field/report").get_data(as_text=True)
    tiles = re.findall(r'<label class="tile"><input type="radio" name="category_code" '
                       r'value="(\d{5})"', page)
    assert tiles[0] == "10002" and len(tiles) == 9 and tiles[-1] == "99001"
    assert len(set(tiles)) == len(tiles)


def test_on_site_the_worker_rejects_for_a_reason_with_a_photo(world, login_as, report):
    from tests.pagehelpers import field_value, timeline
    case = report("dispatcher", source="hotline", description="来电说有垃圾")
    worker = login_as("worker")
    detail = worker.get(f"/events/{case['id']}")
    assert 'name="reason" value="不属于网格事项"' in detail.get_data(as_text=True)
    photo = _photo(worker)
    refused = worker.post(f"/events/{case['id']}/actions", data={
        "action": "reject", "reason": "其他", "note": "", "photo_ids": str(photo),
        "version": field_value(detail, "version")})
    assert refused.status_code == 422  # 其他 needs words; the photo stays with the form
    assert "选择“其他”时请写明原因" in text_of(refused)
    assert f'name="photo_ids" value="{photo}"' in text_of(refused)
    done = worker.post(f"/events/{case['id']}/actions", data={
        "action": "reject", "reason": "不属实", "note": "现场无垃圾", "photo_ids": str(photo),
        "version": field_value(detail, "version")})
    assert done.status_code == 302
    after = worker.get(f"/events/{case['id']}")
    assert timeline(after)[0] == "不予立案" and "不属实：现场无垃圾" in text_of(after)
    section = text_of(after).split('<section class="timeline">', 1)[1]
    assert f"/attachments/{photo}/thumb" in section


def test_a_check_without_the_workers_photo_is_refused_on_the_page(world, login_as, report, api):
    from tests.pagehelpers import field_value
    case = report("worker")
    api("dispatcher").act(case["id"], "dispatch")
    api("handler").act(case["id"], "accept")
    api("handler").act(case["id"], "handle", note="已清理", photo=True)
    worker = login_as("worker")
    detail = worker.get(f"/events/{case['id']}")
    page = text_of(detail)
    assert "处置照片（对照核查）" in page and "现场照片（必填）" in page
    refused = worker.post(f"/events/{case['id']}/actions", data={
        "action": "close", "note": "已整改", "version": field_value(detail, "version")})
    assert refused.status_code == 422 and "核查结案需附现场照片" in text_of(refused)
    assert "已整改" in text_of(refused)
    done = worker.post(f"/events/{case['id']}/actions", data={
        "action": "close", "note": "已整改", "photo_ids": str(_photo(worker)),
        "version": field_value(detail, "version")})
    assert done.status_code == 302


def test_the_grid_map_pins_the_open_cases_of_the_workers_grids(world, login_as, report, api):
    import json
    from html import unescape
    open_case = report("worker", description="还没处理")
    closed = report("worker", description="已经办完", point=(43.6035, 126.487))
    for who, action, extra in (("dispatcher", "dispatch", {}), ("handler", "accept", {}),
                               ("handler", "handle", {"note": "已清"}),
                               ("worker", "close", {"note": "合格", "photo": True})):
        assert api(who).act(closed["id"], action, **extra).status_code == 200
    report("w101002", point=POINT_GRID2)  # another grid's case
    page = login_as("worker").get("/field/map").get_data(as_text=True)
    pins = json.loads(unescape(re.search(r"data-pins='([^']*)'", page).group(1)))
    assert [pin["number"] for pin in pins] == [open_case["number"]]
    assert pins[0]["url"] == f"/events/{open_case['id']}" and pins[0]["color"] in (
        "green", "yellow", "red")
    marks = json.loads(unescape(re.search(r"data-marks='([^']*)'", page).group(1)))
    assert len(marks) == 2  # the grid's QR points
    assert login_as("dispatcher").get("/field/map").status_code == 403


def test_the_field_app_installs_to_the_home_screen(world, client):
    manifest = client.get("/field/manifest.webmanifest")
    assert manifest.mimetype == "application/manifest+json"
    body = manifest.get_json(force=True)
    assert (body["start_url"], body["scope"], body["display"]) == ("/field/", "/field/",
                                                                    "standalone")
    sizes = set()
    for icon in body["icons"]:
        with client.get(icon["src"]) as image:  # a static file: closed when read
            assert image.status_code == 200 and image.mimetype == "image/png"
        sizes.add(icon["sizes"])
    assert {"192x192", "512x512"} <= sizes
    worker = client.get("/field/sw.js")
    assert worker.mimetype == "text/javascript" and worker.headers["Cache-Control"] == "no-cache"
    source = worker.get_data(as_text=True)
    assert "__VERSION__" not in source and re.search(r"gridgov-field-[0-9a-f]{12}", source)
    # every file the worker keeps for the shell exists
    for url in re.findall(r"'(/static/[^']+)'", source):
        with client.get(url) as kept:
            assert kept.status_code == 200, url


def test_an_action_sent_again_from_the_phone_changes_nothing(world, login_as, report):
    """The phone sends its kept 核实 again (the first answer was lost): one verify, one photo."""
    from events.models import Attachment, EventLog
    from sqlalchemy import func
    from tests.pagehelpers import field_value, timeline
    case = report("dispatcher", source="hotline", description="来电：桥下垃圾")
    worker = login_as("worker")
    detail = worker.get(f"/events/{case['id']}")
    key = field_value(detail, "action_key")
    assert re.fullmatch(r"[0-9a-f]{32}", key)
    form = {"action": "verify", "note": "属实", "version": field_value(detail, "version"),
            "action_key": key}
    for _ in range(2):
        sent = worker.post(f"/events/{case['id']}/actions", data={
            **form, "photos": (io.BytesIO(_jpeg()), "site.jpg")},
            content_type="multipart/form-data")
        assert sent.status_code == 302  # both times: done
    after = worker.get(f"/events/{case['id']}")
    assert timeline(after) == ["核实立案", "上报"]
    with world.app_context():
        logs = db.session.scalars(select(EventLog).where(
            EventLog.event_id == case["id"], EventLog.action == "verify")).all()
        assert len(logs) == 1
        assert db.session.scalar(select(func.count()).select_from(Attachment).where(
            Attachment.event_id == case["id"])) == 1  # the second photo was never stored
    # the same key on another action is no replay: the case moved on, so it is refused
    other = worker.post(f"/events/{case['id']}/actions", data={
        **form, "action": "reject", "reason": "不属实", "note": "误报"})
    assert other.status_code == 409 and "案件已被他人修改" in text_of(other)
    assert worker.post(f"/events/{case['id']}/actions", data={
        **form, "action_key": "k" * 129}).status_code == 422


def test_the_case_page_is_part_of_the_field_app_for_a_worker(world, login_as, report):
    case = report("dispatcher", source="hotline", description="来电：桥下垃圾")
    page = text_of(login_as("worker").get(f"/events/{case['id']}"))
    assert 'class="field-bar"' in page and 'id="outbox"' in page  # its bar and its outbox
    assert re.search(r'<form [^>]*data-queue="核实立案 [^"]+"', page)
    assert f'data-open="/events/{case["id"]}"' in page
    desk = text_of(login_as("dispatcher").get(f"/events/{case['id']}"))
    assert "field-bar" not in desk and "data-queue" not in desk and "action_key" not in desk


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)  # SQLite's plan
def test_the_homes_counts_read_the_grids_cases_by_state_from_an_index(world, login_as, report):
    """The tabs' counts on a worker's home read only the grid's cases in their states
    (ix_event_grid_state), not every case the grid ever had: at a million cases (45,000 in
    the grid) the page took 202 ms, 8 ms with the index. SQLite's planner keeps no
    statistics, so the schema alone decides its choice; PostgreSQL's follows the statistics
    of the tests' tiny tables, which say nothing of a grid's history."""
    report("worker")
    phone = login_as("worker")
    with world.app_context():
        engine = db.engine
    counts = [(statement, parameters) for statement, parameters
              in statements_during(engine, lambda: phone.get("/field/"))
              if statement.startswith("SELECT count(*)") and "FROM event" in statement
              and "INDEXED BY ix_event_state" not in statement]  # the 待办 list's queue size
    assert len(counts) == 5  # 待办, 待核实, 待核查, 我的上报, 超期
    with world.app_context():
        connection = db.session.connection()
        plans = [query_plan(connection, statement, parameters)
                 for statement, parameters in counts if "due_at <" not in statement]
    assert len(plans) == 4
    for plan in plans:
        assert "ix_event_grid_state" in plan, plan
