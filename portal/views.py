"""Resident pages, no login: report by QR code (/q/<token>), track and rate (/t/<code>)."""
import re
import uuid

from flask import (Blueprint, Response, abort, current_app, redirect, render_template, request,
                   url_for)
from flask_login import current_user
from markupsafe import Markup, escape
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from core import clock
from core.database import write_transaction
from core.errors import AppError
from core.extensions import csrf, db, limiter
from events import intake
from events.catalogue import COMMON_CATEGORIES, OTHER_CATEGORY
from events.models import Attachment, Category
from events.storage import get_storage
from portal import services

bp = Blueprint("public", __name__)


def _point_key():
    return f"qr:{request.view_args.get('token', '')}"


def _report_limit():
    return current_app.config["REPORT_LIMIT_PER_IP"]


def _point_limit():
    return current_app.config["REPORT_LIMIT_PER_POINT"]


def _form_context(point, form, error=None, fields=None):
    categories = db.session.scalars(select(Category).where(Category.is_active.is_(True))
                                    .order_by(Category.code)).all()
    quick_codes = [code for code, _ in COMMON_CATEGORIES]
    by_code = {c.code: c for c in categories}
    quick = [(by_code[code], icon) for code, icon in COMMON_CATEGORIES if code in by_code]
    other = by_code.get(OTHER_CATEGORY)  # the catch-all, last and in sight
    more = [c for c in categories if c.code not in quick_codes and c.code != OTHER_CATEGORY]
    return dict(point=point, form=form, error=error, fields=fields or {}, quick=quick,
                more=more, other=other, hotline=current_app.config["HOTLINE_TEXT"])


@bp.route("/q/<token>", methods=["GET", "POST"])
@limiter.limit(_report_limit, methods=["POST"])
@limiter.limit(_point_limit, key_func=_point_key, methods=["POST"])
def report(token: str):
    point, status = services.find_point(token)
    if status != "active":
        return render_template("portal/retired.html", point=point, status=status,
                               hotline=current_app.config["HOTLINE_TEXT"]), \
            404 if status == "unknown" else 410
    if request.method == "GET":
        # a member of staff scanning a point may be somewhere else to go (field/: the grid's
        # worker checks in); everyone else, residents first, gets the form
        scan = current_app.extensions.get("gridgov.staff_scan")
        target = scan(current_user, point) if scan and current_user.is_authenticated else None
        if target and request.args.get("report") != "1":
            return redirect(target)
        return render_template("portal/report.html",
                               **_form_context(point, {"form_token": uuid.uuid4().hex}))
    form = request.form
    if form.get("website"):  # the honeypot: people never see this field
        return render_template("portal/report.html", **_form_context(
            point, form, "提交失败，请稍后再试")), 400
    own = form.get("own_location") == "1"
    try:
        lat = float(form["lat"]) if own and form.get("lat") else None
        lon = float(form["lon"]) if own and form.get("lon") else None
    except ValueError:
        lat = lon = None
    scope, key = f"qr:{point.id}", (form.get("form_token") or "")[:64] or None
    try:
        photos = services.prepare_resident_photos(request.files.getlist("photos"))
        event, _created = intake.commit_once(scope, key, lambda: services.submit_report(
            clock.utcnow(), point=point, source="resident",
            category_code=form.get("category_code", ""), description=form.get("description", ""),
            lat=lat, lon=lon, name=form.get("name", ""), phone=form.get("phone", ""),
            photos=photos, idempotency_scope=scope, idempotency_key=key))
    except AppError as error:
        return render_template("portal/report.html", **_form_context(
            point, form, error.message, error.fields)), error.status
    return redirect(url_for("public.track", code=event.tracking_code, receipt=1), 303)


@bp.errorhandler(429)
def _too_many(error):
    if request.endpoint == "public.report":
        point, _status = services.find_point(request.view_args.get("token", ""))
        return render_template("portal/report.html", **_form_context(
            point, request.form, "提交过于频繁，请稍后再试（您填写的内容已保留）")), 429
    return render_template("portal/message.html", title="请求过于频繁",
                           message="请稍后再试"), 429


