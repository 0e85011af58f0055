"""marshmallow schemas for the staff API, by direction. Shape only: no queries here."""
from marshmallow import (EXCLUDE, Schema, ValidationError, fields, validate,
                         validates_schema)

from core.inputs import Id, N_, QuerySchema
from events import lifecycle


#: messages a person reads on the form as well as in the API (core.inputs.load_form)
_required = {"required": N_("必填")}
_number_errors = {"required": N_("必填"), "invalid": N_("须为数字"), "special": N_("须为数字")}


class EventCreateIn(Schema):
    class Meta:
        unknown = EXCLUDE

    category_code = fields.String(required=True, validate=validate.Regexp(
        r"^\d{5}$", error=N_("须为 5 位类别代码")), error_messages={"required": N_("请选择问题类别")})
    lat = fields.Float(required=True, validate=validate.Range(
        min=-90, max=90, error=N_("须在 -90 到 90 之间")), error_messages=_number_errors)
    lon = fields.Float(required=True, validate=validate.Range(
        min=-180, max=180, error=N_("须在 -180 到 180 之间")), error_messages=_number_errors)
    description = fields.String(required=True, validate=validate.Length(
        min=1, max=2000, error=N_("须为 1–2000 字")), error_messages=_required)
    address = fields.String(load_default="", validate=validate.Length(
        max=200, error=N_("不超过 200 字")))
    grid_code = fields.String(load_default=None, allow_none=True,
                              validate=validate.Regexp(r"^\d{15}$", error=N_("须为 15 位网格代码")))
    source = fields.String(load_default=None, allow_none=True,
                           validate=validate.OneOf(("patrol", "hotline"), error=N_("须为巡查或热线")))
    photo_ids = fields.List(Id(), load_default=list, validate=validate.Length(max=9))
    caller_name = fields.String(load_default=None, allow_none=True, validate=validate.Length(
        max=32, error=N_("不超过 32 字")), metadata={"description": "热线: the caller's name"})
    caller_phone = fields.String(load_default=None, allow_none=True, validate=validate.Length(
        max=24, error=N_("不超过 24 位")), metadata={"description": "热线: the caller's number"})

    @validates_schema
    def _description_not_blank(self, data, **_kwargs):
        if not data.get("description", "").strip():
            raise ValidationError(N_("不能只有空格"), "description")


class ActionIn(Schema):
    class Meta:
        unknown = EXCLUDE

    action = fields.String(required=True, validate=validate.OneOf(lifecycle.ACTIONS))
    note = fields.String(load_default=None, allow_none=True, validate=validate.Length(
        max=2000, error=N_("不超过 2000 字")))
    department_code = fields.String(load_default=None, allow_none=True)
    hours = fields.Float(load_default=None, allow_none=True, error_messages=_number_errors)
    photo_ids = fields.List(Id(), load_default=list, validate=validate.Length(max=9))
    duplicate_of = Id(load_default=None, allow_none=True)
    version = Id(load_default=None, allow_none=True)
    reason = fields.String(load_default=None, allow_none=True, validate=validate.OneOf(
        lifecycle.REJECT_REASONS), metadata={"description": "不予立案: why (the note may add to it)"})
    recipients = fields.List(fields.String(validate=validate.OneOf(
        lifecycle.SUPERVISE_RECIPIENTS)), load_default=None,
        allow_none=True, validate=validate.Length(min=1, max=3), metadata={
            "description": "督办: whom to tell (default: the holder and the department head)"})


