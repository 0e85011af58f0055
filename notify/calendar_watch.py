"""From 1 November, admins are told (once a year, and by a banner) to enter next year."""
from datetime import datetime

from flask import current_app
from sqlalchemy import select

from auth.models import User
from workcal.calendar import missing_next_year
from core.database import write_transaction
from core.extensions import db
from notify.models import Notification
from notify.services import notify


def warn_about_missing_year(now: datetime) -> bool:
    year = missing_next_year(now, current_app.config["LOCAL_TIMEZONE"])
    if year is None:
        return False
    subject = f"【工作日历】{year} 年节假日尚未录入，跨年期限暂按周一至周五计算"
    with write_transaction():  # checked and written under one lock: once a year
        if db.session.scalar(select(Notification.id).where(
                Notification.kind == "calendar", Notification.subject == subject).limit(1)):
            return False
        admins = set(db.session.scalars(select(User.id).where(User.role == "admin",
                                                              User.is_enabled.is_(True))))
        notify(admins, kind="calendar", subject=subject, now=now, data={"year": year},
               body=f"请在国务院办公厅公布 {year} 年放假安排后，于“工作日历”录入（flask --app "
                    f"wsgi calendar add-year {year}）。")
    return True
