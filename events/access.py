"""Which cases a user may see and what they may do to one: auth/'s scopes (who reaches
where) applied to cases, and the lifecycle table (what each role may do in each state)."""
from sqlalchemy import and_, or_, select

from auth.permissions import admits_grid, case_scope, grid_scope, report_scope
from core.extensions import db
from events import lifecycle
from events.models import Category, Event
from grid.models import Grid


def visible_clause(user, *, unindexed: bool = False):
    """A WHERE clause on Event selecting what `user` may see. `unindexed` tests the scope
    on `column + 0`, which no index serves: the planner then walks the index of the ORDER
    BY (events.filters: ix_event_due) instead of sorting the scope's cases."""
    sqlite = db.engine.dialect.name == "sqlite"  # PostgreSQL plans from its statistics
    if unindexed:  # events.filters.apply_filters asks it of SQLite only
        return case_scope(user).clause(grid=Event.grid_id + 0, town=Event.town_id + 0,
                                       department=Event.department_id + 0, case=Event.id)
    return case_scope(user).clause(grid=Event.grid_id, town=Event.town_id,
                                   department=Event.department_id, case=Event.id,
                                   region_town=Event.town_id + 0 if sqlite else Event.town_id)


def due_indexed(user) -> bool:
    """Has the user's scope an index of its own running clocks, (column, due_at, id)? A
    handler's department and a one-grid worker's grid: their most urgent cases are read
    from it; any wider scope walks ix_event_due, testing each running clock against it."""
    scope = case_scope(user)
    return scope.kind == "department" or (scope.kind == "grids" and len(scope.ids) == 1)


def grid_scope_clause(user):
    """A WHERE clause on Grid: the grids whose cases `user` may see (the list's grid filter)."""
    return grid_scope(user).clause(grid=Grid.id, town=Grid.town_id)


def reportable_grids_clause(user):
    """A WHERE clause on Grid: where `user` may report (the 上报 form's grid list); never a
    retired grid."""
    return and_(report_scope(user).clause(grid=Grid.id, town=Grid.town_id),
                Grid.retired_at.is_(None))


def can_see(user, event: Event) -> bool:
    return case_scope(user).admits(grid_id=event.grid_id, town_id=event.town_id,
                                   department_id=event.department_id, case_id=event.id,
                                   town_path=lambda: event.town.path)


def can_report_in(user, grid) -> bool:
    """Staff report in the grids they cover (not retired); supervisors and handlers do not
    report."""
    return grid.retired_at is None and admits_grid(report_scope(user), grid)


def case_facts(event: Event) -> lifecycle.CaseFacts:
    return lifecycle.CaseFacts(
        state=event.state,
        suspended_from=event.suspended_from,
        extension_pending=event.extension_requested_hours is not None,
        dispatcher_verifies=_verifier(event) == "dispatcher",
    )


def _verifier(event) -> str | None:
    """Category.verifier of a case: an ORM case's category, or a row's joined column."""
    verifier = getattr(event, "category_verifier", None)
    if verifier is None and getattr(event, "category", None) is not None:
        verifier = event.category.verifier
    return verifier


def allowed_actions(user, event: Event) -> list[str]:
    if not can_see(user, event):
        return []
    return lifecycle.allowed_actions(case_facts(event), user.role)


#: per role, the states in which a case waits on that role ("my queue")
QUEUE_STATES = {
    "grid_worker": (lifecycle.REPORTED, lifecycle.HANDLED),
    "dispatcher": (lifecycle.FILED,),
    "handler": (lifecycle.DISPATCHED, lifecycle.ACCEPTED),
    "supervisor": (lifecycle.SUSPENDED,),
    "admin": (lifecycle.REPORTED, lifecycle.FILED, lifecycle.HANDLED),
}


#: states past QUEUE_STATES a role's queue also holds, each for some cases only (queue_clause
#: says which): a pending 延期 request waits on the dispatchers and the admin; a report of a
#: category the dispatchers verify (其他问题) waits on them, not on the grid
QUEUE_EXTRA_STATES = {
    "dispatcher": (lifecycle.ACCEPTED, lifecycle.REPORTED),
    "admin": (lifecycle.ACCEPTED,),
}


def _verified_by_dispatchers():
    return Event.category_id.in_(select(Category.id).where(Category.verifier == "dispatcher"))


#: which cases of each extra state wait on them
QUEUE_EXTRA_CASES = {
    lifecycle.ACCEPTED: lambda: Event.extension_requested_hours.is_not(None),
    lifecycle.REPORTED: _verified_by_dispatchers,
}


def queue_states(user) -> tuple[str, ...]:
    """Every state a case in the user's queue can be in (queue_clause narrows within them)."""
    return QUEUE_STATES.get(user.role, ()) + QUEUE_EXTRA_STATES.get(user.role, ())


def queue_clause(user, *, unindexed: bool = False, state_indexed: bool = True):
    """Cases waiting for this user's next step; a dispatcher also sees pending 延期 requests.
    (`unindexed`: as visible_clause's; `state_indexed=False` tests the state alone so.)"""
    state = Event.state.concat("") if unindexed or not state_indexed else Event.state
    clause = state.in_(QUEUE_STATES.get(user.role, ()))
    for extra in QUEUE_EXTRA_STATES.get(user.role, ()):
        clause = or_(clause, and_(state == extra, QUEUE_EXTRA_CASES[extra]()))
    if user.role == "grid_worker":  # not the reports the dispatchers verify
        clause = and_(clause, or_(state != lifecycle.REPORTED, ~_verified_by_dispatchers()))
    return and_(visible_clause(user, unindexed=unindexed), clause)