@bp.get("/t")
@limiter.limit(lambda: current_app.config["TRACK_LIMIT_PER_IP"])
def lookup():
    """A form to type a 查询码 (a resident who wrote it down rather than kept the link)."""
    code = "".join((request.args.get("code") or "").split()).upper()[:32]
    if not request.args.get("code"):
        return render_template("portal/lookup.html", code="", error=None,
                               hotline=current_app.config["HOTLINE_TEXT"])
    try:
        services.load_tracked(code)
    except AppError:
        return render_template("portal/lookup.html", code=code,
                               error="没有找到这个查询码，请核对后重试",
                               hotline=current_app.config["HOTLINE_TEXT"]), 404
    return redirect(url_for("public.track", code=code), 303)


@bp.get("/t/<code>")
@limiter.limit(lambda: current_app.config["TRACK_LIMIT_PER_IP"])
def track(code: str):
    return _track_page(_tracked_or_404(code), receipt=request.args.get("receipt"))


def _track_page(event, **extra):
    return render_template("portal/track.html", event=event,
                           status=services.public_status(event),
                           timeline=services.public_timeline(event),
                           next_step=services.public_next_step(event),
                           can_rate=services.can_rate(event),
                           reopens=services.reopens_if_unsatisfied(event, clock.utcnow()),
                           hotline=current_app.config["HOTLINE_TEXT"], **extra)


def _tracked_or_404(code):
    try:
        return services.load_tracked(code)
    except AppError:
        abort(404)


@bp.post("/t/<code>/rating")
@limiter.limit(lambda: current_app.config["REPORT_LIMIT_PER_IP"])
def rate(code: str):
    _tracked_or_404(code)
    try:
        with write_transaction():
            event = _tracked_or_404(code)
            services.rate_event(event, request.form.get("rating", ""),
                                request.form.get("comment", ""), clock.utcnow())
    except IntegrityError:  # another rating of this closure committed first
        return _track_page(_tracked_or_404(code), error="该案件已评价，感谢您的反馈",
                           form=request.form), 409
    except AppError as error:
        return _track_page(_tracked_or_404(code), error=error.message, form=request.form), \
            error.status
    # 不满意 after the reopening window is recorded only: say so, and how to report again
    recorded = request.form.get("rating") == "unsatisfied" and event.state == "closed"
    return redirect(url_for("public.track", code=event.tracking_code,
                            rated="recorded" if recorded else 1), 303)


@bp.get("/p/<public_id>")
def photo(public_id: str):
    """A photo of a public step (the report and the fix) of a case, by its own unguessable
    id: tracking pages and Open311 link here, never through a tracking code."""
    row = db.session.scalar(select(Attachment).where(Attachment.public_id == public_id[:32]))
    if row is None or row.event_id is None or row.log is None or \
            row.log.action not in services.PUBLIC_PHOTO_STEPS:
        abort(404)
    key = row.thumb_key if request.args.get("thumb") else row.storage_key
    response = Response(get_storage(current_app).read(key),
                        mimetype="image/jpeg" if request.args.get("thumb") else row.content_type)
    response.headers["Cache-Control"] = "public, max-age=86400, immutable"
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response


csrf.exempt(report)
csrf.exempt(rate)


#: what a resident reads when a page of theirs fails, by status
PUBLIC_ERRORS = {
    404: ("页面不存在", "二维码或查询码可能有误或已停用，请核对后重试。"),
    410: ("二维码已停用", "该二维码已停用，请扫描现场新张贴的二维码。"),
    413: ("照片过大", "请换一张较小的照片后重试。"),
    429: ("请求过于频繁", "请稍后再试。"),
}


def render_public_error(status: int, body: dict):
    """core.errors' renderer for /q/, /t/ and /p/: the portal's page, never the staff
    error page with its link to the staff login."""
    title, message = PUBLIC_ERRORS.get(status, ("出错了", body.get("message") or "请稍后再试。"))
    return render_template("portal/message.html", title=title, message=message,
                           lookup=status == 404,
                           hotline=current_app.config["HOTLINE_TEXT"]), status


def tel_links(text: str) -> Markup:
    """The hotline text with its numbers as tap-to-call links (tel:)."""
    def link(match):
        return f'<a href="tel:{match.group(1)}">{match.group(1)}</a>'
    return Markup(re.sub(r"(\d[\d-]{2,}\d)", link, str(escape(text))))
