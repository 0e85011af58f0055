"""The board's map zoomed in (issue 11): the open cases of a view as pins coloured by their
clock — only for a view a few streets wide, at most MAX_PINS of them, soonest due first,
within the viewer's scope and the board's filters; a bad or too wide view is refused."""
import pytest

from tests.support import POINT_GRID1, POINT_GRID2

AROUND_GRID1 = {"south": POINT_GRID1[0] - 0.01, "west": POINT_GRID1[1] - 0.005,
                "north": POINT_GRID1[0] + 0.01, "east": POINT_GRID1[1] + 0.005}


def _pins(client, **query):
    answer = client.get("/dashboard/map/cases.json", query_string={**AROUND_GRID1, **query})
    assert answer.status_code == 200, answer.get_data(as_text=True)[:300]
    return answer.get_json()


def test_the_open_cases_of_a_view_are_pins(report, api, login_as):
    here = report("worker", description="第1网格的垃圾")["id"]
    there = report("dispatcher", point=POINT_GRID2, description="第2网格的垃圾")["number"]
    closed = report("worker", description="已办结")["id"]
    api("dispatcher").act(closed, "reject", reason="不属实")
    got = _pins(login_as("supervisor"))
    assert [p["url"] for p in got["pins"]] == [f"/events/{here}"] and got["more"] is False
    pin = got["pins"][0]
    assert pin["category"] == "暴露垃圾" and pin["color"] in ("green", "yellow", "red")
    assert pin["left"] and pin["state"] == "已立案"
    # the other grid is outside this view; a view around it shows its case
    east = {"west": POINT_GRID2[1] - 0.005, "east": POINT_GRID2[1] + 0.005}
    assert [p["number"] for p in _pins(login_as("supervisor"), **east)["pins"]] == [there]


def test_pins_keep_to_the_filters_and_the_soonest_due_first(report, login_as, monkeypatch):
    import dashboard.wall
    for n in range(3):
        report("worker", description=f"垃圾{n}")
    report("worker", category_code="06011", description="另一事项")
    supervisor = login_as("supervisor")
    assert len(_pins(supervisor, category="06010")["pins"]) == 3
    monkeypatch.setattr(dashboard.wall, "MAX_PINS", 2)
    got = _pins(supervisor)
    assert len(got["pins"]) == 2 and got["more"] is True


def test_a_dispatcher_sees_the_towns_and_others_none(report, login_as):
    report("worker")
    assert len(_pins(login_as("dispatcher"))["pins"]) == 1
    for username in ("worker", "handler"):
        answer = login_as(username).get("/dashboard/map/cases.json", query_string=AROUND_GRID1)
        assert answer.status_code == 403


@pytest.mark.parametrize("query, message", [
    ({"south": "x"}, "地图范围无效：需要 south、west、north、east 四个数"),
    ({"north": POINT_GRID1[0] - 0.02}, "地图范围无效：南、西须小于北、东"),
    ({"south": -91}, "地图范围无效：南、西须小于北、东"),
    ({"north": POINT_GRID1[0] + 0.5}, "范围过大：放大地图后再显示案件点位"),
])
def test_a_bad_or_wide_view_is_refused(world, login_as, query, message):
    answer = login_as("supervisor").get("/dashboard/map/cases.json",
                                        query_string={**AROUND_GRID1, **query})
    assert answer.status_code == 422
    assert message in answer.get_data(as_text=True)


def test_a_missing_corner_is_refused(world, login_as):
    answer = login_as("supervisor").get("/dashboard/map/cases.json",
                                        query_string={"south": 1, "west": 1, "north": 1.1})
    assert answer.status_code == 422
