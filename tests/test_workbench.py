"""The command-centre workbench (issue 9): the case list most urgent first, its filters and
search — the same on the page and in the API — with filters kept in the URL, and phone
search only for the roles that may see a caller's number."""
import re
from datetime import timedelta
from zoneinfo import ZoneInfo

import pytest

from core import clock
from core.extensions import db
from events.models import Event
from tests.pagehelpers import list_rows, text_of
from tests.support import POINT_GRID2, writing


def _set(world, case_id, **columns):
    with writing(world):
        event = db.session.get(Event, case_id)
        for name, value in columns.items():
            setattr(event, name, value)


def _walk(client, query: str, limit: int = 2) -> list[int]:
    """Every id of the list, page by page through next_cursor."""
    ids, cursor = [], ""
    while True:
        page = client.get(f"/api/v1/events?limit={limit}{query}{cursor}").get_json()
        ids += [item["id"] for item in page["items"]]
        assert len(ids) == len(set(ids)), "a cursor led back to cases already listed"
        if not page["next_cursor"]:
            return ids
        cursor = f"&cursor={page['next_cursor']}"


@pytest.fixture
def desk(world, report, api):
    """Six cases of 清河镇: three running clocks (one overdue), one suspended, two rejected."""
    now = clock.utcnow()
    cases = {name: report("worker", description=f"案件{name}") for name in "ABCDEF"}
    dispatcher = api("dispatcher")
    for name in "EF":
        assert dispatcher.act(cases[name]["id"], "reject", note="不属实").status_code == 200
    assert dispatcher.act(cases["D"]["id"], "suspend", note="等待").status_code == 200
    _set(world, cases["A"]["id"], due_at=now + timedelta(hours=3), warn_at=now + timedelta(hours=2))
    _set(world, cases["B"]["id"], due_at=now - timedelta(hours=2), warn_at=now - timedelta(hours=3))
    _set(world, cases["C"]["id"], due_at=now + timedelta(minutes=30), warn_at=now)
    return {name: case["id"] for name, case in cases.items()}


def test_the_most_urgent_case_leads_and_every_case_comes_once(desk, api):
    expected = [desk[n] for n in ("B", "C", "A")]  # overdue, then soonest due
    expected += sorted((desk[n] for n in "DEF"), reverse=True)  # no running clock: newest first
    dispatcher = api("dispatcher")
    for limit in (1, 2, 3, 20):  # page breaks inside and between the two groups
        assert _walk(dispatcher, "&sort=urgency", limit) == expected
    assert _walk(dispatcher, "&sort=newest") == sorted(desk.values(), reverse=True)
    assert _walk(dispatcher, "&sort=oldest") == sorted(desk.values())
    assert _walk(dispatcher, "") == sorted(desk.values(), reverse=True)  # the API's default


def test_the_workbench_page_shows_the_overdue_case_first(desk, login_as):
    page = login_as("dispatcher").get("/events")
    body = text_of(page).split("<tbody>", 1)[1]
    order = [body.index(f"/events/{desk[name]}?") for name in ("B", "C", "A", "F", "E", "D")]
    assert order == sorted(order)
    rows = list_rows(page)
    assert "超期" in rows[0] and 'class="late"' in body.split("</tr>", 1)[0]
    assert "剩 " in rows[1] and "剩 " in rows[2]
    assert "计时暂停" in rows[5]  # D, suspended: no deadline runs


def test_the_workbench_rows_speak_the_users_language(desk, login_as):
    """Who holds each case and the time left, in Chinese and then in English (the labels
    are looked up per row from the request's catalogue), each row linking back to the list."""
    client = login_as("dispatcher")
    for lang, words in (("zh_CN", ("超期 ", "剩 ", "督办领导", "—")),
                        ("en", ("Overdue ", " left", "Supervising leader", "—")),
                        ("zh_CN", ("超期 ", "剩 ", "督办领导", "—"))):
        assert client.get(f"/lang/{lang}").status_code == 302
        page = client.get("/events")
        rows = list_rows(page)
        assert words[0] in rows[0] and words[1] in rows[1] and words[1] in rows[2]
        assert words[2] in rows[5]  # D, suspended: held by the supervisor
        assert words[3] in rows[3]  # F, rejected: nobody holds it
        body = text_of(page)
        assert {"zh_CN": "<span>排序：</span>", "en": "<span>Sort:</span>"}[lang] in body
        for name in "BCAFED":
            assert f'href="/events/{desk[name]}?back=/events?sort%3Durgency"' in body


