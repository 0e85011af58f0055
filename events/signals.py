"""What events/ announces to the packages built on it (notify/ today; dashboards and the
field app later). events/ knows nothing of who listens: a receiver connects in its own
`init_app` (issue 16: "audiences registered")."""
from dataclasses import dataclass

from blinker import Namespace

_signals = Namespace()

#: a sweep batch moved cases up the escalation ladder. Sent inside the batch's transaction,
#: after its log rows, with `reached` (a list of StepsReached), `now`, and `cache` (a dict
#: that lives for the whole sweep: receivers keep what they look up once). A receiver
#: writes its rows in the same transaction and returns how many it wrote.
steps_reached = _signals.signal("steps-reached")


#: cases about to change by a bulk UPDATE the ORM does not see (the sweep declaring them
#: overdue), sent just before it with `ids`: dashboard/rollups.py reads their facts first.
cases_changing = _signals.signal("cases-changing")

#: new cases written past the ORM's flush (core.rows.insert_now), sent inside their unit
#: with `cases` (the case objects, as stored): dashboard/rollups.py counts them at commit as
#: it counts a case the flush wrote.
cases_inserted = _signals.signal("cases-inserted")


#: a new case built and checked, before the unit of work that numbers and stores it (no
#: write lock is held yet), sent with `event` (its id and number not yet known): a
#: receiver reads now what it will need when the unit announces the case's move under the
#: lock, and keeps it for that unit (notify/: who will hear of it).
case_drafted = _signals.signal("case-drafted")


@dataclass(frozen=True)
class StepsReached:
    case: object        # the due row: id, number, state, town/grid/department/assignee, stage
    steps: tuple        # the ladder steps newly reached, ascending
    kind: str           # warn | overdue, for the highest step
    subject: str        # one line, in the case's local time
    data: dict


#: cases moved in a unit of work (a report stored, a transition made), sent once when the
#: unit commits — inside its transaction, after every service of the unit has run, so a
#: receiver sees each case as the unit leaves it (a case filed and dispatched in one unit
#: is no longer waiting for a dispatcher). `moves` is a list of (event, log) in order.
#: A unit that rolls back announces nothing.
case_moved = _signals.signal("case-moved")

_QUEUE = "gridgov.moves"


def announce_move(event, log) -> None:
    """Queue a move of `event` (its new log row) for case_moved at commit."""
    from core.extensions import db
    db.session.info.setdefault(_QUEUE, []).append((event, log))


def _install() -> None:
    from sqlalchemy import event as sa_event
    from sqlalchemy.orm import Session

    @sa_event.listens_for(Session, "before_commit")
    def _announce(session):
        moves = session.info.pop(_QUEUE, None)
        if moves:
            case_moved.send(None, moves=moves)

    @sa_event.listens_for(Session, "after_soft_rollback")
    def _forget(session, _previous_transaction):
        session.info.pop(_QUEUE, None)


_install()
