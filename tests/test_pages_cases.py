"""Staff pages: case lists, and the case page and its actions."""
import re

from tests.support import POINT_GRID2
from tests.pagehelpers import (action_buttons, field_value, list_rows, primary_action,
                               state_badge, text_of, timeline)


# --- lists and queues ----------------------------------------------------------------------

def test_case_list_shows_only_cases_of_the_users_grids(login_as, report):
    mine = report("worker", description="一号网格的垃圾")
    theirs = report("w101002", point=POINT_GRID2, description="二号网格的垃圾")
    worker = login_as("worker")
    page = text_of(worker.get("/events"))
    assert mine["number"] in page
    assert theirs["number"] not in page
    assert worker.get(f"/events/{theirs['id']}").status_code == 404
    assert worker.get(f"/events/{mine['id']}").status_code == 200
    # and the other grid's worker the other way round
    other = text_of(login_as("w101002").get("/events"))
    assert theirs["number"] in other and mine["number"] not in other


def test_a_list_row_shows_the_category_grid_place_and_clock(login_as, report):
    case = report("worker", address="清河镇东街 12 号")
    worker = login_as("worker")
    row = next(r for r in list_rows(worker.get("/events")) if case["number"] in r)
    for shown in ("已立案", case["category_name"], "清河镇第1网格", "清河镇东街 12 号",
                  "派遣员立案派遣", "剩 ", "巡查上报"):
        assert shown in row, (shown, row)
    nowhere = report("worker", description="没有写地址")
    row = next(r for r in list_rows(worker.get("/events")) if nowhere["number"] in r)
    assert "清河镇第1网格 — " in row  # an empty address is a dash, not a gap


def test_a_list_row_shows_a_reporters_markup_as_text(login_as, report):
    case = report("worker", address='东街<script>alert(1)</script>&"号"')
    body = login_as("worker").get("/events").get_data(as_text=True)
    assert "<script>alert(1)" not in body
    assert ('<td class="address">东街&lt;script&gt;alert(1)&lt;/script&gt;&amp;&#34;号&#34;</td>'
            in body), case["number"]


def test_a_badge_draws_only_what_it_holds_and_escapes_its_words():
    from markupsafe import escape  # as a template's {{ badge }} draws it

    from events.presenting import Badge
    quiet = Badge("closed", "已结案", None, "", "", False, "")
    assert escape(quiet) == '<span class="state state-closed">已结案</span>'
    late = Badge("dispatched", "处置中", "red", "处置<b>", "超期 · 处置时限 12-03 17:00 *",
                 False, "督办 ×2")
    assert escape(late) == (
        '<span class="state state-dispatched">处置中</span>\n'
        '<span class="clock clock-red" title="处置&lt;b&gt;">超期 · 处置时限 12-03 17:00 *</span>\n'
        '<span class="supervised">督办 ×2</span>')


def test_dispatchers_queue_shows_filed_cases_not_reported_ones(login_as, report):
    filed = report("worker")
    reported = report("dispatcher", point=POINT_GRID2, description="热线：路灯不亮")
    assert (filed["state"], reported["state"]) == ("filed", "reported")
    dispatcher = login_as("dispatcher")
    queue = text_of(dispatcher.get("/events?mine=1"))
    assert filed["number"] in queue
    assert reported["number"] not in queue
    everything = text_of(dispatcher.get("/events"))
    assert filed["number"] in everything and reported["number"] in everything


def test_empty_queue_says_so(login_as):
    page = text_of(login_as("handler").get("/events?mine=1"))
    assert "没有符合条件的案件" in page


# --- detail page and actions ---------------------------------------------------------------

def test_detail_shows_exactly_the_allowed_actions(login_as, report, api):
    case = report("worker")
    detail = login_as("dispatcher").get(f"/events/{case['id']}")
    assert state_badge(detail) == "已立案"
    assert action_buttons(detail) == {"派遣", "不予立案", "挂账", "备注"}
    assert primary_action(detail) == "派遣"  # the next step leads, not 不予立案

    worker_view = login_as("worker").get(f"/events/{case['id']}")
    assert action_buttons(worker_view) == {"备注"}
    assert primary_action(worker_view) is None

    api("dispatcher").act(case["id"], "dispatch")
    handler = login_as("handler")
    handler_view = handler.get(f"/events/{case['id']}")
    assert state_badge(handler_view) == "已派遣"
    assert action_buttons(handler_view) == {"签收", "回退", "备注"}
    assert primary_action(handler_view) == "签收"

    api("handler").act(case["id"], "accept")
    accepted = handler.get(f"/events/{case['id']}")
    assert action_buttons(accepted) == {"处置反馈", "回退", "申请延期", "备注"}
    assert primary_action(accepted) == "处置反馈"


