"""Staff pages through the test client: what a logged-in person sees and can do."""
import io
import re
from html import unescape

import pytest
from PIL import Image
from sqlalchemy import func, select

from core import create_app
from core.extensions import db
from events.models import Event
from tests.conftest import DEMO_PASSWORD, POINT_GRID1, POINT_GRID2, _config


# --- helpers -------------------------------------------------------------------------------

def text_of(response) -> str:
    return unescape(response.get_data(as_text=True))


def action_buttons(response) -> set[str]:
    """The labels of the action buttons (<summary class="button…">) on a detail page."""
    return set(re.findall(r'<summary class="button[^"]*">([^<]+)</summary>',
                          response.get_data(as_text=True)))


def primary_action(response) -> str | None:
    """The highlighted next step (there is at most one)."""
    found = re.findall(r'<summary class="button primary">([^<]+)</summary>',
                       response.get_data(as_text=True))
    assert len(found) <= 1
    return found[0] if found else None


def timeline(response) -> list[str]:
    """Action labels in the 流转记录 section, newest first, as shown."""
    page = response.get_data(as_text=True)
    section = page.split('<section class="timeline">', 1)[1]
    return re.findall(r"<strong>([^<]+)</strong>", section)


def state_badge(response) -> str:
    match = re.search(r'<span class="state state-\w+">([^<]+)</span>',
                      response.get_data(as_text=True))
    return match.group(1)


def field_value(response, name: str) -> str:
    match = re.search(rf'name="{name}"[^>]*value="([^"]*)"', response.get_data(as_text=True))
    return unescape(match.group(1)) if match else ""


def jpeg_bytes(size=(64, 48), color=(200, 80, 40)) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", size, color).save(out, "JPEG")
    return out.getvalue()


def count_events(app) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count(Event.id)))


@pytest.fixture
def login(world):
    """login(username) -> a fresh test client with that user's session."""
    def make(username, password=DEMO_PASSWORD):
        client = world.test_client()
        response = client.post("/login", data={"username": username, "password": password})
        assert response.status_code == 302, text_of(response)
        return client
    return make


@pytest.fixture
def new_case_form():
    """new_case_form(client, **fields) -> POST /events/new as a browser would send the form:
    a fresh form_token and the grid preselected in the grid list."""
    def post(client, **fields):
        page = client.get("/events/new")
        assert page.status_code == 200
        lat, lon = fields.pop("point", POINT_GRID1)
        grid_list = re.search(r'<select name="grid_code">\s*<option value="([^"]*)"',
                              page.get_data(as_text=True))
        data = {"form_token": field_value(page, "form_token"), "grid_code": grid_list.group(1),
                "category_code": "06010", "lat": str(lat), "lon": str(lon),
                "description": "路边堆放生活垃圾", **fields}
        return client.post("/events/new", data=data, content_type="multipart/form-data")
    return post


# --- login ---------------------------------------------------------------------------------

def test_login_page_is_in_chinese(client):
    response = client.get("/login")
    assert response.status_code == 200
    page = text_of(response)
    assert '<html lang="zh-CN">' in page
    assert "<h1>登录</h1>" in page
    assert "用户名" in page and "密码" in page


def test_pages_send_anonymous_visitors_to_login(world):
    response = world.test_client().get("/events?mine=1")
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/login?next=")


@pytest.mark.parametrize("username", ["worker", "nobody"])
def test_wrong_password_or_unknown_user_is_refused_with_one_message(world, username):
    client = world.test_client()
    response = client.post("/login", data={"username": username, "password": "wrong-password"})
    assert response.status_code == 401
    assert "用户名或密码错误" in text_of(response)
    assert client.get("/events").status_code == 302  # still not logged in


def test_five_failures_lock_the_account_even_for_the_right_password(world):
    client = world.test_client()
    for _ in range(5):
        response = client.post("/login", data={"username": "worker", "password": "wrong"})
        assert response.status_code == 401
        assert "用户名或密码错误" in text_of(response)
    response = client.post("/login", data={"username": "worker", "password": DEMO_PASSWORD})
    assert response.status_code == 401
    assert "锁定" in text_of(response)
    assert client.get("/events").status_code == 302
    # another account is not affected
    other = world.test_client().post("/login", data={"username": "dispatcher",
                                                      "password": DEMO_PASSWORD})
    assert other.status_code == 302


