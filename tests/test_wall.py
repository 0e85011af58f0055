"""大屏 (issue 11): the wall display's figures as JSON for the viewer's scope, and the page
in a real Chromium at 1920×1080 redrawing itself without a reload — and keeping its figures,
saying how old they are, while the network is down."""
import pytest

from tests.test_browser import SHOTS
from tests.test_dashboard_browser import WALL, _supervisor


def test_the_walls_figures(tuesday, login_as):
    data = login_as("supervisor").get("/dashboard/wall.json").get_json()
    # the clock stands at Wednesday 2026-03-11 12:00: Tuesday's cases are this week's
    assert data["cards"]["week"]["reported"] == {"value": 5, "before": 0}
    assert data["cards"]["day"]["reported"] == {"value": 0, "before": 5}
    assert data["cards"]["week"]["overdue_now"]["value"] == 1
    assert [row["holder"] for row in data["overdue"]] == ["环卫所"]
    assert data["trend"]["days"][-1] == "2026-03-11" and len(data["trend"]["days"]) == 14
    assert data["grids"]["220221101000001"] == {"reported": 5, "open": 1, "overdue": 1}
    town = login_as("dispatcher2").get("/dashboard/wall.json").get_json()
    assert town["cards"]["week"]["reported"]["value"] == 0 and town["grids"] == {}


@pytest.mark.parametrize("who, status", [("supervisor", 200), ("dispatcher", 200),
                                         ("admin", 200), ("worker", 403), ("handler", 403)])
def test_who_sees_the_wall(world, login_as, who, status):
    assert login_as(who).get("/dashboard/wall").status_code == status
    assert login_as(who).get("/dashboard/wall.json").status_code == status


def test_the_wall_redraws_itself_and_rides_out_a_dropped_network(busy, open_context, live_server,
                                                                  report):
    from playwright.sync_api import expect
    page, errors = _supervisor(open_context, live_server, WALL)
    page.goto(f"{live_server}/dashboard/wall?every=2")
    week = page.locator("#v-week-reported")
    expect(week).not_to_have_text("—")
    before = int(week.inner_text())
    expect(page.locator("#wall-map path.leaflet-interactive").first).to_be_attached()
    expect(page.locator("#wall-trend svg")).to_be_attached()
    page.evaluate("window.gridgovWallMarker = 1")  # gone if the page reloads
    report("worker", description="大屏测试：新上报")
    expect(week).to_have_text(str(before + 1), timeout=10_000)
    assert page.evaluate("window.gridgovWallMarker") == 1  # redrawn in place
    fits = page.evaluate("() => [document.documentElement.scrollWidth, document.documentElement.scrollHeight]")
    assert fits[0] <= 1920 and fits[1] <= 1080, fits  # one screen, no scrolling
    page.screenshot(path=str(SHOTS / "wall-1.png"))
    page.context.set_offline(True)
    stale = page.locator("#wall-stale")
    expect(stale).to_contain_text("网络中断", timeout=10_000)
    expect(week).to_have_text(str(before + 1))  # the last figures stay up
    page.screenshot(path=str(SHOTS / "wall-2-offline.png"))
    report("worker", description="大屏测试：断网时上报")
    page.context.set_offline(False)
    expect(stale).to_be_hidden(timeout=10_000)
    expect(week).to_have_text(str(before + 2), timeout=10_000)
    assert page.evaluate("window.gridgovWallMarker") == 1
    assert not [e for e in errors if "ERR_INTERNET_DISCONNECTED" not in e], errors
