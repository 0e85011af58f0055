"""The factories (tests/factories.py) build worlds the app accepts: a case made by them is
the one its people see and act on — so tests can state only what they are about."""
import pytest
from sqlalchemy import select

from auth.services import issue_token
from core.extensions import db
from events.models import Event
from tests.support import writing
from tests.factories import NOW, PASSWORD, ROAD, make_case, make_town, make_user


@pytest.mark.parametrize("state", sorted(ROAD))
def test_a_case_is_walked_to_the_asked_state_through_the_services(app, state):
    with writing(app):
        town = make_town(grids=2)
        event = make_case(town.grids[1], state=state)
        assert event.state == state and event.grid_id == town.grids[1].id
        assert [log.action for log in event.logs][0] == "create"
        assert len(event.logs) == 1 + len(ROAD[state])


def test_people_made_by_factories_see_and_act_on_their_case(app, freeze):
    freeze(NOW)
    with writing(app):
        town = make_town(grids=2)
        worker = make_user("checker", "grid_worker", grids=[town.grids[0]])
        other = make_user("elsewhere", "grid_worker", grids=[town.grids[1]])
        event = make_case(town.grids[0], state="handled", people={"worker": worker})
        tokens = {user.username: issue_token(user, NOW)[0] for user in (worker, other)}
        event_id = event.id
    client = app.test_client()
    mine = client.get("/api/v1/events?mine=1",
                      headers={"Authorization": f"Bearer {tokens['checker']}"}).get_json()
    assert [item["id"] for item in mine["items"]] == [event_id]  # 待核查 in their queue
    theirs = client.get("/api/v1/events",
                        headers={"Authorization": f"Bearer {tokens['elsewhere']}"}).get_json()
    assert theirs["items"] == []
    page = client.post("/login", data={"username": "checker", "password": PASSWORD})
    assert page.status_code == 302
    from tests.support import ApiClient
    checker = ApiClient(client, tokens["checker"])
    closed = checker.act(event_id, "close", note="现场已清理干净", photo=True)
    assert closed.status_code == 200 and closed.get_json()["state"] == "closed"
    with app.app_context():
        assert db.session.scalar(select(Event.state).where(Event.id == event_id)) == "closed"