def test_login_lands_on_my_queue_with_a_safe_session_cookie(world):
    client = world.test_client()
    response = client.post("/login", data={"username": "worker", "password": DEMO_PASSWORD})
    assert response.status_code == 302
    cookie = next(c for c in response.headers.getlist("Set-Cookie") if c.startswith("session="))
    assert "HttpOnly" in cookie
    assert "SameSite=Lax" in cookie
    queue = client.get(response.headers["Location"], follow_redirects=True)
    assert queue.status_code == 200
    assert "<h1>我的待办</h1>" in text_of(queue)
    assert queue.request.args.get("mine") == "1"


def test_login_does_not_redirect_to_another_site(world):
    client = world.test_client()
    response = client.post("/login?next=//evil.example/steal",
                           data={"username": "worker", "password": DEMO_PASSWORD})
    assert response.status_code == 302
    assert "evil.example" not in response.headers["Location"]


def test_login_follows_a_local_next(world):
    client = world.test_client()
    response = client.post("/login?next=/events/new",
                           data={"username": "worker", "password": DEMO_PASSWORD})
    assert response.headers["Location"] == "/events/new"


def test_logout_ends_the_session(login):
    client = login("worker")
    response = client.post("/logout", follow_redirects=True)
    assert "已退出登录" in text_of(response)
    assert client.get("/events").status_code == 302


def test_forms_without_csrf_token_are_refused(world, database_url, tmp_path, report):
    case = report("worker")
    config = _config(database_url, tmp_path / "csrf-uploads")
    config["WTF_CSRF_ENABLED"] = True
    app = create_app(config)
    try:
        client = app.test_client()
        refused = client.post("/login", data={"username": "worker", "password": DEMO_PASSWORD})
        assert refused.status_code == 400
        assert client.get("/events").status_code == 302  # not logged in

        page = client.get("/login")
        token = field_value(page, "csrf_token")
        assert token
        accepted = client.post("/login", data={"username": "dispatcher",
                                               "password": DEMO_PASSWORD, "csrf_token": token})
        assert accepted.status_code == 302

        forged = client.post(f"/events/{case['id']}/actions",
                             data={"action": "dispatch", "version": case["version"]})
        assert forged.status_code == 400
        assert state_badge(client.get(f"/events/{case['id']}")) == "已立案"
    finally:
        with app.app_context():
            db.engine.dispose()


# --- lists and queues ----------------------------------------------------------------------

def test_case_list_shows_only_cases_of_the_users_grids(login, report):
    mine = report("worker", description="一号网格的垃圾")
    theirs = report("w101002", point=POINT_GRID2, description="二号网格的垃圾")
    worker = login("worker")
    page = text_of(worker.get("/events"))
    assert mine["number"] in page
    assert theirs["number"] not in page
    assert worker.get(f"/events/{theirs['id']}").status_code == 404
    assert worker.get(f"/events/{mine['id']}").status_code == 200
    # and the other grid's worker the other way round
    other = text_of(login("w101002").get("/events"))
    assert theirs["number"] in other and mine["number"] not in other


def test_dispatchers_queue_shows_filed_cases_not_reported_ones(login, report):
    filed = report("worker")
    reported = report("dispatcher", point=POINT_GRID2, description="热线：路灯不亮")
    assert (filed["state"], reported["state"]) == ("filed", "reported")
    dispatcher = login("dispatcher")
    queue = text_of(dispatcher.get("/events?mine=1"))
    assert filed["number"] in queue
    assert reported["number"] not in queue
    everything = text_of(dispatcher.get("/events"))
    assert filed["number"] in everything and reported["number"] in everything


def test_empty_queue_says_so(login):
    page = text_of(login("handler").get("/events?mine=1"))
    assert "没有案件" in page


