"""marshmallow schemas of the supervisors' API (GET /api/v1/stats), by direction."""
from marshmallow import Schema, ValidationError, fields, validate, validates_schema

from core.inputs import N_, QuerySchema
from dashboard import metrics
from events.filters import SOURCES

#: the longest period one request may add up (bounds the work: three years of a county)
MAX_DAYS = 3 * 366


class StatsQueryIn(QuerySchema):
    town = fields.String(load_default=None, validate=validate.Length(max=12))
    grid = fields.String(load_default=None, validate=validate.Length(max=15))
    department = fields.String(load_default=None, validate=validate.Length(max=32))
    category = fields.String(load_default=None, validate=validate.Length(max=5))
    source = fields.String(load_default=None, validate=validate.OneOf(
        SOURCES, error=N_("来源无效")))
    date_from = fields.Date(load_default=None, data_key="from", error_messages={
        "invalid": N_("须为日期，如 2026-03-01")})
    date_to = fields.Date(load_default=None, data_key="to", error_messages={
        "invalid": N_("须为日期，如 2026-03-31")})

    @validates_schema
    def _period(self, data, **_):
        for name, key in (("date_from", "from"), ("date_to", "to")):
            if data.get(name) and not 2000 <= data[name].year <= 2200:
                raise ValidationError(N_("超出范围"), key)
        first, last = data.get("date_from"), data.get("date_to")
        if first and last and first > last:
            raise ValidationError(N_("结束日期早于开始日期"), "to")
        if first and last and (last - first).days >= MAX_DAYS:
            raise ValidationError(N_("统计区间不超过三年"), "to")


_rate = {"allow_none": True, "validate": validate.Range(min=0, max=1)}

#: the answer: counts, every rate of metrics.METRICS (0–1, null without a denominator), the
#: 综合指标值 and its grade
StatsOut = Schema.from_dict({
    "period": fields.Dict(metadata={"description": "{from, to}: the local dates added up"}),
    "reported": fields.Integer(metadata={"description": "上报数"}),
    "reported_by_source": fields.Dict(keys=fields.String(), values=fields.Integer()),
    "filed": fields.Integer(metadata={"description": "立案数"}),
    "due_to_close": fields.Integer(metadata={"description": "应结案数"}),
    "closed": fields.Integer(metadata={"description": "结案数"}),
    "closed_on_time": fields.Integer(metadata={"description": "按期结案数"}),
    "overdue_now": fields.Integer(metadata={"description": "超期数 (now)"}),
    "open_now": fields.Integer(metadata={"description": "cases open now"}),
    "avg_handle_hours": fields.Float(allow_none=True, metadata={
        "description": "平均处置时长, working hours"}),
    **{metric.key: fields.Float(**_rate, metadata={
        "description": f"{metric.label} = {metric.formula}"}) for metric in metrics.RATES},
    "score": fields.Float(allow_none=True, metadata={"description": "综合指标值 0–100"}),
    "grade": fields.String(allow_none=True, validate=validate.OneOf("ABCDE")),
}, name="StatsOut")


class RankingQueryIn(QuerySchema):
    #: a demonstration level (towns), department (责任单位) or worker (网格员)
    level = fields.String(load_default="provincial", validate=validate.OneOf(
        ("provincial", "city", "county", "department", "worker"), error=N_("排名对象无效")))
    period = fields.String(load_default=None, validate=validate.Length(max=7))
    #: departments and workers: of this town only
    town = fields.String(load_default=None, validate=validate.Length(max=12))


_ranked_town = Schema.from_dict({
    "code": fields.String(metadata={"description": "the town's or department's code"}),
    "name": fields.String(),
    "town_code": fields.String(metadata={"description": "towns only"}),
    "town_name": fields.String(metadata={"description": "towns only"}),
    "score": fields.Float(allow_none=True, metadata={"description": "综合指标值 0–100"}),
    "grade": fields.String(allow_none=True), "rank": fields.Integer(allow_none=True),
    "mark": fields.String(allow_none=True, validate=validate.OneOf(
        ("commend", "criticize", "eliminate_warning")), metadata={
        "description": "commend 通报表扬 (the top 5), criticize 通报批评 (the bottom N), "
                       "eliminate_warning 淘汰预警 (the bottom N two years running)"}),
}, name="RankedTownOut")

RankingOut = Schema.from_dict({
    "level": fields.String(), "period": fields.String(),
    "kind": fields.String(validate=validate.OneOf(("year", "quarter", "month"))),
    "from": fields.String(), "to": fields.String(),
    "items": fields.List(fields.Nested(_ranked_town)),
    "replacement_candidate": fields.Dict(allow_none=True, metadata={
        "description": "递补: the best 市级 town, when a provincial town is warned"}),
}, name="RankingOut")