def test_filters_narrow_the_list(desk, world, report, api):
    dispatcher = api("dispatcher")
    ids = lambda query: set(_walk(dispatcher, query, 20))
    assert ids("&overdue=1") == {desk["B"]}
    assert ids("&state=rejected") == {desk["E"], desk["F"]}
    assert ids("&q=案件C") == {desk["C"]}
    hotline = report("dispatcher", point=POINT_GRID2, description="热线反映：井盖丢失",
                     address="建设路 8 号")
    assert ids("&source=hotline") == {hotline["id"]}
    assert ids("&q=建设路") == {hotline["id"]}
    assert ids("&grid=220221101000002") == {hotline["id"]}
    assert api("supervisor").act(desk["A"], "supervise", note="请加快").status_code == 200
    assert ids("&supervised=1") == {desk["A"]}
    answer = dispatcher.act(desk["C"], "dispatch")
    department = answer.get_json()["department_code"]
    assert ids(f"&department={department}") == {desk["C"]}
    assert ids("&category=06010&state=filed") == {desk["A"], desk["B"]}
    _set(world, desk["A"], created_at=clock.utcnow() - timedelta(days=3))
    day = (clock.utcnow() - timedelta(days=3)).astimezone(ZoneInfo("Asia/Shanghai")).date()
    assert ids(f"&date_from={day}&date_to={day}") == {desk["A"]}


def test_phone_search_finds_a_repeat_callers_cases_for_dispatchers_only(desk, world, api,
                                                                         login_as):
    _set(world, desk["A"], reporter_name="王先生", reporter_phone="13812341234")
    _set(world, desk["D"], reporter_name="王先生", reporter_phone="13812341234")
    found = _walk(api("dispatcher"), "&phone=138 1234 1234", 20)
    assert sorted(found) == sorted([desk["A"], desk["D"]])
    assert _walk(api("admin"), "&phone=%2B8613812341234", 20) == found
    for role in ("worker", "handler", "supervisor"):
        refused = api(role).get("/api/v1/events?phone=13812341234")
        assert refused.status_code == 403, role
        assert "派遣员" in refused.get_json()["message"]
        page = login_as(role).get("/events?phone=13812341234")
        assert page.status_code == 403
        assert 'class="error"' in text_of(page) and "13812341234" not in "".join(list_rows(page))
    page = login_as("dispatcher").get("/events?phone=13812341234")
    assert 'name="phone"' in text_of(page)
    assert 'name="phone"' not in text_of(login_as("worker").get("/events"))
    assert api("dispatcher").get("/api/v1/events?phone=abc").status_code == 422


def test_filters_live_in_the_url(desk, login_as):
    from urllib.parse import parse_qs, unquote, urlsplit
    client = login_as("dispatcher")
    page = text_of(client.get("/events?state=filed&q=案件&overdue=1&sort=newest"))
    assert 'value="案件"' in page and 'name="overdue" value="1" checked' in page
    sorts = page.split('class="sorts"', 1)[1].split("</nav>", 1)[0]
    for link in re.findall(r'href="([^"]+)"', sorts):  # another order keeps the filters
        query = parse_qs(urlsplit(link).query)
        assert query["state"] == ["filed"] and query["q"] == ["案件"] and query["overdue"] == ["1"]
    body = text_of(client.get("/events?state=filed")).split("<tbody>", 1)[1]
    link = re.search(r'href="(/events/\d+\?back=[^"]+)"', body).group(1)
    assert unquote(parse_qs(urlsplit(link).query)["back"][0]) == "/events?state=filed&sort=urgency"


def test_a_bad_filter_is_a_message_not_a_crash(desk, login_as, api):
    client = login_as("dispatcher")
    for query in ("date_from=yesterday", "sort=cheapest", "cursor=garbage",
                  "date_from=2026-03-10&date_to=2026-03-01", "state=lost", "q=" + "长" * 51):
        page = client.get(f"/events?{query}")
        assert page.status_code == 422, query
        assert 'class="error"' in text_of(page), query
        assert api("dispatcher").get(f"/api/v1/events?{query}").status_code == 422, query


# --- the case page from the desk ------------------------------------------------------------

def _act(client, case_id, back=None, **fields):
    from tests.pagehelpers import field_value
    detail = client.get(f"/events/{case_id}" + (f"?back={back}" if back else ""))
    data = {"version": field_value(detail, "version"), **fields}
    if back:
        data["back"] = field_value(detail, "back")
    return client.post(f"/events/{case_id}/actions", data=data)


