"""热线受理 (issue 9): a dispatcher records a call — caller, category, place on the grid map
or grid + address, description — and reads the 查询码 back; a repeat caller's number finds
their earlier cases; the caller's contact stays masked for everyone but the desk."""
import re

import pytest
from sqlalchemy import select

from core.extensions import db
from events.models import Event
from grid.locate import point_in_grid
from grid.models import Grid
from tests.pagehelpers import text_of
from tests.support import POINT_GRID1, POINT_GRID2, writing

GRID1, GRID2 = "220221101000001", "220221101000002"


def _call(client, **fields):
    page = client.get("/hotline")
    assert page.status_code == 200
    token = re.search(r'name="form_token" value="([^"]+)"', page.get_data(as_text=True))
    data = {"form_token": token.group(1), "caller_phone": "138-1234-1234",
            "caller_name": "王大爷", "category_code": "06010",
            "description": "幸福路口垃圾两天没人清", "grid_code": GRID1,
            "address": "幸福路与建设街交汇处", **fields}
    return client.post("/hotline", data={k: v for k, v in data.items() if v is not None})


def _case(app, event_id):
    with app.app_context():
        event = db.session.get(Event, event_id)
        db.session.expunge(event)
        return event


def _done_id(response) -> int:
    assert response.status_code == 302, text_of(response)[:800]
    return int(re.search(r"/hotline\?done=(\d+)$", response.headers["Location"]).group(1))


def test_a_call_becomes_a_case_awaiting_verification_with_a_code_to_read_back(
        world, login_as, api):
    desk = login_as("dispatcher")
    event_id = _done_id(_call(desk))
    event = _case(world, event_id)
    assert (event.source, event.state) == ("hotline", "reported")
    assert (event.reporter_name, event.reporter_phone) == ("王大爷", "13812341234")
    assert event.address == "幸福路与建设街交汇处"
    with world.app_context():  # only a grid was chosen: the case sits inside it
        grid = db.session.scalar(select(Grid).where(Grid.code == GRID1))
        assert event.grid_id == grid.id and point_in_grid(grid, event.lat, event.lon)
    receipt = text_of(desk.get(f"/hotline?done={event_id}"))
    code = event.tracking_code
    assert re.fullmatch(r"[2-9A-Z]{10}", code)
    assert f'data-code="{code}"' in receipt and f"<span>{code[:5]}</span>" in receipt
    assert event.number in receipt and "请向来电人复述查询码" in receipt
    # the case waits on the grid's worker, and the caller can follow it with the code
    worker_queue = api("worker").get("/api/v1/events?mine=1").get_json()["items"]
    assert event.number in {item["number"] for item in worker_queue}
    assert "待核实" in text_of(world.test_client().get(f"/t/{code}"))


def test_a_pin_on_the_map_finds_its_grid(world, login_as):
    desk = login_as("dispatcher")
    event = _case(world, _done_id(_call(desk, grid_code="", lat=str(POINT_GRID2[0]),
                                        lon=str(POINT_GRID2[1]))))
    with world.app_context():
        assert db.session.get(Grid, event.grid_id).code == GRID2
    assert (event.lat, event.lon) == POINT_GRID2


@pytest.mark.parametrize("fields, message", [
    ({"caller_phone": ""}, "请填写来电号码"),
    ({"caller_phone": "12345"}, "来电号码无效"),
    ({"caller_phone": "１３８abc"}, "来电号码无效"),
    ({"grid_code": ""}, "请在地图上点选位置，或选择网格并填写地址"),
    ({"category_code": None}, "问题类别"),
    ({"description": "   "}, "问题描述"),
    ({"caller_name": "长" * 33}, "来电人"),
    ({"grid_code": "", "lat": "43.9", "lon": "126.1"}, "不在"),
])
def test_a_call_with_a_mistake_is_refused_clearly_and_keeps_what_was_typed(
        world, login_as, fields, message):
    desk = login_as("dispatcher")
    response = _call(desk, **fields)
    assert response.status_code == 422
    page = text_of(response)
    error = page.split('<p class="error" role="alert">', 1)[1].split("</p>", 1)[0]
    assert message in error
    typed = {"caller_name": "王大爷", "description": "幸福路口垃圾两天没人清", **fields}
    if typed["description"].strip():
        assert typed["description"] in page
    with world.app_context():
        assert db.session.scalar(select(Event.id).where(Event.source == "hotline")) is None


def test_a_call_about_a_problem_already_reported_nearby_asks_first(world, login_as):
    desk = login_as("dispatcher")
    first = _case(world, _done_id(_call(desk)))
    asked = _call(desk, description="又来电反映同一处垃圾")
    assert asked.status_code == 200
    warning = text_of(asked).split('<section class="warning"', 1)[1].split("</section>")[0]
    assert first.number in warning and "确认不是重复案件，继续受理" in warning
    assert "又来电反映同一处垃圾" in text_of(asked)  # nothing typed is lost
    _done_id(_call(desk, description="又来电反映同一处垃圾", confirm_not_duplicate="1"))


