"""评分权重 (issue 11): the admins set the 综合指标值's weights on a page; the rankings,
the stats API and the pages score with them at once; bad weights are refused with a message
and change nothing; only admins may set them."""
import pytest

from tests.support import DEMO_PASSWORD


def _ranking(api, **query):
    answer = api("county-lead").get("/api/v1/rankings?" + "&".join(
        f"{k}={v}" for k, v in query.items()))
    assert answer.status_code == 200, answer.get_json()
    return {i["town_name"]: i["score"] for i in answer.get_json()["items"]}


def _admin(world):
    client = world.test_client()
    assert client.post("/login", data={"username": "admin", "password": DEMO_PASSWORD}
                       ).status_code == 302
    return client


def _weights(**chosen):
    """The town form with every rate 0 but those chosen."""
    from dashboard.metrics import RATES
    return {"kind": "town", **{f"town-{m.key}": str(chosen.get(m.key, 0)) for m in RATES}}


def test_an_admin_changes_the_towns_weights_and_the_ranking_follows(county, api, world):
    before = _ranking(api, level="provincial", period="2026")
    assert before == {"P1镇": 100.0, "P2镇": 80.9, "P3镇": 42.6, "P4镇": 23.5}
    admin = _admin(world)
    page = admin.get("/dashboard/weights").get_data(as_text=True)
    assert "按期结案率×40 + 结案率×25" in page and "默认" in page
    saved = admin.post("/dashboard/weights", data=_weights(close_rate=100),
                       follow_redirects=True)
    assert saved.status_code == 200
    text = saved.get_data(as_text=True)
    assert "已保存示范镇的评分权重" in text and "结案率×100" in text
    # only 结案率 counts now: closed ÷ due, 4, 3, 1, 0 of 4
    assert _ranking(api, level="provincial", period="2026") == {
        "P1镇": 100.0, "P2镇": 75.0, "P3镇": 25.0, "P4镇": 0.0}
    stats = api("county-lead").get("/api/v1/stats?town=" + county["P2"] + "&from=2026-01-01"
                                   "&to=2026-06-01").get_json()
    assert stats["score"] == 75.0
    rules = admin.get("/dashboard/rankings?level=provincial&period=2026").get_data(as_text=True)
    assert "示范镇的综合指标值：结案率×100" in rules
    back = admin.post("/dashboard/weights", data={"kind": "town", "reset": "1"},
                      follow_redirects=True).get_data(as_text=True)
    assert "已恢复示范镇的默认权重" in back
    assert _ranking(api, level="provincial", period="2026") == before


def test_the_departments_weights_are_their_own(county, api, world):
    admin = _admin(world)
    from dashboard.metrics import RATES
    form = {"kind": "department", **{f"department-{m.key}": "0" for m in RATES},
            "department-rework_rate": "5"}
    assert admin.post("/dashboard/weights", data=form).status_code == 302
    departments = api("county-lead").get("/api/v1/rankings?level=department&period=2026")
    # nothing was reworked: every department with cases due scores 100 on (1 − 返工率) alone
    scores = {i["score"] for i in departments.get_json()["items"] if i["score"] is not None}
    assert scores == {100.0}
    assert _ranking(api, level="provincial", period="2026")["P2镇"] == 80.9  # towns unchanged


@pytest.mark.parametrize("field, value, message", [
    ("town-close_rate", "-5", "结案率 的权重须为 0–100 的整数"),
    ("town-close_rate", "101", "结案率 的权重须为 0–100 的整数"),
    ("town-satisfaction_rate", "三十", "满意率 的权重须为 0–100 的整数"),
    ("town-close_rate", "2.5", "结案率 的权重须为 0–100 的整数"),
])
def test_bad_weights_are_refused_and_change_nothing(county, api, world, field, value, message):
    before = _ranking(api, level="provincial", period="2026")
    admin = _admin(world)
    answer = admin.post("/dashboard/weights", data={**_weights(close_rate=50), field: value})
    assert answer.status_code == 422
    page = answer.get_data(as_text=True)
    assert f'<p class="error" role="alert">{message}' in page
    assert f'value="{value}"' in page  # what the admin typed is kept to mend
    assert _ranking(api, level="provincial", period="2026") == before


def test_all_zero_or_an_unknown_kind_is_refused(county, api, world):
    admin = _admin(world)
    zero = admin.post("/dashboard/weights", data=_weights())
    assert zero.status_code == 422
    assert "至少给一项指标设置大于 0 的权重" in zero.get_data(as_text=True)
    assert admin.post("/dashboard/weights", data={"kind": "grid"}).status_code == 422
    assert _ranking(api, level="provincial", period="2026")["P2镇"] == 80.9


def test_only_admins_set_the_weights(world, login_as):
    for username in ("supervisor", "dispatcher", "worker"):
        client = login_as(username)
        assert client.get("/dashboard/weights").status_code == 403
        assert client.post("/dashboard/weights", data=_weights(close_rate=1)).status_code == 403
    admin = login_as("admin")
    assert "评分权重" in admin.get("/dashboard").get_data(as_text=True)
    assert "评分权重" not in login_as("supervisor").get("/dashboard").get_data(as_text=True)


def test_the_overdue_rate_scores_in_the_running_period_only(county, api, world):
    """超期率 is a figure of this moment: weighted, it moves this year's ranking (the clock is
    2026-06-01, when P2's one open case and P3's and P4's are all overdue) and leaves a
    finished month's alone."""
    admin = _admin(world)
    assert admin.post("/dashboard/weights", data=_weights(close_rate=50, overdue_rate=50)
                      ).status_code == 302
    # P1 has nothing open (超期率 has no value, so 结案率 alone), the others score 0 on it
    assert _ranking(api, level="provincial", period="2026") == {
        "P1镇": 100.0, "P2镇": 37.5, "P3镇": 12.5, "P4镇": 0.0}
    assert _ranking(api, level="provincial", period="2026-03") == {
        "P1镇": 100.0, "P2镇": 75.0, "P3镇": 25.0, "P4镇": 0.0}
    page = admin.get("/dashboard/weights").get_data(as_text=True)
    assert "只计入正在进行的考核期" in page


def test_a_grid_workers_weights_offer_only_the_rates_a_worker_has(county, world):
    admin = _admin(world)
    page = admin.get("/dashboard/weights").get_data(as_text=True)
    assert 'name="worker-on_time_verify_rate"' in page
    assert 'name="worker-close_rate"' not in page and 'name="town-close_rate"' in page
    refused = admin.post("/dashboard/weights", data={"kind": "worker",
                                                      "worker-close_rate": "100"})
    assert refused.status_code == 422  # no worker rate above 0: nothing to score with


def test_a_weights_form_opened_before_another_admins_save_is_refused(county, api, world):
    import re
    one, two = _admin(world), _admin(world)
    page = one.get("/dashboard/weights").get_data(as_text=True)
    opened = re.search(r'name="kind" value="town">\s*<input type="hidden" name="version" '
                       r'value="([0-9a-f]+)"', page).group(1)
    assert one.post("/dashboard/weights", data={**_weights(close_rate=100),
                                                "version": opened}).status_code == 302
    late = two.post("/dashboard/weights", data={**_weights(satisfaction_rate=100),
                                                "version": opened})
    assert late.status_code == 409 and "已被他人修改" in late.get_data(as_text=True)
    assert _ranking(api, level="provincial", period="2026") == {
        "P1镇": 100.0, "P2镇": 75.0, "P3镇": 25.0, "P4镇": 0.0}  # 结案率 alone: the first save
