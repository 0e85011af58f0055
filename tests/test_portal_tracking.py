"""Residents follow their case by its 查询码 and rate the result — no account."""
import io
from datetime import datetime, timedelta

import pytest
from sqlalchemy import func, select

from core.extensions import db
from events.models import Attachment, Event
from portal.models import Rating
from tests.test_portal_report import CST, _form, jpeg, point  # noqa: F401 (point: a fixture)


def _walk_to_closed(api, event_id, photo=None):
    api("worker").act(event_id, "verify", note="属实")
    api("dispatcher").act(event_id, "dispatch")
    api("handler").act(event_id, "accept")
    fields = {"photo_ids": [photo]} if photo else {}
    api("handler").act(event_id, "handle", note="已清运，内部备注：司机老张", **fields)
    api("worker").act(event_id, "comment", note="内部沟通：下次早点来")
    api("worker").act(event_id, "close", note="核查合格", photo=True)


@pytest.fixture
def tracked(client, point, world):
    response = _form(client, point, name="王先生", phone="13812341234")
    code = response.headers["Location"].split("/t/")[1].split("?")[0]
    with world.app_context():
        event_id = db.session.scalar(select(Event.id).where(Event.tracking_code == code))
    return code, event_id


def test_tracking_page_shows_progress_without_staff_names_or_internal_notes(
        client, tracked, api, world):
    code, event_id = tracked
    upload = api("handler").post("/api/v1/uploads", data={"file": (io.BytesIO(jpeg()), "f.jpg")},
                                 content_type="multipart/form-data")
    _walk_to_closed(api, event_id, photo=upload.get_json()["id"])
    html = client.get(f"/t/{code.lower()}").get_data(as_text=True)
    for text in ("已办结", "已交由环卫所办理", "已处置完毕", "经现场核查，已办结"):
        assert text in html
    for secret in ("处置员", "司机老张", "内部沟通", "13812341234", "王先生", "李伟"):
        assert secret not in html
    with world.app_context():
        public_id = db.session.get(Attachment, upload.get_json()["id"]).public_id
    assert f"/p/{public_id}" in html and f"/t/{code}/photos" not in html
    assert client.get(f"/p/{public_id}").status_code == 200
    assert client.get(f"/p/{public_id[:-1]}x").status_code == 404
    assert client.get("/t/AAAAAAAAAA").status_code == 404


def test_rating_satisfied_is_recorded_once(client, tracked, api, world):
    code, event_id = tracked
    assert "对办理结果满意吗" not in client.get(f"/t/{code}").get_data(as_text=True)
    _walk_to_closed(api, event_id)
    assert "对办理结果满意吗" in client.get(f"/t/{code}").get_data(as_text=True)
    done = client.post(f"/t/{code}/rating", data={"rating": "satisfied", "comment": "很快"})
    assert done.status_code == 303
    assert "感谢您的评价" in client.get(done.headers["Location"]).get_data(as_text=True)
    again = client.post(f"/t/{code}/rating", data={"rating": "unsatisfied"})
    assert again.status_code == 422
    with world.app_context():
        assert db.session.scalar(select(func.count()).select_from(Rating)) == 1
        assert db.session.get(Event, event_id).state == "closed"


def test_unsatisfied_within_seven_days_reopens_through_the_lifecycle(client, tracked, api,
                                                                     world):
    code, event_id = tracked
    _walk_to_closed(api, event_id)
    response = client.post(f"/t/{code}/rating",
                           data={"rating": "unsatisfied", "comment": "垃圾又堆起来了"})
    assert response.status_code == 303
    body = api("dispatcher").get(f"/api/v1/events/{event_id}").get_json()
    assert body["state"] == "dispatched" and body["closed_at"] is None
    last = body["history"][-1]
    assert (last["action"], last["actor"]) == ("reopen", "群众")
    assert "垃圾又堆起来了" in last["note"]
    assert "已重新办理" in client.get(f"/t/{code}").get_data(as_text=True)


def test_unsatisfied_after_seven_days_is_recorded_but_does_not_reopen(
        client, tracked, api, world, freeze):
    code, event_id = tracked
    _walk_to_closed(api, event_id)
    freeze(datetime.now(CST) + timedelta(days=8))
    client.post(f"/t/{code}/rating", data={"rating": "unsatisfied", "comment": "还是脏"})
    with world.app_context():
        assert db.session.get(Event, event_id).state == "closed"
        assert db.session.scalar(select(Rating.rating)) == "unsatisfied"