# --- detail page and actions ---------------------------------------------------------------

def test_detail_shows_exactly_the_allowed_actions(login, report, api):
    case = report("worker")
    detail = login("dispatcher").get(f"/events/{case['id']}")
    assert state_badge(detail) == "已立案"
    assert action_buttons(detail) == {"派遣", "不予立案", "挂账", "备注"}
    assert primary_action(detail) == "派遣"  # the next step leads, not 不予立案

    worker_view = login("worker").get(f"/events/{case['id']}")
    assert action_buttons(worker_view) == {"备注"}
    assert primary_action(worker_view) is None

    api("dispatcher").act(case["id"], "dispatch")
    handler = login("handler")
    handler_view = handler.get(f"/events/{case['id']}")
    assert state_badge(handler_view) == "已派遣"
    assert action_buttons(handler_view) == {"签收", "回退", "备注"}
    assert primary_action(handler_view) == "签收"

    api("handler").act(case["id"], "accept")
    accepted = handler.get(f"/events/{case['id']}")
    assert action_buttons(accepted) == {"处置反馈", "回退", "申请延期", "备注"}
    assert primary_action(accepted) == "处置反馈"


def test_dispatch_through_the_form_moves_the_case_and_the_timeline(login, report):
    case = report("worker")
    dispatcher = login("dispatcher")
    detail = dispatcher.get(f"/events/{case['id']}")
    suggested = re.search(r'<option value="([^"]+)" selected>([^<]+)（建议）</option>',
                          detail.get_data(as_text=True))
    assert suggested, "the routing rule's department is pre-selected"
    response = dispatcher.post(f"/events/{case['id']}/actions", data={
        "action": "dispatch", "department_code": suggested.group(1), "note": "请尽快清理",
        "version": field_value(detail, "version")})
    assert response.status_code == 302
    after = dispatcher.get(response.headers["Location"])
    page = text_of(after)
    assert state_badge(after) == "已派遣"
    assert "已派遣" in page.split('<p class="flash"', 1)[1].split("</p>", 1)[0]
    assert timeline(after) == ["派遣", "上报"]
    assert suggested.group(2) in page.split('<section class="timeline">', 1)[1]
    assert "请尽快清理" in page
    # the department's handler now finds it in their queue
    assert case["number"] in text_of(login("handler").get("/events?mine=1"))


def test_missing_note_rerenders_with_an_error_and_keeps_typed_values(login, report, api):
    case = report("worker")
    api("dispatcher").act(case["id"], "dispatch")
    api("handler").act(case["id"], "accept")
    handler = login("handler")
    detail = handler.get(f"/events/{case['id']}")
    response = handler.post(f"/events/{case['id']}/actions", data={
        "action": "request_extension", "hours": "8", "note": "   ",
        "version": field_value(detail, "version")})
    assert response.status_code == 422
    page = text_of(response)
    assert "「申请延期」需要填写说明" in page
    assert 'name="hours" type="number" min="0.5" max="240" step="0.5" required value="8"' in page
    assert state_badge(response) == "处置中"
    assert "延期申请" not in page  # nothing was recorded
    assert timeline(handler.get(f"/events/{case['id']}")) == ["签收", "派遣", "上报"]


def test_an_invalid_field_keeps_the_note_typed_so_far(login, report):
    case = report("worker")
    dispatcher = login("dispatcher")
    detail = dispatcher.get(f"/events/{case['id']}")
    response = dispatcher.post(f"/events/{case['id']}/actions", data={
        "action": "reject", "duplicate_of": "2026-999999", "note": "与前一案件重复",
        "version": field_value(detail, "version")})
    assert response.status_code == 422
    page = text_of(response)
    assert "重复案件编号无效" in page
    assert ">与前一案件重复</textarea>" in page
    assert 'value="2026-999999"' in page
    assert state_badge(response) == "已立案"


