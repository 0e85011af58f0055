"""Two people acting on the same case at the same moment: one wins, one gets 409."""
import threading

from sqlalchemy import func, select

from core.extensions import db
from events.models import EventLog


def test_two_clients_same_action_exactly_one_wins(world, report, token_for):
    event = report("worker")
    token = token_for("dispatcher")
    barrier = threading.Barrier(2)
    results = []

    def act(department):
        client = world.test_client()
        barrier.wait()
        response = client.post(f"/api/v1/events/{event['id']}/actions",
                               json={"action": "dispatch", "department_code": department},
                               headers={"Authorization": f"Bearer {token}"})
        results.append((response.status_code, response.get_json()))

    threads = [threading.Thread(target=act, args=(code,))
               for code in ("220221101000-HW", "220221101000-ZF")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    codes = sorted(code for code, _ in results)
    assert codes == [200, 409], results
    with world.app_context():
        dispatches = db.session.scalar(select(func.count()).select_from(EventLog).where(
            EventLog.event_id == event["id"], EventLog.action == "dispatch"))
    assert dispatches == 1


def test_two_clients_different_actions_one_wins(world, report, token_for):
    """A handler accepts while the dispatcher suspends: never both."""
    event = report("worker")
    dispatcher = token_for("dispatcher")
    handler = token_for("handler")
    world.test_client().post(f"/api/v1/events/{event['id']}/actions",
                             json={"action": "dispatch"},
                             headers={"Authorization": f"Bearer {dispatcher}"})
    barrier = threading.Barrier(2)
    results = {}

    def act(name, token, body):
        client = world.test_client()
        barrier.wait()
        response = client.post(f"/api/v1/events/{event['id']}/actions", json=body,
                               headers={"Authorization": f"Bearer {token}"})
        results[name] = response.status_code

    threads = [threading.Thread(target=act, args=("accept", handler, {"action": "accept"})),
               threading.Thread(target=act, args=("suspend", dispatcher,
                                                  {"action": "suspend", "note": "协调"}))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert sorted(results.values()) in ([200, 200], [200, 409]), results
    with world.app_context():
        logs = db.session.scalars(select(EventLog).where(EventLog.event_id == event["id"])
                                  .order_by(EventLog.id)).all()
    # The log always chains: each step starts where the previous one ended.
    for before, after in zip(logs, logs[1:]):
        assert after.from_state == before.to_state


def test_the_same_idempotency_key_at_the_same_moment_makes_one_case(world, token_for):
    """Two taps on a weak network send the report twice at once: one case, one answer."""
    token = token_for("worker")
    barrier = threading.Barrier(2)
    answers = []

    def send():
        client = world.test_client()
        barrier.wait()
        response = client.post("/api/v1/events", json={
            "category_code": "06010", "lat": 43.603, "lon": 126.485, "description": "同时提交"},
            headers={"Authorization": f"Bearer {token}", "Idempotency-Key": "tap-1"})
        answers.append((response.status_code, response.get_json()["id"]))

    threads = [threading.Thread(target=send) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert [code for code, _ in answers] == [201, 201]
    assert answers[0][1] == answers[1][1]
    with world.app_context():
        from events.models import Event
        assert db.session.scalar(select(func.count()).select_from(Event)) == 1
