"""The lifecycle table, pure: every state × action × role, without an app."""
import ast
import itertools
from pathlib import Path

import pytest
from hypothesis import given, settings, strategies as st

from events import lifecycle as lc
from events.lifecycle import CaseFacts, TransitionError

GW, DI, HA, SU, AD = "grid_worker", "dispatcher", "handler", "supervisor", "admin"
RE = "resident"
ALL = {GW, DI, HA, SU, AD}
OPEN = ["reported", "filed", "dispatched", "accepted", "handled", "suspended"]

# Written out from DESIGN.md's table, independently of lifecycle.RULES:
# (action, from_state) -> (to_state or "same", roles allowed)
EXPECTED = {
    ("verify", "reported"): ("filed", {GW, DI, AD}),
    ("reject", "reported"): ("rejected", {GW, DI, AD}),
    ("reject", "filed"): ("rejected", {DI, AD}),
    ("dispatch", "filed"): ("dispatched", {DI, AD}),
    ("accept", "dispatched"): ("accepted", {HA, AD}),
    ("return", "dispatched"): ("filed", {HA, AD}),
    ("return", "accepted"): ("filed", {HA, AD}),
    ("request_extension", "accepted"): ("same", {HA, AD}),
    ("approve_extension", "accepted"): ("same", {DI, AD}),
    ("deny_extension", "accepted"): ("same", {DI, AD}),
    ("handle", "accepted"): ("handled", {HA, AD}),
    ("close", "handled"): ("closed", {GW, DI, AD}),
    ("rework", "handled"): ("dispatched", {GW, DI, AD}),
    ("suspend", "filed"): ("suspended", {DI, SU, AD}),
    ("suspend", "dispatched"): ("suspended", {DI, SU, AD}),
    ("suspend", "accepted"): ("suspended", {DI, SU, AD}),
    ("resume", "suspended"): ("<back>", {DI, SU, AD}),
    ("reopen", "closed"): ("dispatched", {SU, AD, RE}),
    **{("comment", state): ("same", ALL) for state in OPEN},
    **{("supervise", state): ("same", {SU, AD}) for state in OPEN},  # 督办
}


def _facts(state, action):
    """Facts under which the action's extra guard holds."""
    return CaseFacts(state=state, suspended_from="accepted" if state == "suspended" else None,
                     extension_pending=action in ("approve_extension", "deny_extension"))


@pytest.mark.parametrize("state,action,role", list(itertools.product(
    lc.STATES, lc.ACTIONS, sorted(ALL | {RE}))))
def test_every_state_action_role(state, action, role):
    facts = _facts(state, action)
    expected = EXPECTED.get((action, state))
    if expected is None or role not in expected[1]:
        with pytest.raises(TransitionError) as error:
            lc.next_state(action, facts, role)
        assert action not in error.value.allowed
        assert action not in lc.allowed_actions(facts, role)
        return
    target = lc.next_state(action, facts, role)
    want = {"same": state, "<back>": "accepted"}.get(expected[0], expected[0])
    assert target == want
    assert action in lc.allowed_actions(facts, role)


def test_extension_decisions_need_a_pending_request_and_requests_do_not_stack():
    idle = CaseFacts(state="accepted")
    pending = CaseFacts(state="accepted", extension_pending=True)
    assert "approve_extension" not in lc.allowed_actions(idle, DI)
    assert "approve_extension" in lc.allowed_actions(pending, DI)
    assert "request_extension" in lc.allowed_actions(idle, HA)
    assert "request_extension" not in lc.allowed_actions(pending, HA)


@pytest.mark.parametrize("before", ["filed", "dispatched", "accepted"])
def test_resume_returns_to_the_state_before_suspension(before):
    facts = CaseFacts(state="suspended", suspended_from=before)
    assert lc.next_state("resume", facts, SU) == before


def test_patrol_reports_by_grid_workers_skip_verification():
    assert lc.initial_state("patrol", GW) == "filed"
    assert lc.initial_state("hotline", DI) == "reported"
    assert lc.initial_state("resident", None) == "reported"


def test_final_states_allow_nothing_but_reopen():
    for role in ALL | {RE}:
        assert lc.allowed_actions(CaseFacts(state="rejected"), role) == []
        assert lc.allowed_actions(CaseFacts(state="closed"), role) in ([], ["reopen"])


PURE_MODULES = [p for p in ("events/lifecycle.py", "events/escalation.py", "dashboard/metrics.py",
                                    "dashboard/ranking.py")
                if (Path(__file__).resolve().parent.parent / p).exists()]


@pytest.mark.parametrize("path", PURE_MODULES)
def test_domain_core_imports_neither_flask_nor_sqlalchemy(path):
    file = Path(__file__).resolve().parent.parent / path
    tree = ast.parse(file.read_text())
    modules = {alias.name.split(".")[0] for node in ast.walk(tree)
               if isinstance(node, ast.Import) for alias in node.names}
    modules |= {node.module.split(".")[0] for node in ast.walk(tree)
                if isinstance(node, ast.ImportFrom) and node.module}
    assert not modules & {"flask", "sqlalchemy", "flask_sqlalchemy", "flask_login"}


@settings(max_examples=300, deadline=None)
@given(st.lists(st.tuples(st.sampled_from(lc.ACTIONS), st.sampled_from(sorted(ALL))),
                max_size=40))
def test_random_sequences_replay_from_the_log(steps):
    """Applying random actions, keeping a log of accepted ones: the log replays to the
    state, a refused action changes nothing, and the state is always a known one."""
    facts = CaseFacts(state="reported")
    log = []
    for action, role in steps:
        try:
            target = lc.next_state(action, facts, role)
        except TransitionError as error:
            assert action not in error.allowed
            continue
        log.append((facts.state, target))
        facts = CaseFacts(
            state=target,
            suspended_from=facts.state if action == "suspend" else
            (None if action == "resume" else facts.suspended_from),
            extension_pending=(action == "request_extension") or (
                facts.extension_pending and action not in
                ("approve_extension", "deny_extension", "return")))
        assert facts.state in lc.STATES
    assert lc.replay("reported", log) == facts.state


def test_the_system_may_only_dispatch_a_filed_case():
    """自动派遣 acts as the role "system": dispatch from filed, nothing else."""
    facts = CaseFacts(state="filed", suspended_from=None, extension_pending=False)
    assert lc.allowed_actions(facts, lc.SYSTEM) == ["dispatch"]
    for state in set(lc.STATES) - {"filed"}:
        assert lc.allowed_actions(CaseFacts(state=state, suspended_from=None,
                                            extension_pending=False), lc.SYSTEM) == []
