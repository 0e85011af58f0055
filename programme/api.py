"""/api/v1/programme (issue 15): the registry of demonstration towns, with each town's
history, for supervisors (their region) and admins."""
from flask import Blueprint, g, request
from flask_babel import gettext as _
from marshmallow import Schema, fields

from core import clock
from core import openapi as api
from core.bearer import token_required
from core.errors import Forbidden, InvalidInput
from core.extensions import csrf
from programme import assessment as reckoning, services
from programme.models import API_LEVELS, LEVELS, STATUSES

bp = Blueprint("programme_api", __name__, url_prefix="/api/v1/programme")
csrf.exempt(bp)


class ChangeOut(Schema):
    at = fields.AwareDateTime()
    actor = fields.String(attribute="actor_name")
    action = fields.String(metadata={"enum": ["create", "designate", "status", "level",
                                              "facts", "plan"]})
    before = fields.Dict(allow_none=True)
    after = fields.Dict(allow_none=True)
    document_no = fields.String()
    note = fields.String()


class ProgrammeTownOut(Schema):
    town_code = fields.Function(lambda entry: entry.town.code)
    town_name = fields.Function(lambda entry: entry.town.name)
    level = fields.String(metadata={"enum": list(LEVELS)})
    status = fields.String(metadata={"enum": list(STATUSES)})
    designated_year = fields.Integer(allow_none=True)
    population = fields.Integer(allow_none=True)
    area_km2 = fields.Float(allow_none=True)
    industry = fields.String()
    has_plan = fields.Function(lambda entry: entry.plan_key is not None)
    history = fields.List(fields.Nested(ChangeOut), attribute="changes")


class RegistryOut(Schema):
    items = fields.List(fields.Nested(ProgrammeTownOut))


class MilestoneOut(Schema):
    name = fields.String()
    due_on = fields.Date()
    weight = fields.Integer()
    percent = fields.Integer()
    spent = fields.Float(metadata={"description": "万元"})


class ProjectOut(Schema):
    id = fields.Integer()
    name = fields.String()
    responsible = fields.String()
    target = fields.String()
    budget = fields.Float(allow_none=True, metadata={"description": "万元"})
    starts_on = fields.Date(allow_none=True)
    ends_on = fields.Date(allow_none=True)
    percent = fields.Float(allow_none=True, metadata={
        "description": "its milestones' percents weighted by their weights; null: none"})
    milestones = fields.List(fields.Nested(MilestoneOut))


class LedgerItemOut(Schema):
    item = fields.Integer()
    section = fields.String()
    task = fields.String()
    responsible = fields.String()
    percent = fields.Float(allow_none=True, metadata={
        "description": "the mean of its projects'; null: no project planned"})
    projects = fields.List(fields.Nested(ProjectOut))


class LedgerOut(Schema):
    town_code = fields.String()
    town_name = fields.String()
    percent = fields.Float(allow_none=True)
    items = fields.List(fields.Nested(LedgerItemOut))


@bp.get("/towns/<code>/ledger")
@token_required
def town_ledger(code: str):
    from programme import ledger
    entry = ledger.entry_for(g.api_user, code)
    rows, percent = ledger.ledger(entry, clock.utcnow().date())
    items = [{"item": row.item, "section": row.section, "task": row.task,
              "responsible": row.responsible, "percent": row.percent,
              "projects": [{**{key: getattr(project, key) for key in (
                  "id", "name", "responsible", "target", "budget", "starts_on", "ends_on",
                  "milestones")}, "percent": share} for project, share in row.projects]}
             for row in rows]
    return LedgerOut().dump({"town_code": entry.town.code, "town_name": entry.town.name,
                             "percent": percent, "items": items})


class PartsOut(Schema):
    construction = fields.Float(allow_none=True, metadata={"description": "建设进度 0–100"})
    governance = fields.Float(allow_none=True, metadata={"description": "治理成效 0–100"})
    duties = fields.Float(allow_none=True, metadata={"description": "环境责任 0–100"})


