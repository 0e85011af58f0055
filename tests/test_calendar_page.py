"""The admins' work-calendar page."""
from datetime import date

import pytest

from workcal.calendar import WorkDay
from core.extensions import db
from tests.support import DEMO_PASSWORD, writing


def _login(client, username):
    client.post("/login", data={"username": username, "password": DEMO_PASSWORD})


@pytest.fixture
def forget_2027(world):
    yield
    with writing(world):
        db.session.execute(WorkDay.__table__.delete().where(WorkDay.day >= date(2027, 1, 1)))


def test_admin_enters_next_year_and_overrides_a_day(world, client, forget_2027):
    _login(client, "admin")
    page = client.get("/admin/calendar?year=2026").get_data(as_text=True)
    assert "2026-02-14 · 上班" in page and "春节" in page
    refused = client.post("/admin/calendar/years", data={"year": "2027"},
                          follow_redirects=True).get_data(as_text=True)
    assert "does not know 2027" in refused
    done = client.post("/admin/calendar/years", data={"year": "2027", "source": "weekdays"},
                       follow_redirects=True).get_data(as_text=True)
    assert "已录入 2027 年 365 天" in done
    client.post("/admin/calendar/days", data={"day": "2027-02-06", "kind": "off",
                                               "name": "春节"})
    with world.app_context():
        row = db.session.get(WorkDay, date(2027, 2, 6))
        assert (row.is_workday, row.name, row.source) == (False, "春节", "admin")
    bad = client.post("/admin/calendar/days", data={"day": "06/02/2027", "kind": "off"},
                      follow_redirects=True).get_data(as_text=True)
    assert "YYYY-MM-DD" in bad


def test_calendar_page_is_for_admins_only(world, client):
    _login(client, "dispatcher")
    assert client.get("/admin/calendar").status_code == 403
    assert client.post("/admin/calendar/years", data={"year": "2030"}).status_code == 403
