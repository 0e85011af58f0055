"""Random action sequences through the real services keep the case's invariants."""
from hypothesis import HealthCheck, given, settings, strategies as st
from sqlalchemy import select

from auth.models import User
from core.database import write_transaction
from core.errors import AppError
from core.extensions import db
from events import intake, lifecycle, services
from tests.support import POINT_GRID1

USERS = ("worker", "dispatcher", "handler", "supervisor", "admin", "w101002")
PARAMS = {"request_extension": {"hours": 4.0}, "reject": {}, "dispatch": {}}


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(steps=st.lists(st.tuples(st.sampled_from(lifecycle.ACTIONS), st.sampled_from(USERS)),
                      min_size=1, max_size=25),
       hotline=st.booleans())
def test_random_action_sequences_keep_invariants(world, now, steps, hotline):
    with world.app_context():
        users = {u.username: u for u in db.session.scalars(
            select(User).where(User.username.in_(USERS)))}
        reporter = users["dispatcher" if hotline else "worker"]
        with write_transaction():
            event, _ = intake.create_event(reporter, now, category_code="06010",
                                           lat=POINT_GRID1[0], lon=POINT_GRID1[1],
                                           description="p")
        versions = [event.version]
        for action, username in steps:
            before = (event.state, event.version, len(event.logs))
            try:
                with write_transaction():  # the unit of work pages and API use
                    services.perform_action(users[username], event, action, now,
                                            note="说明", **PARAMS.get(action, {}))
            except AppError:
                db.session.refresh(event)
                assert (event.state, event.version, len(event.logs)) == before
                continue
            assert event.version > versions[-1]  # versions only grow
            versions.append(event.version)
        db.session.expire_all()
        logs = event.logs
        assert logs[0].action == "create" and logs[0].from_state is None
        replayed = lifecycle.replay(logs[0].to_state,
                                    [(log.from_state, log.to_state) for log in logs[1:]])
        assert replayed == event.state  # the log replays to the current state
        assert (event.closed_at is not None) == (event.state == "closed")
        assert (event.rejected_at is not None) == (event.state == "rejected")
        assert (event.department_id is not None) or event.state in (
            "reported", "filed", "rejected", "suspended")
