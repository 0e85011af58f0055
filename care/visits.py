"""A visit recorded (issue 14, 巡访): at the home with the phone's position (the distance to
the home kept and shown), or a paired neighbour's call; the five checks, needs, photos if
the person agreed, and a case raised on the spot if something needs fixing (a broken
heater: routed like any case, never published). Sent again with the same key (no signal,
then a retry), it is stored once."""
from dataclasses import dataclass
from datetime import datetime, timedelta

from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from care.access import visible_person
from care.models import CareVisit
from care.services import refresh_due
from events.filters import local_day
from core.database import write_transaction
from core.errors import InvalidInput
from core.extensions import db
from events import intake
from events.models import Attachment
from events.photos import add_photo, claim_for

#: a visit may be entered afterwards (back from a village with no signal), not ahead
LATE_ENTRY = timedelta(days=7)


@dataclass
class Recorded:
    visit: CareVisit
    created: bool


def _existing(actor, key: str) -> CareVisit | None:
    return db.session.scalar(select(CareVisit).where(CareVisit.user_id == actor.id,
                                                     CareVisit.key == key))


def _photos(actor, data: dict, prepared_ids: list[int]) -> list[Attachment]:
    ids = list(dict.fromkeys(list(data["photo_ids"]) + prepared_ids))
    if not ids:
        return []
    if not data["photo_consent"]:
        message = _("老人同意后才能拍照：请勾选“本人同意拍照”，或不附照片")
        raise InvalidInput(message, fields={"photo_consent": [message]})
    # never a case's, never served by /attachments
    return claim_for(actor, ids, "care", at_most=3)


def _check_before(actor, data: dict, now: datetime):
    """Reads only, before the write unit: the person, the place, the case to raise."""
    person = visible_person(actor, data["person_id"])
    if actor.role != "grid_worker":
        raise InvalidInput(_("走访由本网格的网格员记录"), fields={"person_id": [_("仅网格员")]})
    if person.left_on is not None:
        raise InvalidInput(_("这位老人已不在册"), fields={"person_id": [_("已不在册")]})
    lat, lon = data.get("lat"), data.get("lon")
    if data["kind"] == "visit" and (lat is None or lon is None):
        message = _("上门走访须定位：请允许手机定位后再提交")
        raise InvalidInput(message, fields={"lat": [message]})
    if data["kind"] == "helper_call" and person.helper_id is None:
        message = _("这位老人还没有结对的互助人")
        raise InvalidInput(message, fields={"kind": [message]})
    draft = None
    if data.get("raise_case"):
        wanted = data["raise_case"]
        where = (person.lat, person.lon) if person.lat is not None else (lat, lon)
        if where[0] is None:
            message = _("上报问题需要位置：请定位或先在档案中标注住址位置")
            raise InvalidInput(message, fields={"raise_case": [message]})
        draft = intake.prepare_report(
            actor, now, category_code=wanted["category_code"], lat=where[0], lon=where[1],
            description=wanted["description"].strip(), address=person.address,
            grid_code=person.grid.code, source="patrol")
        draft[0].private = True
    return person, draft


def record_visit(actor, data: dict, now: datetime, *, prepared=()) -> Recorded:
    """Store a visit (its own write unit); `prepared`: photos from a form, decoded already
    (events.photos.prepare_uploads), stored here."""
    existing = _existing(actor, data["key"])
    if existing is not None:
        return Recorded(existing, False)
    visited_at = data.get("visited_at") or now
    if not now - LATE_ENTRY <= visited_at <= now + timedelta(minutes=5):
        message = _("走访时间须在过去 7 天内")
        raise InvalidInput(message, fields={"visited_at": [message]})
    person, draft = _check_before(actor, data, now)
    try:
        with write_transaction():
            person = visible_person(actor, person.id, for_update=True)
            existing = _existing(actor, data["key"])  # a parallel resend won the lock first
            if existing is not None:
                return Recorded(existing, False)
            stored = [add_photo(photo, actor.id).id for photo in prepared]
            photos = _photos(actor, data, stored)
            lat, lon = data.get("lat"), data.get("lon")
            distance = (round(intake.distance_m(lat, lon, person.lat, person.lon))
                        if lat is not None and person.lat is not None else None)
            visit = CareVisit(
                person_id=person.id, grid_id=person.grid_id, user_id=actor.id,
                kind=data["kind"], helper_id=person.helper_id if data["kind"] == "helper_call"
                else None, visited_at=visited_at, visited_on=local_day(visited_at),
                lat=lat, lon=lon, accuracy_m=data.get("accuracy"), distance_m=distance,
                checks=dict(data["checks"]), needs=(data.get("needs") or "").strip(),
                photo_consent=bool(data["photo_consent"]), key=data["key"], created_at=now)
            visit.photos.extend(photos)
            if draft is not None:
                visit.event = intake.store_report(actor, draft, ())
            db.session.add(visit)
            person.last_visit_on = max(person.last_visit_on or visit.visited_on,
                                       visit.visited_on)
            refresh_due([person])
            db.session.flush()
            return Recorded(visit, True)
    except IntegrityError:  # the same key from a parallel request won
        db.session.rollback()
        existing = _existing(actor, data["key"])
        if existing is None:
            raise
        return Recorded(existing, False)


def history(person_id: int, limit: int = 50) -> list[CareVisit]:
    return db.session.scalars(select(CareVisit).where(CareVisit.person_id == person_id)
                              .order_by(CareVisit.visited_on.desc(), CareVisit.visited_at.desc())
                              .limit(limit)).all()