def test_after_dispatching_the_desk_returns_to_the_list_it_came_from(desk, login_as):
    from urllib.parse import quote
    client = login_as("dispatcher")
    back = "/events?state=filed&sort=urgency"
    detail = text_of(client.get(f"/events/{desk['C']}?back={quote(back)}"))
    assert f'<p class="back"><a href="{back}">← 返回列表</a></p>' in detail
    number = re.search(r"<small>(清河-\d{4}-\d{6})</small>", detail).group(1)
    response = _act(client, desk["C"], back=quote(back), action="dispatch")
    assert response.status_code == 302 and response.headers["Location"] == back
    flash = text_of(client.get(back)).split('<p class="flash"', 1)[1].split("</p>", 1)[0]
    assert f"已派遣：{number}" in flash


def test_a_step_that_leaves_more_to_do_stays_on_the_case(desk, login_as, api):
    from urllib.parse import quote
    api("dispatcher").act(desk["C"], "dispatch")
    client = login_as("handler")
    response = _act(client, desk["C"], back=quote("/events?mine=1"), action="accept")
    assert response.status_code == 302
    assert re.fullmatch(rf"/events/{desk['C']}\?back=.+", response.headers["Location"])
    page = text_of(client.get(response.headers["Location"]))
    assert "确认处置反馈" in page and '<p class="back"><a href="/events?mine=1">' in page


@pytest.mark.parametrize("back", ["https://evil.example/events", "//evil.example/events",
                                  "/logout", "/events/../logout", "\\\\evil.example",
                                  "/events\n", "/ev\tents", "/events?x=\x7f"])
def test_the_way_back_never_leaves_the_list(desk, login_as, back):
    from urllib.parse import quote
    client = login_as("dispatcher")
    page = text_of(client.get(f"/events/{desk['C']}?back={quote(back)}"))
    assert 'class="back"' not in page and 'name="back"' not in page
    response = client.post(f"/events/{desk['C']}/actions", data={
        "action": "dispatch", "back": back,
        "version": re.search(r'name="version" value="(\d+)"', page).group(1)})
    assert response.status_code == 302
    assert response.headers["Location"].startswith(f"/events/{desk['C']}")


def test_the_case_page_shows_the_categorys_filing_and_closing_standards(desk, login_as):
    page = text_of(login_as("dispatcher").get(f"/events/{desk['C']}"))
    criteria = page.split('class="criteria"', 1)[1].split("</details>", 1)[0]
    assert "立案标准" in criteria and "成堆成片的生活垃圾未入容器" in criteria
    assert "结案标准" in criteria and "彻底清理并清扫现场" in criteria


def test_a_cursor_keeps_its_own_order_when_the_link_names_none(desk, api, login_as):
    client = api("dispatcher")
    urgent = client.get("/api/v1/events?sort=urgency&limit=2").get_json()
    follow = client.get(f"/api/v1/events?limit=2&cursor={urgent['next_cursor']}").get_json()
    named = client.get(f"/api/v1/events?sort=urgency&limit=2&cursor={urgent['next_cursor']}")
    assert follow == named.get_json()
    newest = client.get("/api/v1/events?limit=2").get_json()["next_cursor"]
    page = login_as("dispatcher").get(f"/events?cursor={newest}")  # an API page, on the page
    assert page.status_code == 200 and list_rows(page)
    assert client.get(f"/api/v1/events?sort=oldest&cursor={newest}").status_code == 422


def test_a_rows_badges_say_what_the_case_page_says(desk, world, api, login_as):
    """The list's badges are put together in Python (events.presenting), the case page's by
    the same function: an overdue case at level 2 on a provisional deadline, one due soon
    under 督办, a suspended one and a rejected one read alike in both places."""
    from events.escalation import WARNING
    _set(world, desk["B"], escalation_step=WARNING + 2, deadline_provisional=True)
    assert api("supervisor").act(desk["C"], "supervise", note="请加快").status_code == 200
    client = login_as("dispatcher")
    html = client.get("/events").get_data(as_text=True)
    cells = dict(re.findall(r'href="/events/(\d+)\?back=[^"]*">.*?<td class="badges">(.*?)</td>',
                            html, re.S))
    due = lambda name: db.session.get(Event, desk[name]).due_at.astimezone(
        ZoneInfo("Asia/Shanghai")).strftime("%m-%d %H:%M")
    with world.app_context():
        expected = {"B": f"已立案 超期2级 · 立案派遣时限 {due('B')} *",
                    "C": f"已立案 立案派遣时限 {due('C')} 督办 ×1",
                    "D": "挂账 计时暂停", "E": "不予立案"}
    for name, words in expected.items():
        badge = " ".join(re.sub(r"<[^>]+>", " ", cells[str(desk[name])]).split())
        assert badge == words, name
        page = client.get(f"/events/{desk[name]}").get_data(as_text=True)
        head = page.split('<header class="case-head">', 1)[1].split("</header>", 1)[0]
        assert " ".join(re.sub(r"<[^>]+>", " ", head.split("</h1>", 1)[1]).split()) == words
    assert 'class="clock clock-red" title="立案派遣"' in cells[str(desk["B"])]
    assert 'class="clock clock-yellow"' in cells[str(desk["C"])]