def test_a_stale_version_is_refused_and_changes_nothing(login, report, api):
    case = report("worker")
    dispatcher = login("dispatcher")
    detail = dispatcher.get(f"/events/{case['id']}")
    old_version = field_value(detail, "version")
    api("worker").act(case["id"], "comment", note="现场又多了两袋")
    response = dispatcher.post(f"/events/{case['id']}/actions", data={
        "action": "dispatch", "note": "派往环卫所", "version": old_version})
    assert response.status_code == 409
    page = text_of(response)
    assert "案件已被他人修改" in page
    assert state_badge(response) == "已立案"
    after = dispatcher.get(f"/events/{case['id']}")
    assert timeline(after) == ["备注", "上报"]
    assert state_badge(after) == "已立案"


def test_an_action_the_user_may_not_take_is_explained(login, report):
    case = report("worker")
    worker = login("worker")
    detail = worker.get(f"/events/{case['id']}")
    response = worker.post(f"/events/{case['id']}/actions", data={
        "action": "dispatch", "version": field_value(detail, "version")})
    assert response.status_code == 403
    assert "您的角色不能执行「派遣」" in text_of(response)
    assert state_badge(worker.get(f"/events/{case['id']}")) == "已立案"


def test_a_garbled_version_is_refused_not_a_server_error(login, report):
    case = report("worker")
    response = login("dispatcher").post(f"/events/{case['id']}/actions", data={
        "action": "comment", "note": "看看", "version": "3'"})
    assert response.status_code in (409, 422)


def test_acting_on_an_unseen_case_is_404(login, report):
    theirs = report("w101002", point=POINT_GRID2)
    response = login("worker").post(f"/events/{theirs['id']}/actions",
                                    data={"action": "comment", "note": "看看"})
    assert response.status_code == 404


# --- new case ------------------------------------------------------------------------------

def test_worker_reports_a_new_case_and_lands_on_it(login, new_case_form, world):
    worker = login("worker")
    response = new_case_form(worker, address="清河镇幸福路 12 号")
    assert response.status_code == 302
    assert re.fullmatch(r"/events/\d+", response.headers["Location"])
    detail = worker.get(response.headers["Location"])
    page = text_of(detail)
    assert state_badge(detail) == "已立案"  # a worker's own patrol report is filed directly
    assert "路边堆放生活垃圾" in page and "清河镇幸福路 12 号" in page
    assert "巡查上报" in page
    assert re.search(r"案件 \d{4}-\d{6} 已上报", page)
    assert count_events(world) == 1


def test_new_case_form_shows_what_is_missing(login, world):
    worker = login("worker")
    page = worker.get("/events/new")
    response = worker.post("/events/new", data={
        "form_token": field_value(page, "form_token"), "category_code": "06010",
        "lat": "", "lon": "", "description": "路灯坏了"})
    assert response.status_code == 422
    text = text_of(response)
    assert "请填写位置" in text
    assert ">路灯坏了</textarea>" in text
    assert count_events(world) == 0


def _double_submit(worker, **extra):
    page = worker.get("/events/new")
    data = {"form_token": field_value(page, "form_token"), "grid_code": "220221101000001",
            "category_code": "06010", "lat": str(POINT_GRID1[0]), "lon": str(POINT_GRID1[1]),
            "description": "路边堆放生活垃圾", **extra}
    return worker.post("/events/new", data=data), worker.post("/events/new", data=data)


def test_a_form_submitted_twice_makes_one_case(login, world):
    first, second = _double_submit(login("worker"))
    assert first.status_code == 302
    assert count_events(world) == 1


def test_a_confirmed_form_submitted_twice_lands_on_the_same_case(login, world):
    first, second = _double_submit(login("worker"), confirm_not_duplicate="1")
    assert first.status_code == second.status_code == 302
    assert second.headers["Location"] == first.headers["Location"]
    assert count_events(world) == 1


def test_a_form_submitted_twice_lands_on_the_first_case(login, world):
    first, second = _double_submit(login("worker"))
    assert second.status_code == 302
    assert second.headers["Location"] == first.headers["Location"]