class AssessmentItemOut(Schema):
    town_code = fields.String()
    town_name = fields.String()
    score = fields.Float(allow_none=True)
    grade = fields.String(allow_none=True)
    parts = fields.Nested(PartsOut)
    rank = fields.Integer(allow_none=True)
    mark = fields.String(allow_none=True, metadata={
        "enum": ["commend", "criticize", "eliminate_warning", None]})


class AssessmentOut(Schema):
    level = fields.String(metadata={"enum": list(API_LEVELS)})
    year = fields.Integer()
    published = fields.Dict(allow_none=True, metadata={
        "description": "{document_no, published_at}; null: reckoned now (试算)"})
    weights = fields.Dict()
    items = fields.List(fields.Nested(AssessmentItemOut))
    replacement_candidate = fields.Dict(allow_none=True, metadata={
        "description": "{town_code, town_name}: the 市级 town to step up (递补)"})


@bp.get("/assessment")
@token_required
def yearly_assessment():
    if g.api_user.role not in services.SEEING_ROLES:
        raise Forbidden(_("只有督查人员和管理员可以查看年度考核"))
    level, year, result, items = reckoning.report(request.args, g.api_user, clock.utcnow())
    done, candidate = result.published, result.candidate
    if not any(item["mark"] == "eliminate_warning" for item in items):
        candidate = None  # the warned town is outside the caller's reach: so is its 递补
    return AssessmentOut().dump({
        "level": {value: key for key, value in API_LEVELS.items()}[level], "year": year,
        "published": None if done is None else {
            "document_no": done.document_no, "published_at": done.published_at.isoformat()},
        "weights": result.weights, "items": items,
        "replacement_candidate": None if candidate is None else {
            "town_code": candidate.code, "town_name": candidate.name}})


@bp.get("/towns")
@token_required
def towns():
    if g.api_user.role not in services.SEEING_ROLES:
        raise Forbidden(_("只有督查人员和管理员可以查看示范镇名录"))
    wanted = request.args.get("level")
    if wanted is not None and wanted not in API_LEVELS:
        raise InvalidInput(_("level 须为 provincial、city 或 county"),
                           fields={"level": ["provincial, city or county"]})
    status = request.args.get("status")
    if status is not None and status not in STATUSES:
        raise InvalidInput(_("无效的状态"), fields={"status": [", ".join(STATUSES)]})
    entries = services.registry(g.api_user, level=API_LEVELS.get(wanted), status=status)
    return RegistryOut().dump({"items": entries})


def api_operations() -> dict:
    return {"/programme/towns": {"get": {
        "summary": "示范镇名录: the demonstration towns and candidates you may see, with the "
                   "history of every decision",
        "parameters": [api.param("level", {"type": "string", "enum": list(API_LEVELS)}),
                       api.param("status", {"type": "string", "enum": list(STATUSES)})],
        "responses": {**api.ok("the registry", "RegistryOut"),
                      **api.errors("401", "403", "422")}}},
        "/programme/towns/{code}/ledger": {"get": {
            "summary": "清单化管理: a town's ledger — all 20 items of the responsibility list "
                       "with its projects, milestones and percent complete",
            "parameters": [api.param("code", {"type": "string", "pattern": "^[0-9]{12}$"},
                                     required=True, where="path")],
            "responses": {**api.ok("the ledger", "LedgerOut"), **api.errors("401", "404")}}},
        "/programme/assessment": {"get": {
            "summary": "年度考核: a level's demonstration towns of a year scored over 建设进度, "
                       "治理成效 and 环境责任, ranked and marked, with the 递补 candidate — as "
                       "published, else reckoned now",
            "parameters": [api.param("level", {"type": "string", "enum": list(API_LEVELS)}),
                           api.param("year", {"type": "integer", "minimum": 2020})],
            "responses": {**api.ok("the assessment", "AssessmentOut"),
                          **api.errors("401", "403", "422")}}}}