class ListQueryIn(QuerySchema):
    """The case list's query (API and workbench page alike; events.filters applies it)."""
    state = fields.String(load_default=None)
    category = fields.String(load_default=None, validate=validate.Length(max=5))
    grid = fields.String(load_default=None, validate=validate.Length(max=15))
    town = fields.String(load_default=None, validate=validate.Length(max=12))
    department = fields.String(load_default=None, validate=validate.Length(max=32))
    source = fields.String(load_default=None, validate=validate.OneOf(
        ("patrol", "resident", "hotline", "open311"), error=N_("来源无效")))
    date_from = fields.Date(load_default=None, error_messages={"invalid": N_("须为日期，如 2026-03-01")})
    date_to = fields.Date(load_default=None, error_messages={"invalid": N_("须为日期，如 2026-03-31")})
    overdue = fields.Boolean(load_default=False)
    supervised = fields.Boolean(load_default=False)
    q = fields.String(load_default=None, validate=validate.Length(
        max=50, error=N_("不超过 50 字")))
    phone = fields.String(load_default=None, validate=validate.Length(
        max=24, error=N_("不超过 24 位")))
    mine = fields.Boolean(load_default=False)
    #: None: the caller's default (the API newest first, as it always was; the workbench
    #: most urgent first)
    sort = fields.String(load_default=None, validate=validate.OneOf(
        ("urgency", "newest", "oldest"), error=N_("排序方式无效")))
    limit = fields.Integer(load_default=20, validate=validate.Range(min=1, max=100))
    cursor = fields.String(load_default=None, validate=validate.Length(max=200))

    @validates_schema
    def _states_known(self, data, **_):
        for state in (data.get("state") or "").split(","):
            if state and state not in lifecycle.STATES:
                raise ValidationError(N_("状态无效"), "state")

    @validates_schema
    def _dates_in_order(self, data, **_):
        if data.get("date_from") and data.get("date_to") and data["date_from"] > data["date_to"]:
            raise ValidationError(N_("结束日期早于开始日期"), "date_to")
        for name in ("date_from", "date_to"):
            if data.get(name) and not 2000 <= data[name].year <= 2200:
                raise ValidationError(N_("超出范围"), name)


class NearbyQueryIn(Schema):
    class Meta:
        unknown = EXCLUDE

    category = fields.String(required=True)
    lat = fields.Float(required=True, validate=validate.Range(min=-90, max=90))
    lon = fields.Float(required=True, validate=validate.Range(min=-180, max=180))


class ClockOut(Schema):
    """A case's running clock (events.deadlines.clock_json)."""
    stage = fields.String(metadata={"enum": ["verify", "dispatch", "accept", "handle", "check"]})
    stage_name = fields.String(allow_none=True)
    started_at = fields.AwareDateTime(allow_none=True)
    due_at = fields.AwareDateTime(allow_none=True)
    warn_at = fields.AwareDateTime(allow_none=True)
    level = fields.Integer(metadata={"description": "overdue level: 0 on time, 1–3 超期"})
    step = fields.Integer(metadata={"description": "escalation steps reached"})
    paused = fields.Boolean(metadata={"description": "挂账: the clock stands still"})
    provisional = fields.Boolean(
        metadata={"description": "counted over a year the work calendar does not hold yet"})
    color = fields.String(metadata={"enum": ["green", "yellow", "red", "grey"]})


class ReporterOut(Schema):
    """A resident reporter's contact, masked unless the caller is a dispatcher or admin."""
    name = fields.String()
    phone = fields.String()


class PhotoOut(Schema):
    id = fields.Integer()
    url = fields.Method("_url")
    thumb_url = fields.Method("_thumb")
    content_type = fields.String()
    width = fields.Integer()
    height = fields.Integer()

    def _url(self, photo):
        return f"/attachments/{photo.id}"

    def _thumb(self, photo):
        return f"/attachments/{photo.id}/thumb"


class LogOut(Schema):
    id = fields.Integer()
    action = fields.String()
    from_state = fields.String(allow_none=True)
    to_state = fields.String()
    actor = fields.String(attribute="actor_label")
    note = fields.String()
    data = fields.Dict()
    created_at = fields.AwareDateTime()
    photos = fields.List(fields.Nested(PhotoOut), attribute="attachments")


class AttributeOut(Schema):
    """One answer to a service's extra question (e.g. Open311 attribute[stage])."""
    code = fields.String()
    question = fields.String()
    value = fields.String()
    label = fields.String()


