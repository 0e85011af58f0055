"""Staff pages: the new-case form — a report made at the desk, sent twice, near a case
already open, with a photo, and refused with the API's own reasons."""
import io
import re

import pytest
from PIL import Image

from tests.support import POINT_GRID1, POINT_GRID2
from tests.pagehelpers import count_events, field_value, jpeg_bytes, state_badge, text_of


def test_worker_reports_a_new_case_and_lands_on_it(login_as, new_case_form, world):
    worker = login_as("worker")
    response = new_case_form(worker, address="清河镇幸福路 12 号")
    assert response.status_code == 302
    assert re.fullmatch(r"/events/\d+", response.headers["Location"])
    detail = worker.get(response.headers["Location"])
    page = text_of(detail)
    assert state_badge(detail) == "已立案"  # a worker's own patrol report is filed directly
    assert "路边堆放生活垃圾" in page and "清河镇幸福路 12 号" in page
    assert "巡查上报" in page
    assert re.search(r"案件 清河-\d{4}-\d{6} 已上报", page)
    assert count_events(world) == 1


def test_new_case_form_shows_what_is_missing(login_as, world):
    worker = login_as("worker")
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


def test_a_form_submitted_twice_makes_one_case(login_as, world):
    first, second = _double_submit(login_as("worker"))
    assert first.status_code == 302
    assert count_events(world) == 1


def test_a_confirmed_form_submitted_twice_lands_on_the_same_case(login_as, world):
    first, second = _double_submit(login_as("worker"), confirm_not_duplicate="1")
    assert first.status_code == second.status_code == 302
    assert second.headers["Location"] == first.headers["Location"]
    assert count_events(world) == 1


def test_a_form_submitted_twice_lands_on_the_first_case(login_as, world):
    first, second = _double_submit(login_as("worker"))
    assert second.status_code == 302
    assert second.headers["Location"] == first.headers["Location"]


def test_a_nearby_open_case_of_the_same_category_asks_for_confirmation(
        login_as, new_case_form, report, world):
    existing = report("worker", description="早上已经报过")
    worker = login_as("worker")
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
        login_as, new_case_form):
    worker = login_as("worker")
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

    stranger = login_as("w101002")
    assert stranger.get(f"/attachments/{photo_id}").status_code == 404
    assert stranger.get(f"/attachments/{photo_id}/thumb").status_code == 404


def test_a_file_that_is_not_a_photo_is_refused_on_the_form(login_as, new_case_form, world):
    worker = login_as("worker")
    response = new_case_form(worker, photos=(io.BytesIO(b"%PDF-1.4 not an image"),
                                             "scan.jpg", "image/jpeg"))
    assert response.status_code == 422
    assert "文件不是有效的图片" in text_of(response)
    assert count_events(world) == 0


@pytest.mark.parametrize("lat", ["500", "nan"])
def test_an_impossible_latitude_is_refused_on_the_form(login_as, new_case_form, world, lat):
    response = new_case_form(login_as("worker"), lat=lat)
    assert response.status_code == 422
    assert count_events(world) == 0


def test_a_point_outside_the_chosen_grid_is_not_filed_into_it(login_as, new_case_form, world):
    response = new_case_form(login_as("worker"), point=POINT_GRID2)
    assert response.status_code in (403, 422)
    assert count_events(world) == 0


def test_handlers_cannot_open_the_new_case_form(login_as):
    assert login_as("handler").get("/events/new").status_code == 403


def test_the_report_form_refuses_a_long_description_as_the_api_does_and_keeps_it(
        login_as, new_case_form, api, world):
    long_text = "路" * 2001
    worker = login_as("worker")
    response = new_case_form(worker, description=long_text)
    assert response.status_code == 422
    page = text_of(response)
    assert "请检查：「问题描述」须为 1–2000 字" in page
    assert long_text in response.get_data(as_text=True)  # typed text not lost, not cut
    assert 'class="invalid"' in response.get_data(as_text=True)
    assert count_events(world) == 0  # nothing half-written
    lat, lon = POINT_GRID1
    assert api("worker").post("/api/v1/events", json={
        "category_code": "06010", "lat": lat, "lon": lon, "description": long_text}
    ).status_code == 422
    assert new_case_form(worker, description="路" * 2000).status_code == 302


def test_the_report_form_names_a_bad_coordinate_in_chinese(login_as, new_case_form, world):
    response = new_case_form(login_as("worker"), point=("北纬43度", "126.485"))
    assert response.status_code == 422
    assert "「纬度」须为数字" in text_of(response)
    assert count_events(world) == 0


def test_a_multi_line_description_counts_a_line_break_once(login_as, new_case_form, world):
    """Browsers send a textarea's line breaks as CRLF; the limit counts characters as typed."""
    text = "\r\n".join(["路边垃圾"] * 400)  # 1,999 characters once CRLF counts as one
    assert new_case_form(login_as("worker"), description=text).status_code == 302


def test_a_coordinate_out_of_range_is_explained_in_chinese(login_as, new_case_form, world):
    response = new_case_form(login_as("worker"), point=("126.485", "43.603"))  # swapped
    assert response.status_code == 422
    assert "「纬度」须在 -90 到 90 之间" in text_of(response)
