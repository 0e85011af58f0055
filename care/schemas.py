"""What the register and a visit accept (the pages read their forms with the same schemas;
the messages are the page's, in Chinese)."""
from marshmallow import Schema, ValidationError, fields, validate, validates_schema

from care.models import KINDS, LIVING, RISKS
from core.inputs import N_

PHONE = validate.Regexp(r"^[0-9+\- ]{5,20}$", error=N_("电话号码只能含数字、空格、+ 和 -"))
_required = {"required": N_("必填")}
_number = {"required": N_("必填"), "invalid": N_("须为数字"), "special": N_("须为数字")}
_whole = {"required": N_("必填"), "invalid": N_("须为整数")}
_choice = {"required": N_("必填"), "invalid": N_("无效的选项")}
_text = {"required": N_("必填"), "invalid": N_("须为文字")}
LATITUDE = validate.Range(-90, 90, error=N_("须在 -90 到 90 之间"))
LONGITUDE = validate.Range(-180, 180, error=N_("须在 -180 到 180 之间"))


_LENGTHS = {(1, 16): N_("须为 1–16 字"), (1, 32): N_("须为 1–32 字"),
            (1, 200): N_("须为 1–200 字"), (1, 2000): N_("须为 1–2000 字"),
            (0, 16): N_("不超过 16 字"), (0, 32): N_("不超过 32 字"),
            (0, 200): N_("不超过 200 字"), (0, 2000): N_("不超过 2000 字")}


def _length(low: int, high: int):
    return validate.Length(min=low or None, max=high, error=_LENGTHS[(low, high)])


def _both_or_neither(data: dict) -> None:
    if (data.get("lat") is None) != (data.get("lon") is None):
        raise ValidationError(N_("纬度和经度须同时填写"), field_name="lat")


class PersonIn(Schema):
    grid_code = fields.String(required=True, validate=_length(1, 32), error_messages=_text)
    name = fields.String(required=True, validate=_length(1, 32), error_messages=_text)
    birth_year = fields.Integer(required=True, strict=False, error_messages=_whole,
                                validate=validate.Range(min=1900, max=2000,
                                                        error=N_("须为 1900–2000 年")))
    address = fields.String(required=True, validate=_length(1, 200), error_messages=_text)
    lat = fields.Float(load_default=None, allow_none=True, validate=LATITUDE,
                       error_messages=_number)
    lon = fields.Float(load_default=None, allow_none=True, validate=LONGITUDE,
                       error_messages=_number)
    phone = fields.String(load_default="", validate=PHONE, error_messages=_text)
    guardian_name = fields.String(load_default="", validate=_length(0, 32), error_messages=_text)
    guardian_phone = fields.String(load_default="", validate=PHONE, error_messages=_text)
    guardian_relation = fields.String(load_default="", validate=_length(0, 16),
                                      error_messages=_text)
    living = fields.String(required=True, error_messages=_choice,
                           validate=validate.OneOf(LIVING, error=N_("无效的选项")))
    risk = fields.String(required=True, error_messages=_choice,
                         validate=validate.OneOf(RISKS, error=N_("须为高、中或低")))
    notes = fields.String(load_default="", validate=_length(0, 2000), error_messages=_text)

    @validates_schema
    def _position(self, data, **_kwargs):
        _both_or_neither(data)


class HelperIn(Schema):
    name = fields.String(required=True, validate=_length(1, 32), error_messages=_text)
    phone = fields.String(required=True, validate=PHONE, error_messages=_text)
    address = fields.String(load_default="", validate=_length(0, 200), error_messages=_text)


class VisitChecksIn(Schema):
    health = fields.Boolean(required=True, metadata={"description": "身体: true 正常"})
    heating = fields.Boolean(required=True, metadata={"description": "取暖"})
    food = fields.Boolean(required=True, metadata={"description": "饮食"})
    safety = fields.Boolean(required=True, metadata={"description": "居住安全"})
    mood = fields.Boolean(required=True, metadata={"description": "精神"})


class RaiseCaseIn(Schema):
    category_code = fields.String(required=True, validate=_length(1, 16), error_messages=_text)
    description = fields.String(required=True, validate=_length(1, 2000), error_messages=_text)


class VisitIn(Schema):
    person_id = fields.Integer(required=True, validate=validate.Range(min=1, max=2**31 - 1))
    kind = fields.String(load_default="visit", validate=validate.OneOf(KINDS), metadata={
        "description": "visit: at the home, with a GPS check-in; helper_call: the paired "
                       "neighbour's call or visit, recorded by the worker"})
    lat = fields.Float(load_default=None, allow_none=True, validate=LATITUDE)
    lon = fields.Float(load_default=None, allow_none=True, validate=LONGITUDE)
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

    @validates_schema
    def _position(self, data, **_kwargs):
        _both_or_neither(data)
