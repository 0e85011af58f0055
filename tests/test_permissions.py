"""Who reaches where is one rule (auth.permissions' scopes, issue 16): the list's SQL, a
case page's check, the 上报 form's grids, the API's report check and the grid pages all
read it, so they agree for every user on every case and grid."""
import pytest
from sqlalchemy import select

from auth.models import User
from auth.permissions import REPORTING_ROLES, report_scope
from core.extensions import db
from events.access import (can_report_in, can_see, grid_scope_clause, reportable_grids_clause,
                           visible_clause)
from events.models import Event
from grid.models import Grid
from portal.staff import can_view
from tests.support import DEMO_PASSWORD, POINT_GRID1, writing


@pytest.fixture
def county(app, now):
    """The demo county with cases in both towns, every state, several departments."""
    from demo.seed import seed_demo
    with writing(app):
        seed_demo(now, password=DEMO_PASSWORD, cases=60)
    return app


def _staff():
    users = db.session.scalars(select(User).order_by(User.username)).all()
    roles = {u.role for u in users}
    assert roles == {"admin", "supervisor", "dispatcher", "grid_worker", "handler"}
    return users


def test_the_case_list_and_the_case_page_admit_the_same_cases(county):
    with county.app_context():
        events = db.session.scalars(select(Event)).all()
        assert len({e.town_id for e in events}) == 2 and len({e.department_id for e in events}) > 2
        reach = {}
        for user in _staff():
            listed = set(db.session.scalars(select(Event.id).where(visible_clause(user))))
            shown = {e.id for e in events if can_see(user, e)}
            assert listed == shown, user.username
            reach.setdefault(user.role, set()).add(len(listed))
        assert reach["admin"] == reach["supervisor"] == {len(events)}  # the county's supervisor
        for role in ("dispatcher", "grid_worker", "handler"):  # some cases, never all
            assert max(reach[role]) > 0 and max(reach[role]) < len(events), role


def test_the_grid_filter_and_the_grid_page_agree(county):
    with county.app_context():
        grids = db.session.scalars(select(Grid)).all()
        for user in _staff():
            filtered = set(db.session.scalars(select(Grid.id).where(grid_scope_clause(user))))
            if user.role == "handler":  # the filter offers the department's region …
                assert filtered and not any(can_view(user, g) for g in grids)  # … no grid page
                continue
            assert filtered == {g.id for g in grids if can_view(user, g)}, user.username


def test_the_report_form_offers_exactly_the_grids_the_api_accepts(county):
    with county.app_context():
        grids = db.session.scalars(select(Grid)).all()
        for user in _staff():
            offered = set(db.session.scalars(select(Grid.id).where(reportable_grids_clause(user))))
            assert offered == {g.id for g in grids if can_report_in(user, g)}, user.username
            assert bool(offered) == (user.role in REPORTING_ROLES), user.username
            assert report_scope(user).kind != "none" or user.role not in ("admin", "dispatcher")


def test_a_supervisor_reports_neither_on_the_page_nor_through_the_api(world, api, login_as,
                                                                     new_case_form):
    """DESIGN's roles: supervisors watch and 督办; reports come from grid workers' patrols,
    the command centre's desk and residents. The API used to accept a supervisor's report."""
    lat, lon = POINT_GRID1
    response = api("supervisor").post("/api/v1/events", json={
        "category_code": "06010", "lat": lat, "lon": lon, "description": "路边垃圾"})
    assert response.status_code == 403, response.get_json()
    assert login_as("supervisor").get("/events/new").status_code == 403
    with world.app_context():
        assert db.session.scalar(select(Event.id)) is None  # nothing half-written
    assert api("dispatcher").post("/api/v1/events", json={
        "category_code": "06010", "lat": lat, "lon": lon, "description": "路边垃圾"}
    ).status_code == 201


def test_a_supervisors_subtree_follows_a_change_of_region(app):
    """An API request's supervisor has no region loaded: its scope reads the region's path
    alone and keeps it for the request — and reads it again when the region changes."""
    from auth.permissions import case_scope
    from tests.factories import make_county, make_user
    with writing(app):
        first, second = make_county(), make_county()
        ident = make_user("perm-supervisor", "supervisor", region=first).id
        paths = (first.path, second.path, second.id)
    with app.app_context():
        user = db.session.get(User, ident)
        assert "region" not in user.__dict__
        assert case_scope(user).path == paths[0]
        assert case_scope(user).path == paths[0]  # kept, not read again
        user.region_id = paths[2]
        assert case_scope(user).path == paths[1]