def test_a_missing_rating_choice_is_a_clear_error(client, tracked, api):
    code, event_id = tracked
    _walk_to_closed(api, event_id)
    response = client.post(f"/t/{code}/rating", data={"comment": "没选"})
    assert response.status_code == 422 and "请选择评价" in response.get_data(as_text=True)
    assert "没选" in response.get_data(as_text=True)


def test_residents_contact_is_masked_for_staff_other_than_dispatchers(tracked, api, login_as):
    _code, event_id = tracked
    assert api("dispatcher").get(f"/api/v1/events/{event_id}").get_json()["reporter"] == \
        {"name": "王先生", "phone": "13812341234"}
    assert api("worker").get(f"/api/v1/events/{event_id}").get_json()["reporter"] == \
        {"name": "王**", "phone": "138****1234"}
    api("worker").act(event_id, "verify", note="属实")
    api("dispatcher").act(event_id, "dispatch")
    for username in ("worker", "handler", "supervisor"):
        assert api(username).get(f"/api/v1/events/{event_id}").get_json()["reporter"] == \
            {"name": "王**", "phone": "138****1234"}, username
        page = login_as(username).get(f"/events/{event_id}").get_data(as_text=True)
        assert "王**" in page and "138****1234" in page, username
        assert "王先生" not in page and "13812341234" not in page, username
    for username in ("dispatcher", "admin"):
        page = login_as(username).get(f"/events/{event_id}").get_data(as_text=True)
        assert "王先生" in page and "13812341234" in page, username


def test_only_residents_reports_have_a_tracking_code_and_take_a_rating(client, api, world,
                                                                       report):
    """A patrol or Open311 case has no code to guess; its photos are public by their own id."""
    case = report("worker")
    with world.app_context():
        assert db.session.get(Event, case["id"]).tracking_code is None
    upload = api("handler").post("/api/v1/uploads", data={"file": (io.BytesIO(jpeg()), "f.jpg")},
                                 content_type="multipart/form-data")
    _walk_to_closed(api, case["id"], photo=upload.get_json()["id"])
    listing = client.get("/open311/v2/requests.json").get_json()
    mine = next(r for r in listing if r["service_request_id"] == str(case["id"]))
    assert mine["media_url"] and "/p/" in mine["media_url"] and "/t/" not in mine["media_url"]
    with world.app_context():
        assert db.session.scalar(select(func.count()).select_from(Rating)) == 0


