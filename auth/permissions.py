"""Who may work where: each role's reach as a `Scope`, the one rule pages, API, services and
the digest all ask (issue 16: "one owner per rule").

A scope is a fact about the user — all, nothing, some grids, a town, a department, a region
subtree, one case — and answers two questions from the same definition: does it admit this
place (`admits`, in memory) and which rows does it admit (`clause`, a WHERE clause on the
columns the caller names). auth/ names no case model: events/ passes its columns and facts
down (events/access.py)."""
from dataclasses import dataclass

from sqlalchemy import bindparam, false, select, true

from core import reference
from grid.models import Region

#: the roles that report incidents from the staff side (DESIGN: grid workers' patrols,
#: the command centre's desk and hotline; admins). Supervisors watch, residents use QR codes.
REPORTING_ROLES = ("grid_worker", "dispatcher", "admin")


@dataclass(frozen=True)
class Scope:
    kind: str  # "all" | "none" | "grids" | "town" | "department" | "region" | "case"
    ids: tuple = ()
    path: str = ""

    def admits(self, *, grid_id=None, town_id=None, department_id=None, town_path=None,
               case_id=None) -> bool:
        """Is this place inside the scope? `town_path` may be a callable (loaded only for
        a region scope)."""
        kind = self.kind
        if kind == "all":
            return True
        if kind == "grids":
            return grid_id in self.ids
        if kind == "town":
            return town_id is not None and town_id == self.ids[0]
        if kind == "department":
            return department_id is not None and department_id == self.ids[0]
        if kind == "region":
            path = town_path() if callable(town_path) else town_path
            return path is not None and path.startswith(self.path)
        if kind == "case":
            return case_id is not None and case_id == self.ids[0]
        return False

    def clause(self, *, grid=None, town=None, department=None, case=None, region_town=None):
        """A WHERE clause on the caller's columns. `region_town` is the town column to test
        a region subtree against (default `town`): the case list passes `town_id + 0` so the
        planner walks its (created_at, id) index instead of sorting every town's cases."""
        kind = self.kind
        if kind == "all":
            return true()
        column = {"grids": grid, "town": town, "department": department, "case": case,
                  "region": region_town if region_town is not None else town}.get(kind)
        if column is None:
            return false()
        if kind == "region":
            return column.in_(towns_under(self.path))
        if kind == "grids":
            # with one grid, "=" lets the list read the (grid_id, created_at, id) index in order
            return column == self.ids[0] if len(self.ids) == 1 else column.in_(self.ids)
        return column == self.ids[0]


NOTHING = Scope("none")
EVERYTHING = Scope("all")


def towns_under(path: str):
    """The ids of the regions in a subtree (a region's path is a prefix of its descendants').
    The prefix is written into the statement, not sent as a parameter: PostgreSQL cannot
    tell from a parameter how much of the county a LIKE takes, so it planned a supervisor's
    list afresh on every request; with the prefix written in, the plan of the prepared
    statement is kept. (SQLite plans alike either way: its statements keep the parameter.)"""
    from core.extensions import db
    prefix = path.replace("/", "//").replace("%", "/%").replace("_", "/_") + "%"
    return select(Region.id).where(Region.path.like(bindparam(
        "subtree", prefix, unique=True, literal_execute=db.engine.dialect.name == "postgresql"),
        escape="/"))


def _region(region) -> Scope:
    return Scope("region", path=region.path) if region is not None else NOTHING


#: a region's path alone (a supervisor's scope)
_REGION_PATH = select(Region.path).where(Region.id == bindparam("region_id"))


def _user_region(user) -> Scope:
    """A supervisor's subtree. A page's user comes with its region loaded; an API request's
    does not (the token's statement stays lean for every other role), and loading it
    whole through the ORM cost a third of a supervisor's list: its path alone is read,
    kept while the reference data stays the same (core.reference) and on the user object,
    which lives as long as the request."""
    if "region" in user.__dict__ or user.region_id is None:
        return _region(user.region)
    kept = user.__dict__.get("_region_path")  # (region id, path): a region changed is read anew
    if kept is None or kept[0] != user.region_id:
        region_id = user.region_id
        kept = user.__dict__["_region_path"] = (region_id, reference.kept(
            "region.path", region_id, lambda: _read_region_path(region_id)))
    return Scope("region", path=kept[1]) if kept[1] is not None else NOTHING


def _read_region_path(region_id: int) -> str | None:
    from core.extensions import db
    return db.session.connection().execute(_REGION_PATH, {"region_id": region_id}).scalar()


def _grids(user) -> Scope:
    return Scope("grids", tuple(sorted(user.grid_ids))) if user.grid_ids else NOTHING


def _town(user) -> Scope:
    return Scope("town", (user.region_id,)) if user.region_id else NOTHING


def case_scope(user) -> Scope:
    """The cases a user may see: a worker's grids, a dispatcher's town, a handler's
    department, a supervisor's region subtree; a resident the one case of their code."""
    role = user.role
    if role in ("admin", "system"):  # the system acts on any case a setting tells it to
        return EVERYTHING
    if role == "grid_worker":
        return _grids(user)
    if role == "dispatcher":
        return _town(user)
    if role == "handler":
        return Scope("department", (user.department_id,)) if user.department_id else NOTHING
    if role == "supervisor":
        return _user_region(user)
    if role == "resident":  # a ResidentActor holds the one case it came in through
        event_id = getattr(user, "event_id", None)
        return Scope("case", (event_id,)) if event_id is not None else NOTHING
    return NOTHING


def grid_scope(user) -> Scope:
    """The grids whose cases a user may see (the list's grid filter): a handler's are the
    grids of the department's region."""
    if user.role == "handler":
        return _region(user.department.region if user.department is not None else None)
    return case_scope(user) if user.role != "resident" else NOTHING


def report_scope(user) -> Scope:
    """Where a member of staff may report: the same reach as seeing, for the reporting roles."""
    return case_scope(user) if user.role in REPORTING_ROLES else NOTHING


def admits_grid(scope: Scope, grid) -> bool:
    return scope.admits(grid_id=grid.id, town_id=grid.town_id, town_path=lambda: grid.town.path)
