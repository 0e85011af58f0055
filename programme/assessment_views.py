"""年度考核 pages (issue 15): a level's assessment of a year (试算 until published, then as
published) with its three parts, marks and the 递补 candidate; the admins publish it under a
文号 and carry out the 递补 it proposes; the formula page with the part weights; the report
as a PDF."""
from urllib.parse import quote

from flask import Blueprint, Response, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select

from audit.services import record
from core import clock
from core.database import write_transaction
from core.errors import AppError
from core.extensions import db
from core.roles import role_required
from dashboard import ranking, weights as town_weights
from events.filters import local_day
from programme import assessment, replacement
from programme.models import IN_PROGRAMME, LEVELS, ProgrammeTown
from programme.services import SEEING_ROLES

bp = Blueprint("assessment", __name__, url_prefix="/programme/assessment")
MARKS = {ranking.COMMEND: "通报表扬", ranking.CRITICIZE: "通报批评",
         ranking.ELIMINATE_WARNING: "淘汰预警"}


def report(args):
    return assessment.report(args, current_user, clock.utcnow())


def _page(args, status=200, errors=None, sent=None):
    today = local_day(clock.utcnow())
    try:
        level, year, result, rows = report(args)
    except AppError as error:  # a bad query: the page for the default, the error named
        level, year, result, rows = report({})
        errors, status = {"_": [error.message]}, error.status
    statuses = dict(db.session.execute(select(ProgrammeTown.town_id, ProgrammeTown.status)).all())
    warned = [row for row in rows if row["mark"] == ranking.ELIMINATE_WARNING
              and statuses.get(result.town_ids[row["town_code"]], "building") in IN_PROGRAMME]
    return render_template(
        "programme/assessment.html", level=level, year=year, result=result, rows=rows,
        levels=LEVELS, years=list(range(today.year, 2019, -1)), marks=MARKS,
        parts=assessment.PARTS, warned=warned, may_publish=year < today.year,
        errors=errors or {}, sent=sent or {}), status


@bp.get("")
@role_required(*SEEING_ROLES)
def show():
    return _page(request.args)


def _back(level, year):
    return redirect(url_for("assessment.show", level=level, year=year), 303)


@bp.post("/publish")
@role_required("admin")
def publish():
    form = request.form
    try:
        level, year = assessment.parse_query(form, local_day(clock.utcnow()))
        with write_transaction():
            done = assessment.publish(current_user, level, year, form.get("document_no", ""),
                                      clock.utcnow())
            record(current_user, "programme", f"{year} {level}示范镇考核", "publish", None,
                   {"document_no": done.document_no, "towns": len(done.rows)})
    except AppError as error:
        return _page(form, error.status, {**(error.fields or {}), "_": [error.message]}, form)
    flash(_("已发布 %(year)s 年%(level)s示范镇考核结果", year=year, level=level), "success")
    return _back(level, year)


@bp.post("/replace")
@role_required("admin")
def replace():
    form = request.form
    try:
        _level, year = assessment.parse_query({"year": form.get("year")},
                                              local_day(clock.utcnow()))
        with write_transaction():
            leaving, entering = replacement.replace(
                current_user, year, form.get("town", ""), form.get("document_no", ""),
                form.get("note", ""), clock.utcnow())
    except AppError as error:
        args = {"level": "省级", "year": form.get("year")}
        return _page(args, error.status, {**(error.fields or {}), "replace": [error.message]},
                     form)
    flash(_("已递补：%(out)s 淘汰，%(in)s 递补入选省级示范镇", out=leaving.town.name,
            **{"in": entering.town.name}), "success")
    return _back("省级", year)


def _formula_page(status=200, error=None, sent=None):
    chosen = assessment.weights()
    return render_template("programme/assessment_formula.html", parts=assessment.PARTS,
                           weights=chosen, sent=sent, error=error,
                           defaults=assessment.DEFAULT_WEIGHTS,
                           town_formula=town_weights.formula(town_weights.current("town")),
                           marks=MARKS), status


@bp.get("/formula")
@role_required(*SEEING_ROLES)
def formula():
    return _formula_page()


@bp.post("/formula")
@role_required("admin")
def save_formula():
    try:
        chosen = assessment.parse_weights(request.form)
        with write_transaction():
            before = assessment.weights()
            assessment.save_weights(current_user, chosen)
            record(current_user, "weights", "年度考核", "update", {"weights": before},
                   {"weights": chosen})
    except AppError as error:
        return _formula_page(error.status, error.message, request.form)
    flash(_("已保存年度考核的权重：未发布的考核按新权重计算，已发布的不变"), "success")
    return redirect(url_for("assessment.formula"), 303)


@bp.get("/report.pdf")
@role_required(*SEEING_ROLES)
def report_pdf():
    from programme.assessment_pdf import pdf
    level, year, result, rows = report(request.args)
    body = pdf(level, year, result, rows, MARKS, current_app.config["LOCAL_TIMEZONE"])
    answer = Response(body, mimetype="application/pdf")
    answer.headers["Content-Disposition"] = "attachment; filename*=UTF-8''" + quote(
        f"{year}年{level}示范镇考核报告.pdf")
    return answer
