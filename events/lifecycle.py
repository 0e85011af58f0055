"""The case lifecycle (七步闭环) as plain data: states, transitions and who may take them.

Pure: no Flask, no SQLAlchemy. Scope (which grid, town or department a user covers) is
decided in auth/; this module answers "may this role take this action from this state".
"""
from dataclasses import dataclass

#: 上报 — awaiting 核实 by the grid's worker
REPORTED = "reported"
#: 立案 — accepted as a case, awaiting 派遣
FILED = "filed"
#: 派遣 — sent to a department, awaiting 签收
DISPATCHED = "dispatched"
#: 签收 — being handled by the department
ACCEPTED = "accepted"
#: 处置完毕 — awaiting 核查 on site
HANDLED = "handled"
#: 结案
CLOSED = "closed"
#: 不予立案 / 作废 / 重复
REJECTED = "rejected"
#: 挂账 — clock paused
SUSPENDED = "suspended"

STATES = (REPORTED, FILED, DISPATCHED, ACCEPTED, HANDLED, CLOSED, REJECTED, SUSPENDED)
FINAL_STATES = frozenset({CLOSED, REJECTED})
OPEN_STATES = frozenset(STATES) - FINAL_STATES
SUSPENDABLE = frozenset({FILED, DISPATCHED, ACCEPTED})

GRID_WORKER, DISPATCHER, HANDLER, SUPERVISOR, ADMIN = (
    "grid_worker", "dispatcher", "handler", "supervisor", "admin")
STAFF_ROLES = (GRID_WORKER, DISPATCHER, HANDLER, SUPERVISOR, ADMIN)
#: the system itself, for the steps a setting makes automatic (自动派遣)
SYSTEM = "system"
#: the resident who reported, acting through the tracking page (不满意 → reopen)
RESIDENT = "resident"

#: Marker for "back to the state the case was suspended from".
RESUME_TARGET = "<suspended_from>"


@dataclass(frozen=True)
class Rule:
    action: str
    sources: frozenset
    target: str | None  # None: the state does not change
    roles: frozenset


def _rule(action, sources, target, roles):
    return Rule(action, frozenset(sources), target, frozenset(roles))


RULES = (
    _rule("verify", {REPORTED}, FILED, {GRID_WORKER, DISPATCHER, ADMIN}),
    _rule("reject", {REPORTED}, REJECTED, {GRID_WORKER, DISPATCHER, ADMIN}),
    # 作废: a filed case found to be a duplicate or invalid before dispatch
    _rule("reject", {FILED}, REJECTED, {DISPATCHER, ADMIN}),
    _rule("dispatch", {FILED}, DISPATCHED, {DISPATCHER, ADMIN, SYSTEM}),
    _rule("accept", {DISPATCHED}, ACCEPTED, {HANDLER, ADMIN}),
    _rule("return", {DISPATCHED, ACCEPTED}, FILED, {HANDLER, ADMIN}),
    _rule("request_extension", {ACCEPTED}, None, {HANDLER, ADMIN}),
    _rule("approve_extension", {ACCEPTED}, None, {DISPATCHER, ADMIN}),
    _rule("deny_extension", {ACCEPTED}, None, {DISPATCHER, ADMIN}),
    _rule("handle", {ACCEPTED}, HANDLED, {HANDLER, ADMIN}),
    _rule("close", {HANDLED}, CLOSED, {GRID_WORKER, DISPATCHER, ADMIN}),
    _rule("rework", {HANDLED}, DISPATCHED, {GRID_WORKER, DISPATCHER, ADMIN}),
    _rule("suspend", SUSPENDABLE, SUSPENDED, {DISPATCHER, SUPERVISOR, ADMIN}),
    _rule("resume", {SUSPENDED}, RESUME_TARGET, {DISPATCHER, SUPERVISOR, ADMIN}),
    _rule("reopen", {CLOSED}, DISPATCHED, {SUPERVISOR, ADMIN, RESIDENT}),
    # 督办: a supervision order on an open case; the state does not change
    _rule("supervise", OPEN_STATES, None, {SUPERVISOR, ADMIN}),
    _rule("comment", OPEN_STATES, None, set(STAFF_ROLES)),
)

