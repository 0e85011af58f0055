"""定期调度 pages (issue 15): a town's monthly progress reports — the form for the month due
(each milestone's percent and money spent, problems, help needed, photos) for the town's
dispatchers and admins, and the reports sent, for everyone who may read the ledger."""
from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from core import clock
from core.database import end_read, write_transaction
from core.errors import AppError, InvalidInput
from core.inputs import is_id
from events.filters import local_day
from events.photos import add_photo, prepare_uploads
from programme import ledger, reports

bp = Blueprint("reports", __name__, url_prefix="/programme")


def _page(code: str, errors=None, sent=None, status=200):
    entry = ledger.entry_for(current_user, code)
    today = local_day(clock.utcnow())
    last, this = reports.open_months(today)
    may_edit = current_user.role == "admin" or (current_user.role == "dispatcher"
                                               and current_user.region_id == entry.town_id)
    kept = reports.reports(entry)
    kept_months = {report.month for report in kept}
    return render_template(
        "programme/reports.html", entry=entry, reports=kept,
        projects=ledger.projects(entry), months=(last, this), due=reports.due_day(last),
        overdue=today > reports.due_day(last) and last not in kept_months, may_edit=may_edit,
        errors=errors or {}, sent=sent), status


@bp.get("/<code>/reports")
@login_required
def index(code: str):
    return _page(code)


def _lines(form) -> list[reports.Line]:
    lines = []
    for key in form:
        if not key.startswith("percent-") or not is_id(key[8:]):
            continue
        milestone_id = int(key[8:])
        percent, spent = form.get(key, "").strip(), form.get(f"spent-{milestone_id}", "").strip()
        if not percent:
            continue
        try:
            lines.append(reports.Line(milestone_id, int(percent), float(spent or 0)))
        except ValueError:
            raise InvalidInput(_("完成比例和已完成投资须为数字"),
                               fields={key: [_("须为数字")]}) from None
    if len(lines) > 400:
        raise InvalidInput(_("节点过多"))
    return lines


@bp.post("/<code>/reports")
@login_required
def submit(code: str):
    form = request.form
    try:
        ledger.entry_for(current_user, code, write=True)
        last, this = reports.open_months(local_day(clock.utcnow()))
        month = {last.isoformat(): last, this.isoformat(): this}.get(form.get("month", ""))
        if month is None:
            raise InvalidInput(_("只能报送上月或本月的进展"), fields={"month": [_("无效的月份")]})
        lines = _lines(form)
        files = request.files.getlist("photos")
        if len(files) > reports.MAX_PHOTOS:
            raise InvalidInput(_("最多 %(n)s 张照片", n=reports.MAX_PHOTOS),
                               fields={"photos": [_("过多")]})
        prepared = prepare_uploads(files)  # decoded before the unit
        end_read()
        with write_transaction():
            entry = ledger.entry_for(current_user, code, write=True)
            photo_ids = [add_photo(photo, current_user.id).id for photo in prepared]
            report = reports.submit(current_user, entry, month, lines,
                                    problems=form.get("problems", ""),
                                    help_needed=form.get("help_needed") == "1",
                                    photo_ids=photo_ids, now=clock.utcnow())
    except AppError as error:
        return _page(code, {**(error.fields or {}), "_": [error.message]}, form, error.status)
    flash(_("已报送 %(y)s年%(m)s月 建设进展", y=report.month.year, m=report.month.month)
          if not report.revised else _("已更正 %(y)s年%(m)s月 建设进展", y=report.month.year,
                                       m=report.month.month), "success")
    return redirect(url_for("reports.index", code=code), 303)


@bp.get("/<code>/reports/photos/<int:attachment_id>/<any(thumb, full):size>")
@login_required
def photo(code: str, attachment_id: int, size: str):
    """A report's photo, to those who may read the town's ledger."""
    from flask import abort
    from sqlalchemy import select

    from core.extensions import db
    from events.models import Attachment
    from events.photos import photo_response
    from programme.models import ProgressReport, ProgressReportPhoto
    entry = ledger.entry_for(current_user, code)
    found = db.session.scalar(select(Attachment).join(
        ProgressReportPhoto, ProgressReportPhoto.attachment_id == Attachment.id).join(
        ProgressReport, ProgressReport.id == ProgressReportPhoto.report_id).where(
        Attachment.id == attachment_id, ProgressReport.entry_id == entry.id))
    if found is None:
        abort(404)
    return photo_response(found, size)
