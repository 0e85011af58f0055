"""Who may see the care register (issue 14): the grid's workers, the town's dispatchers and
admins — nobody else, supervisors included (they see coverage figures, never a person).
A person outside the caller's reach is "not found" (404), not "forbidden": the answer
must not tell that someone is on the register. Every read of a record is logged."""
from datetime import datetime

from flask import has_request_context, request
from flask_babel import gettext as _
from sqlalchemy import false, select, true

from care.models import CareAccess, CarePerson
from core.bulk import bulk_insert
from core.errors import NotFound
from core.extensions import db

#: the roles that see people on the register (each within their grids or town)
SEEING_ROLES = ("grid_worker", "dispatcher", "admin")
#: the roles that see the coverage figures (without names)
FIGURE_ROLES = SEEING_ROLES + ("supervisor",)


def may_see(user, person: CarePerson) -> bool:
    if user.role == "admin":
        return True
    if user.role == "dispatcher":
        return user.region_id is not None and person.town_id == user.region_id
    if user.role == "grid_worker":
        return person.grid_id in user.grid_ids
    return False


def clause(user):
    """The rows of CarePerson the user may see."""
    if user.role == "admin":
        return true()
    if user.role == "dispatcher" and user.region_id is not None:
        return CarePerson.town_id == user.region_id
    if user.role == "grid_worker" and user.grid_ids:
        return CarePerson.grid_id.in_(sorted(user.grid_ids))
    return false()


def visible_person(user, person_id: int, *, for_update: bool = False) -> CarePerson:
    query = select(CarePerson).where(CarePerson.id == person_id)
    if for_update:
        query = query.with_for_update(of=CarePerson)
    person = db.session.scalar(query)
    if person is None or not may_see(user, person):
        raise NotFound(_("没有这位老人的档案"))
    return person


def log_access(user, person_ids, *, action: str, via: str, now: datetime) -> None:
    """One access row per person read (inside the caller's write unit)."""
    ip = (request.remote_addr or "")[:45] or None if has_request_context() else None
    rows = [{"person_id": pid, "user_id": user.id, "at": now, "action": action, "via": via,
             "ip": ip} for pid in dict.fromkeys(person_ids)]
    if rows:
        bulk_insert(CareAccess.__table__, rows)