def test_a_nearby_open_case_of_the_same_category_asks_for_confirmation(
        login, new_case_form, report, world):
    existing = report("worker", description="早上已经报过")
    worker = login("worker")
    warned = new_case_form(worker, description="又看见一堆垃圾")
    assert warned.status_code == 200
    page = text_of(warned)
    assert "可能重复" in page
    assert existing["number"] in page
    assert ">又看见一堆垃圾</textarea>" in page
    assert count_events(world) == 1

    confirmed = new_case_form(worker, description="又看见一堆垃圾", confirm_not_duplicate="1")
    assert confirmed.status_code == 302
    assert count_events(world) == 2
    # another category at the same spot is not a duplicate
    other = new_case_form(worker, category_code="06042", description="垃圾箱满溢")
    assert other.status_code == 302


def test_a_photo_from_the_form_is_shown_and_served_only_to_who_may_see_it(
        login, new_case_form):
    worker = login("worker")
    photo = (io.BytesIO(jpeg_bytes()), "现场.jpg", "image/jpeg")
    response = new_case_form(worker, photos=photo)
    assert response.status_code == 302
    detail = worker.get(response.headers["Location"])
    # the photo heads the case and is shown again on the 上报 step of the timeline
    images = set(re.findall(r'<a href="/attachments/(\d+)"><img src="/attachments/\1/thumb"',
                            detail.get_data(as_text=True)))
    assert len(images) == 1
    photo_id = images.pop()

    full = worker.get(f"/attachments/{photo_id}")
    assert full.status_code == 200
    assert full.mimetype == "image/jpeg"
    assert Image.open(io.BytesIO(full.data)).size == (64, 48)
    thumb = worker.get(f"/attachments/{photo_id}/thumb")
    assert thumb.status_code == 200 and thumb.mimetype == "image/jpeg"

    stranger = login("w101002")
    assert stranger.get(f"/attachments/{photo_id}").status_code == 404
    assert stranger.get(f"/attachments/{photo_id}/thumb").status_code == 404


def test_a_file_that_is_not_a_photo_is_refused_on_the_form(login, new_case_form, world):
    worker = login("worker")
    response = new_case_form(worker, photos=(io.BytesIO(b"%PDF-1.4 not an image"),
                                             "scan.jpg", "image/jpeg"))
    assert response.status_code == 422
    assert "文件不是有效的图片" in text_of(response)
    assert count_events(world) == 0


@pytest.mark.parametrize("lat", ["500", "nan"])
def test_an_impossible_latitude_is_refused_on_the_form(login, new_case_form, world, lat):
    response = new_case_form(login("worker"), lat=lat)
    assert response.status_code == 422
    assert count_events(world) == 0


def test_a_point_outside_the_chosen_grid_is_not_filed_into_it(login, new_case_form, world):
    response = new_case_form(login("worker"), point=POINT_GRID2)
    assert response.status_code in (403, 422)
    assert count_events(world) == 0


def test_handlers_cannot_open_the_new_case_form(login):
    assert login("handler").get("/events/new").status_code == 403


# --- language ------------------------------------------------------------------------------

def test_switching_to_english_translates_the_pages(login, report):
    case = report("worker")
    worker = login("worker")
    response = worker.get(f"/lang/en?next=/events/{case['id']}")
    assert response.status_code == 302
    assert response.headers["Location"] == f"/events/{case['id']}"
    detail = worker.get(f"/events/{case['id']}")
    page = text_of(detail)
    assert '<html lang="en">' in page
    assert "My queue" in page and "All cases" in page
    assert "History" in page
    assert state_badge(detail) == "Filed"
    assert "流转记录" not in page and "我的待办" not in page
    assert "<h1>My queue</h1>" in text_of(worker.get("/events?mine=1"))

    worker.get("/lang/zh_CN")
    assert "我的待办" in text_of(worker.get("/events?mine=1"))


def test_the_language_chosen_on_the_login_page_is_kept_after_login(world):
    client = world.test_client()
    client.get("/lang/en?next=/login")
    assert "Log in" in text_of(client.get("/login"))
    client.post("/login", data={"username": "worker", "password": DEMO_PASSWORD})
    assert "<h1>My queue</h1>" in text_of(client.get("/events?mine=1"))
