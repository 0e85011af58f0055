"""Who may see and act on which case. Pages and API both ask here."""
from sqlalchemy import and_, false, or_, select, true

from events import lifecycle
from events.models import Event
from grid.models import Region


def _region_path(user) -> str | None:
    return user.region.path if user.region is not None else None


def _towns_under(path: str):
    """The ids of the regions in a subtree (a region's path is a prefix of its descendants')."""
    return select(Region.id).where(Region.path.startswith(path, autoescape=True))


def visible_clause(user):
    """A WHERE clause on Event selecting what `user` may see."""
    role = user.role
    if role == "admin":
        return true()
    if role == "grid_worker":
        # The ids themselves (the user's memberships are loaded with the user): with one
        # grid the list reads the (grid_id, created_at, id) index in order, with no sort.
        grids = sorted(user.grid_ids)
        if not grids:
            return false()
        return Event.grid_id == grids[0] if len(grids) == 1 else Event.grid_id.in_(grids)
    if role == "dispatcher":
        return Event.town_id == user.region_id if user.region_id else false()
    if role == "handler":
        return Event.department_id == user.department_id if user.department_id else false()
    if role == "supervisor":
        path = _region_path(user)
        if path is None:
            return false()
        towns = _towns_under(path)
        # Many towns: read the (created_at, id) index newest first and keep their cases;
        # "+ 0" keeps the planner off the per-town index, which would sort them all.
        return (Event.town_id + 0).in_(towns)
    return false()


def grid_scope_clause(user):
    """A WHERE clause on Grid: the grids whose cases `user` may see (the list's grid filter)."""
    from grid.models import Grid
    role = user.role
    if role == "admin":
        return true()
    if role == "grid_worker":
        return Grid.id.in_(sorted(user.grid_ids)) if user.grid_ids else false()
    if role == "dispatcher":
        return Grid.town_id == user.region_id if user.region_id else false()
    if role == "supervisor":
        path = _region_path(user)
        return Grid.town_id.in_(_towns_under(path)) if path is not None else false()
    if role == "handler":  # the grids of the department's region
        region = user.department.region if user.department is not None else None
        return Grid.town_id.in_(_towns_under(region.path)) if region is not None else false()
    return false()


def can_see(user, event: Event) -> bool:
    role = user.role
    if role == "admin":
        return True
    if role == "resident":  # a ResidentActor holds the one case it came in through
        return getattr(user, "event_id", None) == event.id
    if role == "grid_worker":
        return event.grid_id in user.grid_ids
    if role == "dispatcher":
        return user.region_id is not None and event.town_id == user.region_id
    if role == "handler":
        return user.department_id is not None and event.department_id == user.department_id
    if role == "supervisor":
        path = _region_path(user)
        return path is not None and event.town.path.startswith(path)
    return False


def case_facts(event: Event) -> lifecycle.CaseFacts:
    return lifecycle.CaseFacts(
        state=event.state,
        suspended_from=event.suspended_from,
        extension_pending=event.extension_requested_hours is not None,
    )


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


def queue_clause(user):
    """Cases waiting for this user's next step; a dispatcher also sees pending 延期 requests."""
    clause = Event.state.in_(QUEUE_STATES.get(user.role, ()))
    if user.role in ("dispatcher", "admin"):
        clause = or_(clause, and_(Event.state == lifecycle.ACCEPTED,
                                  Event.extension_requested_hours.is_not(None)))
    return and_(visible_clause(user), clause)


def can_report_in(user, grid) -> bool:
    """Staff may report in grids they cover: a worker's grids, a dispatcher's town, …"""
    role = user.role
    if role == "admin":
        return True
    if role == "grid_worker":
        return grid.id in user.grid_ids
    if role == "dispatcher":
        return grid.town_id == user.region_id
    if role == "supervisor":
        path = _region_path(user)
        return path is not None and grid.town.path.startswith(path)
    return False
