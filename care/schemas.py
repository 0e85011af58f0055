"""What the register and a visit accept (the pages read their forms with the same schemas)."""
from marshmallow import Schema, fields, validate

from care.models import KINDS, LIVING, RISKS
from core.inputs import N_

PHONE = validate.Regexp(r"^[0-9+\- ]{5,20}$", error=N_("电话号码只能含数字、空格、+ 和 -"))


class PersonIn(Schema):
    grid_code = fields.String(required=True, validate=validate.Length(min=1, max=32))
    name = fields.String(required=True, validate=validate.Length(min=1, max=32))
    birth_year = fields.Integer(required=True, validate=validate.Range(min=1900, max=2000))
    address = fields.String(required=True, validate=validate.Length(min=1, max=200))
    lat = fields.Float(load_default=None, allow_none=True, validate=validate.Range(-90, 90))
    lon = fields.Float(load_default=None, allow_none=True, validate=validate.Range(-180, 180))
    phone = fields.String(load_default="", validate=PHONE)
    guardian_name = fields.String(load_default="", validate=validate.Length(max=32))
    guardian_phone = fields.String(load_default="", validate=PHONE)
    guardian_relation = fields.String(load_default="", validate=validate.Length(max=16))
    living = fields.String(required=True, validate=validate.OneOf(LIVING))
    risk = fields.String(required=True, validate=validate.OneOf(RISKS))
    notes = fields.String(load_default="", validate=validate.Length(max=2000))


class HelperIn(Schema):
    name = fields.String(required=True, validate=validate.Length(min=1, max=32))
    phone = fields.String(required=True, validate=PHONE)
    address = fields.String(load_default="", validate=validate.Length(max=200))


class VisitChecksIn(Schema):
    health = fields.Boolean(required=True, metadata={"description": "身体: true 正常"})
    heating = fields.Boolean(required=True, metadata={"description": "取暖"})
    food = fields.Boolean(required=True, metadata={"description": "饮食"})
    safety = fields.Boolean(required=True, metadata={"description": "居住安全"})
    mood = fields.Boolean(required=True, metadata={"description": "精神"})


class RaiseCaseIn(Schema):
    category_code = fields.String(required=True, validate=validate.Length(min=1, max=16))
    description = fields.String(required=True, validate=validate.Length(min=1, max=2000))


class VisitIn(Schema):
    person_id = fields.Integer(required=True, validate=validate.Range(min=1, max=2**31 - 1))
    kind = fields.String(load_default="visit", validate=validate.OneOf(KINDS), metadata={
        "description": "visit: at the home, with a GPS check-in; helper_call: the paired "
                       "neighbour's call or visit, recorded by the worker"})
    lat = fields.Float(load_default=None, allow_none=True, validate=validate.Range(-90, 90))
    lon = fields.Float(load_default=None, allow_none=True, validate=validate.Range(-180, 180))
    accuracy = fields.Float(load_default=None, allow_none=True,
                            validate=validate.Range(0, 100_000))
    visited_at = fields.AwareDateTime(load_default=None, allow_none=True, metadata={
        "description": "when (a visit kept on the phone without signal, sent later); "
                       "default now; within the last 7 days"})
    checks = fields.Nested(VisitChecksIn, required=True)
    needs = fields.String(load_default="", validate=validate.Length(max=1000))
    photo_consent = fields.Boolean(load_default=False, metadata={
        "description": "the person agreed to a photo: without it, photos are refused"})
    photo_ids = fields.List(fields.Integer(validate=validate.Range(min=1, max=2**31 - 1)),
                            load_default=list, validate=validate.Length(max=3))
    raise_case = fields.Nested(RaiseCaseIn, load_default=None, allow_none=True, metadata={
        "description": "a problem to report as a case at the home (routed like any case; "
                       "never published)"})
    key = fields.String(required=True, validate=validate.Length(min=1, max=64), metadata={
        "description": "the phone's key for this visit: sent again, it is stored once"})