def test_dispatch_through_the_form_moves_the_case_and_the_timeline(login_as, report):
    case = report("worker")
    dispatcher = login_as("dispatcher")
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
    assert case["number"] in text_of(login_as("handler").get("/events?mine=1"))


def test_missing_note_rerenders_with_an_error_and_keeps_typed_values(login_as, report, api):
    case = report("worker")
    api("dispatcher").act(case["id"], "dispatch")
    api("handler").act(case["id"], "accept")
    handler = login_as("handler")
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


def test_an_invalid_field_keeps_the_note_typed_so_far(login_as, report):
    case = report("worker")
    dispatcher = login_as("dispatcher")
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


def test_a_stale_version_is_refused_and_changes_nothing(login_as, report, api):
    case = report("worker")
    dispatcher = login_as("dispatcher")
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


def test_an_action_the_user_may_not_take_is_explained(login_as, report):
    case = report("worker")
    worker = login_as("worker")
    detail = worker.get(f"/events/{case['id']}")
    response = worker.post(f"/events/{case['id']}/actions", data={
        "action": "dispatch", "version": field_value(detail, "version")})
    assert response.status_code == 403
    assert "您的角色不能执行「派遣」" in text_of(response)
    assert state_badge(worker.get(f"/events/{case['id']}")) == "已立案"


def test_a_garbled_version_is_refused_not_a_server_error(login_as, report):
    case = report("worker")
    response = login_as("dispatcher").post(f"/events/{case['id']}/actions", data={
        "action": "comment", "note": "看看", "version": "3'"})
    assert response.status_code in (409, 422)


def test_acting_on_an_unseen_case_is_404(login_as, report):
    theirs = report("w101002", point=POINT_GRID2)
    response = login_as("worker").post(f"/events/{theirs['id']}/actions",
                                    data={"action": "comment", "note": "看看"})
    assert response.status_code == 404


# --- the forms read the API's schemas (issue 16: one owner per rule) -----------------------

def test_an_action_form_with_bad_hours_names_the_field_and_changes_nothing(login_as, report,
                                                                            api):
    case = report("worker")
    api("dispatcher").act(case["id"], "dispatch", department_code="220221101000-HW")
    api("handler").act(case["id"], "accept")
    handler = login_as("handler")
    detail = handler.get(f"/events/{case['id']}")
    for hours, message in (("八小时", "「延期时长」须为数字"), ("nan", "「延期时长」须为数字")):
        response = handler.post(f"/events/{case['id']}/actions", data={
            "action": "request_extension", "hours": hours, "note": "材料未到",
            "version": field_value(detail, "version")})
        assert response.status_code == 422, hours
        assert message in text_of(response)
        assert "材料未到" in response.get_data(as_text=True)  # the note is kept
    response = handler.post(f"/events/{case['id']}/actions", data={
        "action": "comment", "note": "说" * 2001, "version": field_value(detail, "version")})
    assert response.status_code == 422 and "「说明」不超过 2000 字" in text_of(response)
    after = handler.get(f"/events/{case['id']}")
    assert timeline(after) == ["签收", "派遣", "上报"]


def test_the_action_forms_ask_for_what_the_services_require(login_as, report):
    """Which actions need a note and which take photos is the lifecycle's table, read by
    the page too (it was retyped in the template)."""
    from events.lifecycle import NOTE_REQUIRED, PHOTO_ACTIONS
    case = report("worker")
    page = login_as("admin").get(f"/events/{case['id']}").get_data(as_text=True)
    forms = re.findall(r'<input type="hidden" name="action" value="([a-z_]+)">(.*?)</form>',
                       page, re.S)
    assert len(forms) >= 4
    for action, body in forms:
        note_required = re.search(r'<textarea name="note"[^>]*\brequired\b', body) is not None
        # 不予立案 asks for its reason (不属实 / 重复 / …), which heads the note
        reason_required = re.search(r'name="reason"[^>]*\brequired\b', body) is not None
        assert (note_required or reason_required) == (action in NOTE_REQUIRED), action
        assert reason_required == (action == "reject"), action
        assert ('name="photos"' in body) == (action in PHOTO_ACTIONS), action


def test_a_stale_version_reads_the_same_on_the_page_and_in_the_api(login_as, report, api):
    case = report("worker")
    api("worker").act(case["id"], "comment", note="现场又多了两袋")
    api_answer = api("dispatcher").act(case["id"], "dispatch", version=case["version"])
    page = login_as("dispatcher").post(f"/events/{case['id']}/actions", data={
        "action": "dispatch", "version": str(case["version"])})
    assert api_answer.status_code == page.status_code == 409
    message = api_answer.get_json()["message"]
    assert "案件已被他人修改" in message and message in text_of(page)