def test_the_same_call_sent_twice_is_one_case(world, login_as):
    desk = login_as("dispatcher")
    page = desk.get("/hotline").get_data(as_text=True)
    token = re.search(r'name="form_token" value="([^"]+)"', page).group(1)
    first = _done_id(_call(desk, form_token=token))
    assert _done_id(_call(desk, form_token=token)) == first
    with world.app_context():
        assert len(db.session.scalars(select(Event.id)).all()) == 1


def test_a_repeat_callers_number_finds_their_earlier_cases(world, login_as):
    desk = login_as("dispatcher")
    first = _case(world, _done_id(_call(desk, description="第一次来电")))
    again = {"confirm_not_duplicate": "1"}  # same place, same problem: the desk confirms
    second = _case(world, _done_id(_call(desk, caller_phone="+86 138 1234 1234",
                                          description="第二次来电", **again)))
    _done_id(_call(desk, caller_phone="13900000000", description="别人的来电", **again))
    found = desk.get("/hotline/calls?phone=13812341234").get_json()
    assert [item["number"] for item in found["items"]] == [second.number, first.number]
    assert found["items"][0]["state"] == "待核实"
    assert found["items"][0]["url"] == f"/events/{second.id}"
    assert desk.get("/hotline/calls?phone=123").get_json()["items"] == []  # too short to ask
    # another town's desk does not see this town's callers
    assert login_as("dispatcher2").get("/hotline/calls?phone=13812341234").get_json()[
        "items"] == []


@pytest.mark.parametrize("who", ["worker", "handler", "supervisor"])
def test_only_the_desk_takes_calls(world, login_as, who):
    client = login_as(who)
    assert client.get("/hotline").status_code == 403
    assert client.get("/hotline/calls?phone=13812341234").status_code == 403
    assert "热线受理" not in text_of(client.get("/events"))


def test_the_desk_sees_the_code_and_the_number_others_see_them_masked(world, login_as, api):
    event = _case(world, _done_id(_call(login_as("dispatcher"))))
    desk = text_of(login_as("dispatcher").get(f"/events/{event.id}"))
    assert "来电人" in desk and "王大爷 13812341234" in desk and event.tracking_code in desk
    worker = text_of(login_as("worker").get(f"/events/{event.id}"))
    assert "13812341234" not in worker and event.tracking_code not in worker
    assert "138****1234" in worker
    assert api("dispatcher").get(f"/api/v1/events/{event.id}").get_json()[
        "tracking_code"] == event.tracking_code
    answer = api("worker").get(f"/api/v1/events/{event.id}").get_json()
    assert answer["tracking_code"] is None and answer["reporter"]["phone"] == "138****1234"


def test_the_api_takes_a_caller_only_on_a_hotline_report(world, api):
    body = {"category_code": "06010", "lat": POINT_GRID1[0], "lon": POINT_GRID1[1],
            "description": "来电反映垃圾", "caller_phone": "0432-6488 1234"}
    made = api("dispatcher").post("/api/v1/events", json={**body, "source": "hotline"})
    assert made.status_code == 201
    assert made.get_json()["reporter"] == {"name": "", "phone": "043264881234"}
    refused = api("worker").post("/api/v1/events", json=body)  # a worker's patrol report
    assert refused.status_code == 422 and "caller_phone" in refused.get_json()["fields"]


def test_a_bad_number_and_a_missing_place_are_named_together(world, login_as):
    response = _call(login_as("dispatcher"), caller_phone="12", grid_code="")
    assert response.status_code == 422
    error = text_of(response).split('<p class="error" role="alert">', 1)[1].split("</p>")[0]
    assert "来电号码无效" in error and "请在地图上点选位置" in error


@pytest.mark.parametrize("done", ["²", "abc", "99999999999", "0", "-1"])
def test_an_odd_receipt_link_shows_the_blank_form(world, login_as, done):
    page = login_as("dispatcher").get(f"/hotline?done={done}")
    assert page.status_code == 200 and 'class="received"' not in text_of(page)


def test_a_receipt_is_only_for_the_desk_that_took_the_call(world, login_as, api):
    event = _case(world, _done_id(_call(login_as("dispatcher"))))
    admin = login_as("admin")  # sees the case, did not take the call
    assert 'class="received"' not in text_of(admin.get(f"/hotline?done={event.id}"))
    old = api("dispatcher").post("/api/v1/events", json={  # a hotline case of before: no code
        "category_code": "06001", "lat": POINT_GRID2[0], "lon": POINT_GRID2[1],
        "source": "hotline", "description": "旧的热线案件"}).get_json()
    with writing(world):
        db.session.get(Event, old["id"]).tracking_code = None
    page = login_as("dispatcher").get(f"/hotline?done={old['id']}")
    assert page.status_code == 200 and 'class="received"' not in text_of(page)
