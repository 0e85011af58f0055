"""审计日志 (/admin/audit): the admins read the log newest first, filter it by kind, person,
record and dates, and export what they filtered as Excel or CSV."""
from datetime import date, datetime, time, timezone
from zoneinfo import ZoneInfo

from flask import Blueprint, Response, current_app, render_template, request
from flask_babel import gettext as _

from audit import services
from core.roles import role_required
from core.sheets import Column, to_csv, xlsx

bp = Blueprint("audit", __name__)


def N_(text: str) -> str:
    """Marks a name for the catalogue (`make extract`); the page translates it."""
    return text

PAGE = 50
MAX_EXPORT = 10_000
KIND_NAMES = {"user": N_("用户"), "department": N_("责任单位"), "category": N_("事项类别"),
              "routing": N_("责任清单"), "region": N_("区划"), "grid": N_("网格"), "qr_point": N_("二维码点位"),
              "calendar": N_("工作日历"), "weights": N_("评分权重"), "open311_key": N_("Open311 密钥"),
              "login": N_("登录锁定")}
ACTION_NAMES = {"create": N_("新建"), "update": N_("修改"), "deactivate": N_("停用"), "activate": N_("启用"),
                "reset_password": N_("重置密码"), "reissue": N_("换发"), "unlock": N_("解除锁定"), "import": N_("导入"), "retire": N_("撤销"),
                "delete": N_("删除")}

#: the recorded fields as the page names them
FIELD_NAMES = {"display_name": N_("姓名"), "role": N_("角色"), "region": N_("区划"), "department": N_("部门"),
               "grids": N_("网格"), "leads": N_("任网格长"), "department_head": N_("部门负责人"),
               "email": N_("邮箱"), "phone": N_("手机"), "is_enabled": N_("启用"), "name": N_("名称"),
               "code": N_("代码"), "label": N_("名称"), "kind": N_("类型"), "lat": N_("纬度"), "lon": N_("经度"), "head": N_("负责人"), "is_active": N_("启用"), "town": N_("镇"),
               "source": N_("来源"), "days": N_("天数"), "is_workday": N_("上班"),
               "limit_value": N_("处置时限"), "limit_unit": N_("时限单位"),
               "urgency": N_("紧急程度"), "default_department": N_("主管单位"),
               "filing_criteria": N_("立案标准"), "closing_criteria": N_("结案标准"),
               "verify_limit_min": N_("核实时限"), "dispatch_limit_min": N_("派遣时限"),
               "accept_limit_min": N_("签收时限"), "check_limit_min": N_("核查时限"),
               "verifier": N_("核实人"), "auto_dispatch": N_("自动派遣"),
               "weights": N_("权重"), "locked_failures": N_("失败次数"), "added": N_("新增"),
               "changed": N_("修改"), "warnings": N_("提醒"), "retired": N_("撤销"),
               "parent": N_("上级"), "level": N_("级别"), "demo_level": N_("示范镇级别"),
               "demo_year": N_("命名年份"), "work_periods": N_("工作时段")}


def _day(text: str | None) -> date | None:
    try:
        return date.fromisoformat(text) if text and len(text) == 10 else None
    except ValueError:
        return None


def _midnight(day: date, days_after: int = 0) -> datetime:
    zone = ZoneInfo(current_app.config["LOCAL_TIMEZONE"])
    return datetime.combine(date.fromordinal(day.toordinal() + days_after), time(),
                            zone).astimezone(timezone.utc)


def _filters() -> dict:
    args = request.args
    first, last = _day(args.get("from")), _day(args.get("to"))
    kind = args.get("kind") if args.get("kind") in services.KINDS else None
    return {"kind": kind, "actor": (args.get("actor") or "").strip()[:64] or None,
            "target": (args.get("target") or "").strip()[:64] or None,
            "start": _midnight(first) if first else None,
            "end": _midnight(last, 1) if last else None}


def _label(table: dict, key: str) -> str:
    return _(table[key]) if key in table else key


@bp.get("/admin/audit")
@role_required("admin")
def index():
    before = request.args.get("before", "")
    before_id = int(before) if before.isascii() and before.isdigit() and len(before) < 10 else None
    found = services.entries(**_filters(), before_id=before_id, limit=PAGE + 1)
    return render_template("audit/index.html", entries=found[:PAGE], more=len(found) > PAGE,
                           kinds=services.KINDS, kind_label=lambda k: _label(KIND_NAMES, k),
                           action_label=lambda a: _label(ACTION_NAMES, a),
                           field_label=lambda f: _label(FIELD_NAMES, f), args=request.args)


@bp.get("/admin/audit.<any(xlsx, csv):fmt>")
@role_required("admin")
def export(fmt: str):
    rows = [{"at": e.at, "actor": e.actor_name, "kind": _label(KIND_NAMES, e.kind),
             "target": e.target, "action": _label(ACTION_NAMES, e.action),
             "before": _pairs(e.before), "after": _pairs(e.after), "ip": e.ip}
            for e in services.entries(**_filters(), limit=MAX_EXPORT)]
    columns = [Column(_("时间"), "at", "datetime"), Column(_("操作人"), "actor"),
               Column(_("对象类型"), "kind"), Column(_("对象"), "target"),
               Column(_("操作"), "action"), Column(_("修改前"), "before"),
               Column(_("修改后"), "after"), Column("IP", "ip")]
    body = xlsx(_("审计日志"), columns, rows) if fmt == "xlsx" else to_csv(columns, rows)
    mimetype = ("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
                if fmt == "xlsx" else "text/csv; charset=utf-8")
    return Response(body, mimetype=mimetype, headers={
        "Content-Disposition": f"attachment; filename=audit.{fmt}"})


def _pairs(values: dict | None) -> str:
    return "; ".join(f"{_label(FIELD_NAMES, k)}={v}" for k, v in (values or {}).items())
