"""/api/v1/care (issue 14): the caller's due visits, a visit recorded, a person's record
(each read logged). For the phone clients; the pages use the same services."""
from flask import Blueprint, g
from marshmallow import Schema, fields

from care import access, services, visits
from care.models import CHECKS, KINDS, LIVING, RISKS
from care.schemas import VisitIn  # noqa: F401 (the OpenAPI names it here)
from core import clock
from core import openapi as api
from core.bearer import json_body, token_required
from core.database import write_transaction
from core.extensions import csrf
from events.filters import local_day

bp = Blueprint("care_api", __name__, url_prefix="/api/v1/care")
csrf.exempt(bp)


class DueOut(Schema):
    person_id = fields.Integer()
    name = fields.String()
    age = fields.Integer()
    grid_code = fields.String()
    address = fields.String()
    lat = fields.Float(allow_none=True)
    lon = fields.Float(allow_none=True)
    risk = fields.String(metadata={"enum": list(RISKS)})
    due_on = fields.Date()
    overdue_days = fields.Integer(metadata={
        "description": "days past the due day (0: due today; negative: due later)"})
    last_visit_on = fields.Date(allow_none=True)
    helper_name = fields.String(allow_none=True)


def due_item(person, today) -> dict:
    return {"person_id": person.id, "name": person.name, "age": today.year - person.birth_year,
            "grid_code": person.grid.code, "address": person.address, "lat": person.lat,
            "lon": person.lon, "risk": person.risk, "due_on": person.next_due_on,
            "overdue_days": (today - person.next_due_on).days,
            "last_visit_on": person.last_visit_on,
            "helper_name": person.helper.name if person.helper else None}


class DueListOut(Schema):
    today = fields.Date()
    items = fields.List(fields.Nested(DueOut))


class VisitOut(Schema):
    id = fields.Integer()
    person_id = fields.Integer()
    kind = fields.String(metadata={"enum": list(KINDS)})
    visited_at = fields.AwareDateTime()
    distance_m = fields.Integer(allow_none=True, metadata={
        "description": "metres from the phone to the home"})
    checks = fields.Dict(keys=fields.String(metadata={"enum": list(CHECKS)}),
                         values=fields.Boolean())
    needs = fields.String()
    photo_count = fields.Function(lambda visit: len(visit.photos))
    event_number = fields.Function(lambda visit: visit.event.number if visit.event else None)
    next_due_on = fields.Function(lambda visit: visit.person.next_due_on.isoformat()
                                  if visit.person.next_due_on else None)


class PersonOut(Schema):
    id = fields.Integer()
    name = fields.String()
    birth_year = fields.Integer()
    grid_code = fields.Function(lambda person: person.grid.code)
    address = fields.String()
    lat = fields.Float(allow_none=True)
    lon = fields.Float(allow_none=True)
    phone = fields.String()
    guardian_name = fields.String()
    guardian_phone = fields.String()
    guardian_relation = fields.String()
    living = fields.String(metadata={"enum": list(LIVING)})
    risk = fields.String(metadata={"enum": list(RISKS)})
    notes = fields.String()
    helper = fields.Function(lambda person: {"name": person.helper.name,
                                             "phone": person.helper.phone}
                             if person.helper else None)
    registered_on = fields.Date()
    last_visit_on = fields.Date(allow_none=True)
    next_due_on = fields.Date(allow_none=True)
    left_on = fields.Date(allow_none=True)


@bp.get("/visits/due")
@token_required
def due():
    now = clock.utcnow()
    today = local_day(now)
    people = services.due(g.api_user, today)
    with write_transaction():
        access.log_access(g.api_user, [p.id for p in people], action="list", via="api",
                          now=now)
    return DueListOut().dump({"today": today, "items": [due_item(p, today) for p in people]})


@bp.post("/visits")
@token_required
def record():
    data = VisitIn().load(json_body())
    result = visits.record_visit(g.api_user, data, clock.utcnow())
    return VisitOut().dump(result.visit), 201 if result.created else 200


@bp.get("/people/<int:person_id>")
@token_required
def person(person_id: int):
    person = access.visible_person(g.api_user, person_id)
    with write_transaction():
        access.log_access(g.api_user, [person.id], action="record", via="api",
                          now=clock.utcnow())
    return PersonOut().dump(person)


def api_operations() -> dict:
    person_id = api.param("person_id", {"type": "integer", "minimum": 1}, required=True,
                          where="path")
    return {
        "/care/visits/due": {"get": {
            "summary": "巡访: the caller's people due within a week, most overdue first "
                       "(each named person's access is logged)",
            "responses": {**api.ok("the due visits", "DueListOut"), **api.errors("401")}}},
        "/care/visits": {"post": {
            "summary": "Record a visit (GPS check-in at the home, the five checks, needs, "
                       "photos with consent, optionally a case raised)",
            "requestBody": {"required": True, **api.json_content(api.ref("VisitIn"))},
            "responses": {**api.ok("the visit (200 when the key was sent before)", "VisitOut",
                                   "201"),
                          **api.errors("401", "404", "422")}}},
        "/care/people/{person_id}": {"get": {
            "summary": "A person's record (the read is logged)",
            "parameters": [person_id],
            "responses": {**api.ok("the record", "PersonOut"), **api.errors("401", "404")}}},
    }
