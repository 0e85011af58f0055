"""The admins' work-calendar page: a year as twelve month grids (workdays, weekends,
holidays, make-up workdays), which years are held, add a year — from the package when it
knows the year, by hand (Monday–Friday, then day by day) when it does not — and override a
day. Every change is audited."""
import calendar as months
from datetime import date

from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _, ngettext
from flask_login import current_user
from sqlalchemy import func, select

from audit.services import record
from core import clock
from core.database import write_transaction
from core.errors import InvalidInput
from core.extensions import db
from core.roles import role_required
from workcal.calendar import (WorkDay, calendar_changed_in, enter_year, held_years,
                              missing_next_year, package_years, set_day)

bp = Blueprint("calendar", __name__, url_prefix="/admin/calendar")


def _back(message: str, year: int | None = None):
    """Tell the admin what went wrong (styled as an error) and show the calendar page again
    (303 after a POST)."""
    flash(message, "error")
    return redirect(url_for("calendar.index", year=year)), 303


@bp.before_request
@role_required("admin")
def _admins_only():
    """Every page of the calendar is an admin's."""


def month_grids(year: int) -> list[dict]:
    """Twelve months of `year`, each as weeks of (day, kind, name) from Monday: kind is
    work, weekend, holiday (a weekday off), makeup (a weekend day at work) or unknown
    (the year is not held); None pads the weeks."""
    held = {row.day: row for row in db.session.scalars(select(WorkDay).where(
        WorkDay.day >= date(year, 1, 1), WorkDay.day <= date(year, 12, 31)))}
    out = []
    for month in range(1, 13):
        weeks = []
        for week in months.Calendar(firstweekday=0).monthdatescalendar(year, month):
            cells = []
            for day in week:
                if day.month != month:
                    cells.append(None)
                    continue
                row, weekend = held.get(day), day.weekday() >= 5
                if row is None:
                    kind = "unknown"
                elif row.is_workday:
                    kind = "makeup" if weekend else "work"
                else:
                    kind = "weekend" if weekend and not row.name else "holiday"
                cells.append((day, kind, row.name if row else ""))
            weeks.append(cells)
        out.append({"month": month, "weeks": weeks})
    return out


@bp.get("")
def index():
    years = held_years()
    today = clock.utcnow().date()
    year = request.args.get("year", type=int) or today.year
    if not 2000 <= year <= 2100:
        raise InvalidInput(_("请填写 2000–2100 之间的年份"), fields={"year": ["2000–2100"]})
    exceptions = db.session.scalars(select(WorkDay).where(
        WorkDay.day >= date(year, 1, 1), WorkDay.day <= date(year, 12, 31),
        (WorkDay.is_workday != (func.strftime("%w", WorkDay.day).notin_(("0", "6"))))
        if db.engine.dialect.name == "sqlite" else
        (WorkDay.is_workday != (func.extract("isodow", WorkDay.day) < 6)))
        .order_by(WorkDay.day)).all()
    missing = missing_next_year(clock.utcnow(), current_app.config["LOCAL_TIMEZONE"])
    offered = missing or (year if year not in years else None) or today.year + 1
    return render_template("workcal/index.html", years=years, year=year,
                           exceptions=exceptions, package_years=package_years(),
                           missing=missing, offered=offered, held=year in years,
                           grids=month_grids(year))


@bp.post("/years")
def add_year():
    year = request.form.get("year", type=int)
    source = "weekdays" if request.form.get("source") == "weekdays" else "chinese-calendar"
    if year is None or not 2000 <= year <= 2100:
        return _back(_("请填写 2000–2100 之间的年份"))
    known = package_years()
    if source == "chinese-calendar" and year not in known:
        return _back(_("法定节假日数据暂未收录 %(year)s 年（已知至 %(last)s 年）：请选择“周一至周五”录入，"
                       "再按国务院办公厅公布的放假安排逐日调整", year=year, last=known[-1]), year)
    with write_transaction():  # the year and the deadlines it moves, in one unit
        days = enter_year(year, source)
        recomputed = calendar_changed_in("year")
        record(current_user, "calendar", str(year), "create", None,
               {"source": source, "days": days})
    flash(ngettext("已录入 %(year)s 年 %(days)s 天；重算临时期限 %(num)d 件",
                   "已录入 %(year)s 年 %(days)s 天；重算临时期限 %(num)d 件",
                   recomputed, year=year, days=days))
    return redirect(url_for("calendar.index", year=year)), 303


@bp.post("/days")
def override_day():
    try:
        day = date.fromisoformat(request.form.get("day", ""))
    except ValueError:
        return _back(_("日期格式应为 YYYY-MM-DD"))
    is_workday = request.form.get("kind") == "workday"
    if day.year not in held_years():
        return _back(_("%(year)s 年尚未录入：请先录入该年份，再调整单日", year=day.year), day.year)
    name = (request.form.get("name") or "").strip()[:64]
    with write_transaction():
        before = db.session.get(WorkDay, day)
        was = {"is_workday": before.is_workday, "name": before.name}
        set_day(day, is_workday, name)
        recomputed = calendar_changed_in("days")
        record(current_user, "calendar", day.isoformat(), "update", was,
               {"is_workday": is_workday, "name": name})
    if is_workday:
        flash(ngettext("%(day)s 已设为工作日；重算期限 %(num)d 件",
                       "%(day)s 已设为工作日；重算期限 %(num)d 件", recomputed, day=day.isoformat()))
    else:
        flash(ngettext("%(day)s 已设为休息日；重算期限 %(num)d 件",
                       "%(day)s 已设为休息日；重算期限 %(num)d 件", recomputed, day=day.isoformat()))
    return redirect(url_for("calendar.index", year=day.year)), 303