class EventOut(Schema):
    id = fields.Integer()
    number = fields.String()
    source = fields.String()
    state = fields.String()
    category_code = fields.String(attribute="category.code")
    category_name = fields.String(attribute="category.name")
    grid_code = fields.String(attribute="grid.code")
    grid_name = fields.String(attribute="grid.name")
    town_code = fields.String(attribute="town.code")
    town_name = fields.String(attribute="town.name")
    department_code = fields.Function(lambda e: e.department.code if e.department else None)
    department_name = fields.Function(lambda e: e.department.name if e.department else None)
    lat = fields.Float()
    lon = fields.Float()
    address = fields.String()
    description = fields.String()
    attributes = fields.List(fields.Nested(AttributeOut), attribute="answers")
    duplicate_of = fields.Integer(attribute="duplicate_of_id", allow_none=True)
    suspended_from = fields.String(allow_none=True)
    extension_requested_hours = fields.Float(allow_none=True)
    extension_granted_hours = fields.Float()
    created_at = fields.AwareDateTime()
    updated_at = fields.AwareDateTime()
    filed_at = fields.AwareDateTime(allow_none=True)
    dispatched_at = fields.AwareDateTime(allow_none=True)
    accepted_at = fields.AwareDateTime(allow_none=True)
    handled_at = fields.AwareDateTime(allow_none=True)
    closed_at = fields.AwareDateTime(allow_none=True)
    rejected_at = fields.AwareDateTime(allow_none=True)
    version = fields.Integer()
    photos = fields.List(fields.Nested(PhotoOut), attribute="attachments")
    milestones = fields.Raw(allow_none=True)
    supervise_count = fields.Integer(metadata={"description": "督办次数"})
    due_at = fields.AwareDateTime(allow_none=True)


class EventDetailOut(EventOut):
    """GET /events/{id} and an action's answer: the case as the caller may see it."""
    clock = fields.Nested(ClockOut, allow_none=True)
    reporter = fields.Nested(ReporterOut, allow_none=True)
    tracking_code = fields.String(allow_none=True, metadata={
        "description": "查询码 of a resident's or caller's report: dispatchers and admins only"})
    history = fields.List(fields.Nested(LogOut))
    allowed_actions = fields.List(fields.String(validate=validate.OneOf(lifecycle.ACTIONS)))


class EventSummaryOut(Schema):
    id = fields.Integer()
    number = fields.String()
    state = fields.String()
    category_code = fields.String(attribute="category.code")
    category_name = fields.String(attribute="category.name")
    grid_code = fields.String(attribute="grid.code")
    grid_name = fields.String(attribute="grid.name")
    source = fields.String()
    department_code = fields.Function(lambda e: e.department.code if e.department else None,
                                      allow_none=True)
    department_name = fields.Function(lambda e: e.department.name if e.department else None,
                                      allow_none=True)
    address = fields.String()
    lat = fields.Float()
    lon = fields.Float()
    created_at = fields.AwareDateTime()
    version = fields.Integer()
    supervise_count = fields.Integer(metadata={"description": "督办次数"})
    clock = fields.Nested(ClockOut, allow_none=True, dump_only=True)


class EventCreatedOut(EventDetailOut):
    possible_duplicates = fields.List(fields.Nested(EventSummaryOut), metadata={
        "description": "open same-category cases close by (at most 5, nearest first)"})


class EventListOut(Schema):
    items = fields.List(fields.Nested(EventSummaryOut))
    next_cursor = fields.String(allow_none=True, metadata={
        "description": "pass as `cursor` for the next page; null on the last"})


class EventItemsOut(Schema):
    items = fields.List(fields.Nested(EventSummaryOut))


class UploadOut(Schema):
    id = fields.Integer()
    sha256 = fields.String()
    width = fields.Integer()
    height = fields.Integer()
    content_type = fields.String()


class CategoryOut(Schema):
    code = fields.String()
    name = fields.String()
    major_code = fields.String()
    major_name = fields.String()
    urgency = fields.String()
    limit_value = fields.Float()
    limit_unit = fields.String()
    default_department = fields.String()
    filing_criteria = fields.String()
    closing_criteria = fields.String()


class CategoryListOut(Schema):
    items = fields.List(fields.Nested(CategoryOut))


class DepartmentOut(Schema):
    code = fields.String()
    name = fields.String()
    region_code = fields.String(attribute="region.code")
    region_name = fields.String(attribute="region.name")


class DepartmentListOut(Schema):
    items = fields.List(fields.Nested(DepartmentOut))
