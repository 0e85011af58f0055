"""The unfiltered lists (issue 8) — newest first, the API's; most urgent first, the
workbench's; oldest first — run statements built once per scope: every role pages through
exactly what the general path gives, a worker given another grid sees its cases at once (the
statements are the scope's, not the user's), and the kept statements are bounded — on both
engines."""
import re

import pytest
from sqlalchemy import delete, select

from auth.models import User
from core.extensions import db
from events import filters
from grid.models import Grid, GridMember
from tests.support import writing

ROLES = ("worker", "dispatcher", "handler", "supervisor", "admin")


def _walk(api, username, extra=""):
    """Every case id of the user's list, page by page (7 a page) by cursor."""
    seen, cursor = [], None
    while True:
        query = f"/api/v1/events?limit=7{extra}" + (f"&cursor={cursor}" if cursor else "")
        answer = api(username).get(query)
        assert answer.status_code == 200, answer.get_json()
        body = answer.get_json()
        seen += [item["id"] for item in body["items"]]
        assert len(seen) == len(set(seen)), "a cursor led back to cases already listed"
        cursor = body["next_cursor"]
        if cursor is None:
            return seen


@pytest.mark.parametrize("sort", ["newest", "urgency", "oldest"])
def test_every_role_pages_through_what_the_general_path_gives(busy, api, monkeypatch, sort):
    every_state = "&state=reported,filed,dispatched,accepted,handled,closed,rejected,suspended"
    monkeypatch.setattr(filters, "_PLAIN_PAGES", {})
    for username in ROLES:
        fast = _walk(api, username, f"&sort={sort}")
        assert fast, username
        # a filter: the general path
        assert fast == _walk(api, username, f"&sort={sort}{every_state}"), username
        assert len(set(fast)) == len(fast)
    assert len(_walk(api, "admin", f"&sort={sort}")) == 150
    # the walks without a filter ran the kept statements: a first page and the deeper ones
    # (most urgent first: a cursor among the running clocks, then among the rest)
    kept = {(key[1], key[3]) for key in filters._PLAIN_PAGES if key[2] == sort}
    assert len(kept) == len(filters._PLAIN_PAGES)
    scopes = {scope for scope, _group in kept}
    assert len(scopes) == len(ROLES)
    assert all(len({group for scope, group in kept if scope == one}) >= 2 for one in scopes)
    assert {group for _scope, group in kept} == ({None, 0, 1} if sort == "urgency" else {None, 1})


def test_the_workbench_pages_through_every_case_most_urgent_first(busy, login_as, api):
    """The workbench's own pages, unfiltered, give the API's order of the general path:
    the running clocks soonest due first, then the rest newest first."""
    every_state = "&state=reported,filed,dispatched,accepted,handled,closed,rejected,suspended"
    general = _walk(api, "dispatcher", f"&sort=urgency{every_state}")
    page, seen, url = login_as("dispatcher"), [], "/events"
    while url:
        html = page.get(url).get_data(as_text=True)
        seen += [int(ident) for ident in re.findall(r'href="/events/(\d+)\?back=', html)]
        assert len(seen) == len(set(seen)), "a 下一页 link led back to cases already listed"
        more = re.search(r'<a class="button" href="([^"]+)">下一页</a>', html)
        url = more.group(1).replace("&amp;", "&") if more else None
    assert seen == general
    assert len(seen) > 20  # more than one page


def test_a_worker_given_another_grid_sees_its_cases_at_once(busy, api, login_as):
    """…and the workbench's grid filter, whose statement is kept per reach too, offers it."""
    page = login_as("worker")
    assert '<option value="220221101000002"' not in page.get("/events").get_data(as_text=True)
    before = set(_walk(api, "worker"))
    with writing(busy):
        worker = db.session.scalar(select(User).where(User.username == "worker"))
        other = db.session.scalar(select(Grid).where(Grid.code == "220221101000002"))
        db.session.add(GridMember(grid_id=other.id, user_id=worker.id, grid_role="worker"))
    widened = set(_walk(api, "worker"))
    assert before < widened
    assert '<option value="220221101000002"' in page.get("/events").get_data(as_text=True)
    with writing(busy):
        db.session.execute(delete(GridMember).where(GridMember.grid_id == other.id,
                                                    GridMember.user_id == worker.id))
    assert set(_walk(api, "worker")) == before


def test_the_kept_statements_are_bounded(busy, api, monkeypatch):
    monkeypatch.setattr(filters, "PLAIN_PAGES_KEPT", 2)
    monkeypatch.setattr(filters, "_PLAIN_PAGES", {})
    for username in ROLES:
        assert api(username).get("/api/v1/events?limit=5").status_code == 200
        assert 1 <= len(filters._PLAIN_PAGES) <= 2  # this scope's kept, the oldest let go


def test_a_lists_stage_names_follow_the_language_each_time(world, report, client, api):
    report("worker")  # a worker's own report is filed at once: the clock runs on 立案派遣
    for lang, name in (("zh_CN", "立案派遣"), ("en", "File and dispatch"), ("zh_CN", "立案派遣"),
                       ("en", "File and dispatch")):
        assert client.get(f"/lang/{lang}").status_code == 302
        items = api("worker").get("/api/v1/events?limit=5").get_json()["items"]
        assert [item["clock"]["stage_name"] for item in items] == [name]


def test_the_duplicate_check_is_each_viewers_own(world, report, api):
    """Its statements are kept per scope too: asked in turn, a worker of 清河镇第1网格 never
    hears of the other town's case next to the spot, its dispatcher2 and the admin do."""
    from tests.support import POINT_TOWN2
    town2 = report("dispatcher2", point=POINT_TOWN2)
    query = f"/api/v1/events/nearby?category=06010&lat={POINT_TOWN2[0]}&lon={POINT_TOWN2[1]}"
    for _round in range(2):
        for username, expected in (("worker", []), ("admin", [town2["id"]]),
                                   ("dispatcher", []), ("dispatcher2", [town2["id"]])):
            items = api(username).get(query).get_json()["items"]
            assert [item["id"] for item in items] == expected, username
