"""The supervisors' morning digest (08:30 Asia/Shanghai): overdue, and about to be."""
from datetime import datetime
from zoneinfo import ZoneInfo

from flask import current_app
from sqlalchemy import and_, func, select

from auth.models import User
from events.access import visible_clause
from core.database import write_transaction
from core.extensions import db
from events.models import Event
from notify.services import notify


def send_digests(now: datetime) -> int:
    """One digest per supervisor; returns how many were queued."""
    local_day = now.astimezone(ZoneInfo(current_app.config["LOCAL_TIMEZONE"])).strftime("%Y-%m-%d")
    digests = []
    for user in db.session.scalars(select(User).where(User.role == "supervisor",
                                                      User.is_enabled.is_(True))):
        scope = visible_clause(user)
        overdue = db.session.scalar(select(func.count()).select_from(Event).where(
            scope, Event.due_at <= now))
        soon = db.session.scalar(select(func.count()).select_from(Event).where(
            scope, and_(Event.warn_at <= now, Event.due_at > now)))
        worst = db.session.scalars(select(Event).where(scope, Event.due_at <= now)
                                   .order_by(Event.due_at).limit(10)).all()
        lines = [f"{e.number} {e.category.name} {e.town.name}·{e.grid.name}" for e in worst]
        body = "\n".join(["最久超期：", *lines]) if lines else "无超期案件"
        digests.append(({user.id}, body, overdue, soon))
    with write_transaction():  # read first, then one short unit that writes them all
        for recipients, body, overdue, soon in digests:
            notify(recipients, kind="digest", now=now, body=body,
                   subject=f"【每日督办】{local_day}：超期 {overdue} 件，即将超期 {soon} 件",
                   data={"overdue": overdue, "soon": soon, "day": local_day})
    return len(digests)