def test_parallel_ratings_of_one_case_record_one_and_answer_the_rest_clearly(
        tracked, api, world):
    import threading
    code, event_id = tracked
    _walk_to_closed(api, event_id)
    barrier, statuses = threading.Barrier(8), []

    def rate():
        client = world.test_client()
        barrier.wait()
        statuses.append(client.post(f"/t/{code}/rating", data={"rating": "unsatisfied",
                                                               "comment": "没修好"}).status_code)

    threads = [threading.Thread(target=rate) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert len(statuses) == 8 and statuses.count(303) == 1, statuses
    assert all(status in (409, 422) for status in statuses if status != 303), statuses
    with world.app_context():
        assert db.session.scalar(select(func.count()).select_from(Rating)) == 1
        assert db.session.get(Event, event_id).state == "dispatched"  # reopened once


def test_a_residents_report_and_an_unsatisfied_rating_reach_the_right_people(
        client, tracked, api, world):
    """Hand-offs (issue 9): the grid's worker hears of the report (核实); a 不满意 rating
    tells the town's dispatchers, and the reopened case its department."""
    from tests.test_handoffs import _tasks
    code, event_id = tracked
    assert _tasks(world) == [("worker", "task.verify")]
    _walk_to_closed(api, event_id)
    before = _tasks(world)
    client.post(f"/t/{code}/rating", data={"rating": "unsatisfied", "comment": "又脏了"})
    assert sorted(_tasks(world)[len(before):]) == [("dispatcher", "unsatisfied"),
                                                   ("handler", "task.accept")]


def test_a_typed_tracking_code_finds_the_case(client, tracked):
    code, _event_id = tracked
    form = client.get("/t")
    assert form.status_code == 200 and 'name="code"' in form.get_data(as_text=True)
    found = client.get(f"/t?code= {code.lower()} ")
    assert found.status_code == 303 and found.headers["Location"].endswith(f"/t/{code}")
    missing = client.get("/t?code=NOSUCHCODE")
    assert missing.status_code == 404
    page = missing.get_data(as_text=True)
    assert "没有找到这个查询码" in page and 'value="NOSUCHCODE"' in page and "登录" not in page


def test_unsatisfied_needs_a_reason_and_keeps_the_choice(client, tracked, api, world):
    code, event_id = tracked
    _walk_to_closed(api, event_id)
    page = client.get(f"/t/{code}").get_data(as_text=True)
    assert "问题将交回责任单位重新办理" in page
    refused = client.post(f"/t/{code}/rating", data={"rating": "unsatisfied", "comment": " "})
    assert refused.status_code == 422
    assert "请写明不满意的原因" in refused.get_data(as_text=True)
    assert 'value="unsatisfied" checked' in refused.get_data(as_text=True)
    with world.app_context():
        assert db.session.scalar(select(func.count()).select_from(Rating)) == 0
        assert db.session.get(Event, event_id).state == "closed"


def test_after_seven_days_the_page_says_the_rating_is_only_recorded(client, tracked, api,
                                                                   freeze):
    code, event_id = tracked
    _walk_to_closed(api, event_id)
    freeze(datetime.now(CST) + timedelta(days=8))
    page = client.get(f"/t/{code}").get_data(as_text=True)
    assert "办结已超过 7 日" in page and "重新办理" not in page
    done = client.post(f"/t/{code}/rating", data={"rating": "unsatisfied", "comment": "又脏了"})
    after = client.get(done.headers["Location"]).get_data(as_text=True)
    assert "已记录" in after and "重新上报" in after and "重新办理" not in after


@pytest.mark.parametrize("path", ["/t/NOSUCHCODE", "/p/nosuchphoto", "/q/nosuchtoken"])
def test_a_wrong_public_link_answers_in_the_residents_style(client, world, path):
    """Never the staff error page with its link to the staff login."""
    answer = client.get(path)
    assert answer.status_code == 404
    page = answer.get_data(as_text=True)
    assert "staff" not in page and "登录" not in page and "返回案件列表" not in page
    assert 'href="tel:12345"' in page
    if not path.startswith("/q/"):  # an unknown QR code has its own page (scan the new one)
        assert 'href="/t"' in page


def test_the_hotline_is_a_tap_to_call_link(client, tracked):
    code, _event_id = tracked
    page = client.get(f"/t/{code}").get_data(as_text=True)
    assert '<a href="tel:12345">12345</a>' in page


def _next_step(client, code):
    import re
    html = client.get(f"/t/{code}").get_data(as_text=True)
    section = re.search(r'<section class="next".*?</section>', html, re.S).group(0)
    return re.sub(r"<[^>]+>|\s+", " ", section)


def test_the_page_says_what_happens_next_and_how_long_it_takes(client, tracked, api):
    code, event_id = tracked
    text = _next_step(client, code)
    assert "网格员将核实您反映的问题，预计" in text and "前完成" in text
    assert "“暴露垃圾”的处置时限为4个工作小时" in text and "节假日不计" in text
    api("worker").act(event_id, "verify", note="属实")
    assert "已立案，镇受理中心将派遣给责任单位" in _next_step(client, code)
    api("dispatcher").act(event_id, "dispatch")
    assert "已交由环卫所办理" in _next_step(client, code)
    api("handler").act(event_id, "accept")
    assert "环卫所正在处置" in _next_step(client, code)
    api("handler").act(event_id, "handle", note="已清运")
    assert "网格员将到现场核查" in _next_step(client, code)
    api("worker").act(event_id, "close", note="核查合格", photo=True)
    text = _next_step(client, code)
    assert "问题已办结" in text and "处置时限" not in text


def test_a_report_that_fits_no_category_is_verified_by_the_town(client, point, world):
    response = _form(client, point, category_code="99001", description="说不清是哪个部门的事")
    code = response.headers["Location"].split("/t/")[1].split("?")[0]
    text = _next_step(client, code)
    assert "镇受理中心将核实您反映的问题" in text and "网格员" not in text
    assert "“其他问题”的处置时限为2个工作日" in text


def test_the_report_form_offers_other_problems_as_its_own_tile(client, point):
    html = client.get(f"/q/{point['token']}").get_data(as_text=True)
    assert html.count('value="99001"') == 1 and "其他问题" in html