def test_each_role_gets_its_own_menu_in_its_own_language(world, login_as):
    """The top bar's menu is rendered once per role and language and kept
    (core.templating.menu): asked in turn, each role still sees its own links, in the
    language it chose, and a language change shows at once."""
    def menu(client):
        html = client.get("/events").get_data(as_text=True)
        nav = html.split('<header class="topbar">', 1)[1].split("<nav>", 1)[1].split("</nav>", 1)[0]
        return re.findall(r'href="([^"]+)"[^>]*>([^<]+)</a>', nav)
    dispatcher, worker, supervisor = (login_as(name) for name in ("dispatcher", "worker",
                                                                  "supervisor"))
    for _round in range(2):
        assert ("/hotline", "热线受理") in menu(dispatcher)
        assert ("/admin", "系统管理") in menu(dispatcher)
        assert not any(name in ("热线受理", "系统管理") for _href, name in menu(worker))
        assert ("/grids", "网格") in menu(worker) and ("/events/new", "上报") in menu(worker)
        assert ("/events/new", "上报") not in menu(supervisor)
        assert dict(menu(supervisor))["/dashboard"] == "数据看板"
    assert dispatcher.get("/lang/en").status_code == 302
    assert ("/hotline", "Hotline intake") in menu(dispatcher)
    assert ("/hotline", "热线受理") not in menu(dispatcher)
    assert dict(menu(supervisor))["/dashboard"] == "数据看板"  # the other user kept Chinese


def test_the_chosen_filters_stay_selected(desk, login_as):
    """The filter lists (core.templating.options) mark what the URL chose and escape names."""
    html = login_as("dispatcher").get(
        "/events?state=rejected&category=06010&grid=220221101000002&source=hotline"
    ).get_data(as_text=True)
    chosen = re.findall(r'<option value="([^"]*)" selected>([^<]*)</option>', html)
    assert [value for value, _name in chosen] == ["rejected", "06010", "220221101000002",
                                                  "hotline"]
    assert dict(chosen)["rejected"] == "不予立案" and dict(chosen)["hotline"] == "热线"
    assert html.count(" selected>") == 4
    assert '<option value="">全部类别</option>' in html


def test_the_filter_options_escape_what_they_show():
    """A name or value with markup in it (a department named by an admin) stays text."""
    from core.templating import options
    assert str(options([("a&b", '<i>"x"</i>'), ("c", "d")], "a&b")) == (
        '<option value="a&amp;b" selected>&lt;i&gt;&#34;x&#34;&lt;/i&gt;</option>'
        '<option value="c">d</option>')


def test_the_filter_lists_follow_an_edit_and_the_language_at_once(desk, world, login_as):
    """The filter lists' tags are kept once made (core.templating.options, issue 8): a
    category and a grid renamed and the page's language show on the next page all the
    same — what is kept is looked up by what the lists hold."""
    from sqlalchemy import select

    from events.models import Category
    from grid.models import Grid
    dispatcher = login_as("dispatcher")

    def options_of(name: str) -> dict:
        html = dispatcher.get("/events").get_data(as_text=True)
        select_html = re.search(rf'<select name="{name}">(.*?)</select>', html, re.S).group(1)
        return dict(re.findall(r'<option value="([^"]*)"[^>]*>([^<]*)</option>', select_html))

    assert options_of("category")["06010"] != "暴露垃圾（已更名）"
    assert options_of("state")["rejected"] == "不予立案"
    with writing(world):
        db.session.scalar(select(Category).where(Category.code == "06010")).name = \
            "暴露垃圾（已更名）"
        db.session.scalar(select(Grid).where(Grid.code == "220221101000002")).name = \
            "清河镇第2网格（已更名）"
    assert options_of("category")["06010"] == "暴露垃圾（已更名）"
    assert options_of("grid")["220221101000002"] == "清河镇第2网格（已更名）"
    assert dispatcher.get("/lang/en").status_code == 302
    assert options_of("state")["rejected"] == "Rejected"
    assert dispatcher.get("/lang/zh_CN").status_code == 302
    assert options_of("state")["rejected"] == "不予立案"


