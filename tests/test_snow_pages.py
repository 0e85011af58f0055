"""The 清雪作战 pages (issue 14): a dispatcher declares a snowfall, says when it stopped,
watches the board and ends the operation; errors beside their fields; others kept out."""
import re
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

CST = ZoneInfo("Asia/Shanghai")
NOW = datetime(2026, 12, 3, 7, 30, tzinfo=CST)


@pytest.fixture
def database_url(sqlite_url):
    """Pages over the services tested on both engines (tests/test_snow.py)."""
    return sqlite_url


def _declare(client, **fields):
    return client.post("/snow", data={"town_codes": ["220221101000"], "level": "中雪",
                                      "started_at": "2026-12-02T20:00", **fields})


def test_a_dispatcher_declares_stops_watches_and_ends_a_snowfall(world, login_as, freeze):
    freeze(NOW)
    dispatcher = login_as("dispatcher")
    form = dispatcher.get("/snow").get_data(as_text=True)
    assert "发布降雪" in form and 'value="220221101000"' in form and "checked" in form
    made = _declare(dispatcher)
    assert made.status_code == 303
    board_url = made.headers["Location"]
    board = dispatcher.get(board_url).get_data(as_text=True)
    assert "已发布降雪" in board and "清河镇第1网格" in board and "待雪停" in board
    wrong = dispatcher.post(board_url + "/stopped", data={"at": "2026-12-02T19:00"})
    assert wrong.status_code == 422
    assert re.search(r'class="field-error" role="alert">雪停时间不能早于降雪开始', wrong.get_data(as_text=True))
    stopped = dispatcher.post(board_url + "/stopped", data={"at": "2026-12-03T04:00"})
    assert stopped.status_code == 303
    board = dispatcher.get(board_url).get_data(as_text=True)
    assert "已登记雪停" in board and "12-04 04:00" in board  # 次干道: 24 h at 中雪
    state = dispatcher.get(board_url + "/state.json").get_json()
    assert state["cleared"] == 0 and set(state["states"].values()) == {"not_started"}
    again = _declare(dispatcher)
    assert again.status_code == 422 and "已有进行中的清雪作战" in again.get_data(as_text=True)
    assert dispatcher.post(board_url + "/end").status_code == 303
    assert "已结束" in dispatcher.get(board_url).get_data(as_text=True)
    assert _declare(dispatcher).status_code == 303  # the town is free again


def test_a_declaration_with_nothing_chosen_says_so_beside_the_field(world, login_as, freeze):
    freeze(NOW)
    answer = login_as("dispatcher").post("/snow", data={"level": "中雪",
                                                        "started_at": "2026-12-02T20:00"})
    assert answer.status_code == 422
    assert 'class="field-error" role="alert">至少一个乡镇' in answer.get_data(as_text=True)


def test_workers_and_handlers_are_kept_out(world, login_as):
    for username in ("worker", "handler"):
        assert login_as(username).get("/snow").status_code == 403


def test_the_grids_hear_of_their_task_and_residents_reports_show_on_the_board(
        world, login_as, freeze, client):
    import uuid
    from sqlalchemy import select

    from core.extensions import db
    from grid.models import Grid
    from portal.models import QrPoint
    freeze(NOW)
    dispatcher = login_as("dispatcher")
    board_url = _declare(dispatcher).headers["Location"]
    inbox = login_as("worker").get("/notifications?tab=tasks").get_data(as_text=True)
    assert "【清雪任务】中雪：清河镇第1网格" in inbox and 'href="/field/snow"' in inbox
    with world.app_context():
        token = db.session.scalar(select(QrPoint.token).join(Grid).where(
            Grid.code == "220221101000001").order_by(QrPoint.id))
    reported = client.post(f"/q/{token}", data={"form_token": uuid.uuid4().hex,
                                                 "category_code": "10001",
                                                 "description": "路口积雪结冰，车辆打滑"})
    assert reported.status_code == 303
    board = dispatcher.get(board_url).get_data(as_text=True)
    link = re.search(r'<td class="reports"><a href="([^"]+)">.*?1 件</a>', board)
    assert link and "grid=220221101000001" in link.group(1) and "category=10001" in link.group(1)


def test_the_summary_counts_the_timely_the_late_and_shows_the_photos(world, login_as, api,
                                                                     freeze):
    """At the end: 清雪及时率 = tasks cleared by their deadline ÷ tasks; late points listed
    with how late; the clearing photos to those who may see the town, to nobody else."""
    from datetime import timedelta
    freeze(NOW)
    dispatcher = login_as("dispatcher")
    board_url = _declare(dispatcher).headers["Location"]
    dispatcher.post(board_url + "/stopped", data={"at": "2026-12-03T04:00"})
    operation_id = int(board_url.rsplit("/", 1)[1])
    worker = api("worker")
    first = worker.get(f"/api/v1/snow-operations/{operation_id}").get_json()["tasks"][0]
    worker.post(f"/api/v1/snow-operations/{operation_id}/points/{first['points'][0]['id']}",
                json={"action": "clear", "photo_ids": [worker.upload_photo()],
                      "checks": {"no_ice": True, "no_residual_snow": True,
                                 "ground_visible": True}})
    freeze(NOW + timedelta(days=1))  # a day on: the other grids' 24 h have run out
    page = dispatcher.get(board_url + "/summary").get_data(as_text=True)
    assert "清雪及时率" in page
    figures = re.findall(r"<span>([^<]+)</span><strong[^>]*>([^<]+)</strong>", page)[:5]
    assert figures == [("网格任务", "12"), ("已清除", "1"), ("按时清除", "1"),
                       ("清雪及时率", "8.3%"), ("超时", "11")]
    assert page.count('<td class="late">') == 11 and "未清除" in page
    photo = re.search(r'<img src="(/snow/photos/\d+/thumb)"', page).group(1)
    assert dispatcher.get(photo).status_code == 200
    assert dispatcher.get(photo).mimetype == "image/jpeg"
    assert login_as("dispatcher2").get(photo).status_code == 404