ACTIONS = tuple(dict.fromkeys(rule.action for rule in RULES))
#: actions that need a written reason or note
NOTE_REQUIRED = frozenset({"reject", "return", "handle", "close", "rework", "suspend",
                           "reopen", "comment", "request_extension", "deny_extension",
                           "supervise"})
#: actions that may carry photos
PHOTO_ACTIONS = frozenset({"handle", "close", "rework", "comment", "verify", "reject"})
#: why a report is not filed (不予立案), as the verifier picks it on site
REJECT_REASONS = ("不属实", "重复", "不属于网格事项", "其他")
#: whom a 督办 may be addressed to (notify/'s audience names): who holds the case now, the
#: department's head, the town's dispatchers; without a choice, the setting's (holder + head)
SUPERVISE_RECIPIENTS = ("holder", "department_heads", "town_dispatchers")
#: the steps that move a case along the 七步闭环, in the order the case page offers them;
#: the others (不予立案, 回退, 挂账, 备注 …) are side steps
NEXT_STEPS = ("verify", "dispatch", "accept", "handle", "close", "approve_extension", "resume",
              "reopen")


def next_step(actions) -> str | None:
    """The step a user would take next among the actions they may take, if any."""
    return next((action for action in NEXT_STEPS if action in actions), None)


@dataclass(frozen=True)
class CaseFacts:
    """What the rules need to know about a case beyond its state."""

    state: str
    suspended_from: str | None = None
    extension_pending: bool = False
    #: a report of a category the town's dispatchers verify (其他问题), not the grid worker
    dispatcher_verifies: bool = False


#: the steps a report's verifier takes
VERIFY_STEPS = ("verify", "reject")


def _guard(action: str, facts: CaseFacts, role: str) -> bool:
    if action in VERIFY_STEPS and facts.dispatcher_verifies and role == GRID_WORKER:
        return False
    if action == "request_extension":
        return not facts.extension_pending
    if action in ("approve_extension", "deny_extension"):
        return facts.extension_pending
    if action == "resume":
        return facts.suspended_from in SUSPENDABLE
    return True


def find_rule(action: str, state: str, role: str) -> Rule | None:
    for rule in RULES:
        if rule.action == action and state in rule.sources and role in rule.roles:
            return rule
    return None


def allowed_actions(facts: CaseFacts, role: str) -> list[str]:
    """Actions `role` may take on a case in this situation, in table order."""
    return [action for action in ACTIONS
            if find_rule(action, facts.state, role) and _guard(action, facts, role)]


class TransitionError(Exception):
    """The action is not allowed here; `allowed` lists what is."""

    def __init__(self, action: str, facts: CaseFacts, role: str):
        self.action = action
        self.state = facts.state
        self.allowed = allowed_actions(facts, role)
        super().__init__(f"action {action!r} not allowed for {role} in state {facts.state!r}")


def next_state(action: str, facts: CaseFacts, role: str) -> str:
    """The state after `action`, or TransitionError."""
    rule = find_rule(action, facts.state, role)
    if rule is None or not _guard(action, facts, role):
        raise TransitionError(action, facts, role)
    if rule.target is None:
        return facts.state
    if rule.target == RESUME_TARGET:
        return facts.suspended_from
    return rule.target


def initial_state(source: str, reporter_role: str | None) -> str:
    """A grid worker's own patrol report is filed directly; everything else awaits 核实."""
    if source == "patrol" and reporter_role == GRID_WORKER:
        return FILED
    return REPORTED


def replay(initial: str, steps: list[tuple[str, str]]) -> str:
    """Fold logged (from_state, to_state) pairs; raises if the chain is broken."""
    state = initial
    for from_state, to_state in steps:
        if from_state != state:
            raise ValueError(f"log broken: expected from {state!r}, got {from_state!r}")
        state = to_state
    return state
