"""网格员考核 (issue 11): each grid worker's 综合指标值 — 按时核实率 and 按时核查率 from the
核实 and 核查 they did, 主动发现率 from the cases their patrols had filed against all cases
filed in their grids — ranked and marked like the departments, through the API and the page."""
import pytest

from tests.fixtures.dashboard import local  # noqa: F401  (the tuesday fixture's clock)


def _workers(api, who="supervisor", **query):
    answer = api(who).get("/api/v1/rankings?level=worker&" + "&".join(
        f"{k}={v}" for k, v in query.items()))
    assert answer.status_code == 200, answer.get_json()
    return answer.get_json()


def test_a_worker_scores_what_they_did(tuesday, api):
    """Tuesday's worker verified D in time, checked A twice (返工, then 结案) and B once, all
    in time, and found A, B and E of the four filed cases of their grid on patrol:
    30·1 + 30·1 + 40·¾ = 90."""
    got = _workers(api, period="2026-03")
    assert got["level"] == "worker" and got["from"] == "2026-03-01"
    mine = next(item for item in got["items"] if item["code"] == "worker")
    assert (mine["score"], mine["grade"], mine["rank"], mine["mark"]) == (90.0, "A", 1, "commend")
    # a worker of a grid with nothing to judge is listed last, unranked
    idle = [item for item in got["items"] if item["code"] != "worker"]
    assert idle and all(item["score"] is None and item["rank"] is None for item in idle)
    # February: nothing happened, nobody is ranked
    assert all(item["rank"] is None for item in _workers(api, period="2026-02")["items"])


def test_the_weights_of_workers_are_the_admins(tuesday, api, world):
    from sqlalchemy import select

    from auth.models import User
    from core.database import write_transaction
    from core.extensions import db
    from dashboard import weights
    with world.test_request_context(), write_transaction():
        admin = db.session.scalar(select(User).where(User.username == "admin"))
        weights.save("worker", {"proactive_rate": 10}, admin)
    mine = next(i for i in _workers(api, period="2026-03")["items"] if i["code"] == "worker")
    assert mine["score"] == 75.0  # 主动发现率 ¾ alone


@pytest.mark.parametrize("who, query, status", [
    ("supervisor", "level=worker&town=999999999999", 422),
    ("worker", "level=worker", 403),
    ("supervisor", "level=workers", 422),
])
def test_bad_worker_queries_are_refused(tuesday, api, who, query, status):
    assert api(who).get(f"/api/v1/rankings?{query}").status_code == status


def test_the_worker_ranking_page(tuesday, login_as):
    page = login_as("supervisor").get("/dashboard/rankings?level=worker&period=2026-03")
    assert page.status_code == 200
    text = page.get_data(as_text=True)
    assert "网格员考核排名" in text and "通报表扬" in text
    assert "按时核实率×30 + 按时核查率×30" in text or "主动发现率×40" in text
