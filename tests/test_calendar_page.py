"""The admins' work-calendar page (issue 12): a year as month grids, a known year entered
from the package, an unknown one by hand (Monday–Friday, then day by day) with the choice
explained, one banner, errors in Chinese styled as errors, every change audited."""
import re
from datetime import date

from sqlalchemy import select

from audit.models import AuditEntry
from workcal.calendar import WorkDay, package_years
from core.extensions import db
from tests.support import DEMO_PASSWORD


def _login(client, username):
    client.post("/login", data={"username": username, "password": DEMO_PASSWORD})


def _cell(page, month, day):
    """The class of day `day` in month `month`'s grid."""
    table = page.split(f"<caption>{month} 月</caption>", 1)[1].split("</table>", 1)[0]
    return re.search(rf'<td class="([^"]+)"[^>]*>{day}</td>', table).group(1)


def test_a_known_year_shows_as_month_grids(world, client, freeze):
    from datetime import datetime, timezone
    freeze(datetime(2026, 11, 20, 2, 0, tzinfo=timezone.utc))
    _login(client, "admin")
    page = client.get("/admin/calendar?year=2026").get_data(as_text=True)
    assert page.count('<table class="cal-month">') == 12
    assert _cell(page, 2, 14) == "makeup"  # Saturday 14 February 2026: 春节调休, at work
    assert _cell(page, 2, 17) == "holiday"  # Tuesday 17 February 2026: 春节
    assert _cell(page, 3, 10) == "work" and _cell(page, 3, 14) == "weekend"
    assert "2026-02-14</strong> 上班" in page
    # November: next year is missing — said once, on this page, not also by the site banner
    assert page.count("尚未录入") == 1 and page.count('class="warning"') == 1
    # the form offers 2027 by hand, since the package does not know it
    assert 'value="2027"' in page
    assert re.search(r'<option value="weekdays" selected>', page)


def test_an_unknown_year_is_refused_from_the_package_and_entered_by_hand(world, client,
                                                                         forget_2027):
    assert 2027 not in package_years()
    _login(client, "admin")
    page = client.get("/admin/calendar?year=2027").get_data(as_text=True)
    assert "2027 · 未录入" in page and _cell(page, 1, 4) == "unknown"
    refused = client.post("/admin/calendar/years", data={"year": "2027",
                                                          "source": "chinese-calendar"},
                          follow_redirects=True).get_data(as_text=True)
    assert '<p class="error" role="alert">法定节假日数据暂未收录 2027 年' in refused
    assert "does not know" not in refused and '<p class="flash"' not in refused
    early = client.post("/admin/calendar/days", data={"day": "2027-02-06", "kind": "off"},
                        follow_redirects=True).get_data(as_text=True)
    assert '<p class="error" role="alert">2027 年尚未录入：请先录入该年份' in early
    done = client.post("/admin/calendar/years", data={"year": "2027", "source": "weekdays"},
                       follow_redirects=True).get_data(as_text=True)
    assert "已录入 2027 年 365 天" in done and _cell(done, 1, 4) == "work"
    client.post("/admin/calendar/days", data={"day": "2027-02-08", "kind": "off",
                                               "name": "春节"})
    client.post("/admin/calendar/days", data={"day": "2027-02-20", "kind": "workday",
                                               "name": "春节调休"})
    page = client.get("/admin/calendar?year=2027").get_data(as_text=True)
    assert _cell(page, 2, 8) == "holiday" and _cell(page, 2, 20) == "makeup"
    with world.app_context():
        row = db.session.get(WorkDay, date(2027, 2, 8))
        assert (row.is_workday, row.name, row.source) == (False, "春节", "admin")
        entries = db.session.execute(select(AuditEntry.target, AuditEntry.action,
                                            AuditEntry.after).where(
            AuditEntry.kind == "calendar").order_by(AuditEntry.id)).all()
    assert [tuple(e) for e in entries] == [
        ("2027", "create", {"source": "weekdays", "days": 365}),
        ("2027-02-08", "update", {"is_workday": False, "name": "春节"}),
        ("2027-02-20", "update", {"is_workday": True, "name": "春节调休"})]
    bad = client.post("/admin/calendar/days", data={"day": "06/02/2027", "kind": "off"},
                      follow_redirects=True).get_data(as_text=True)
    assert '<p class="error" role="alert">日期格式应为 YYYY-MM-DD' in bad


def test_calendar_page_is_for_admins_only(world, client):
    _login(client, "dispatcher")
    assert client.get("/admin/calendar").status_code == 403
    assert client.post("/admin/calendar/years", data={"year": "2030"}).status_code == 403