def test_a_kept_fragment_follows_its_values_and_an_edited_template(world):
    """core.templating.fragment keeps a part of a page by what it is made of: other values
    make another; a template edited while the app runs with auto-reload (`make run`) is
    drawn anew (the review of session 35: the menu's cache kept the old one)."""
    from flask import render_template_string
    from jinja2 import ChoiceLoader, DictLoader
    sources = {"kept.html": "<b>{{ x }}</b> v1"}
    env = world.jinja_env
    loader, auto_reload = env.loader, env.auto_reload
    env.loader, env.auto_reload = ChoiceLoader([DictLoader(sources), loader]), True
    try:
        with world.test_request_context("/"):
            page = "{{ fragment('kept.html', x=x) }}"
            assert render_template_string(page, x="<i>") == "<b>&lt;i&gt;</b> v1"
            assert render_template_string(page, x=2) == "<b>2</b> v1"
            sources["kept.html"] = "<b>{{ x }}</b> v2"
            assert render_template_string(page, x=2) == "<b>2</b> v2"
            from markupsafe import Markup
            assert render_template_string(page, x=Markup("<i>")) == "<b><i></b> v2"
            assert render_template_string(page, x="<i>") == "<b>&lt;i&gt;</b> v2"
    finally:
        env.loader, env.auto_reload = loader, auto_reload
        env.cache.clear()


def test_the_kept_filter_forms_are_bounded_and_a_next_page_keeps_no_other(desk, world, api,
                                                                          login_as, monkeypatch):
    """The workbench's filter form is kept once for a list however far it is paged (the
    cursor is not part of it); the forms kept are bounded by their size."""
    import core.templating
    dispatcher = login_as("dispatcher")
    kept = world.extensions["gridgov.fragments"]
    kept.pop("events/_filters.html", None)
    assert dispatcher.get("/events?sort=newest").status_code == 200
    cursor = api("dispatcher").get("/api/v1/events?limit=2").get_json()["next_cursor"]
    second = dispatcher.get(f"/events?sort=newest&cursor={cursor}")
    assert second.status_code == 200 and len(list_rows(second)) == len(desk) - 2
    assert len(kept["events/_filters.html"].parts) == 1
    assert dispatcher.get("/events?sort=newest&state=filed").status_code == 200
    assert len(kept["events/_filters.html"].parts) == 2
    monkeypatch.setattr(core.templating, "FRAGMENT_CHARACTERS", 1)
    kept.pop("events/_filters.html")
    for query in ("a", "b", "c"):  # each search its own form; one kept at a time
        assert dispatcher.get(f"/events?q={query}").status_code == 200
        assert len(kept["events/_filters.html"].parts) == 1


def test_the_list_links_are_what_url_for_makes(world):
    """events.views.list_url builds the workbench's links itself (issue 8): byte for byte
    what url_for makes, for any words of a search and under a mount point."""
    from flask import url_for

    from events.views import list_url
    tricky = ["垃圾 清运", "a+b&c=d", '"<script>', "100%", "x/y?z#w", "~!*()'", "dXJn+/="]
    for root in ("", "/gov", "/g ov/子"):
        with world.test_request_context("/events", base_url=f"http://127.0.0.1{root}"):
            for text in tricky:
                args = {"q": text, "state": "filed", "cursor": text, "sort": "urgency"}
                assert list_url(args) == url_for("events.list_events", **args)
                assert list_url(args, cursor=None, q="") == url_for(
                    "events.list_events", state="filed", sort="urgency")


def test_a_time_from_another_year_shows_its_year(desk, world, login_as):
    """A case reported last year must not read as this year's: its time carries its year;
    this year's times stay short."""
    zone = ZoneInfo(world.config["LOCAL_TIMEZONE"])
    now = clock.utcnow()
    old = now - timedelta(days=400)
    _set(world, desk["D"], created_at=old)
    with world.app_context():
        recent = db.session.get(Event, desk["B"]).created_at
    rows = list_rows(login_as("dispatcher").get("/events"))
    assert old.astimezone(zone).strftime("%Y-%m-%d %H:%M") in rows[5]  # D: no clock, last
    assert recent.astimezone(zone).strftime("%m-%d %H:%M") in rows[0]  # B: overdue, first
    assert recent.astimezone(zone).strftime("%Y-%m-%d") not in rows[0]
