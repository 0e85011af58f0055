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


@dataclass(frozen=True)
class StepsReached:
    case: object        # the due row: id, number, state, town/grid/department/assignee, stage
    steps: tuple        # the ladder steps newly reached, ascending
    kind: str           # warn | overdue, for the highest step
    subject: str        # one line, in the case's local time
    data: dict
