"""The morning digest (08:30 Asia/Shanghai): supervisors get overdue and about to be;
everyone with open tasks (待办 not yet acted on) gets the list of them."""
from datetime import datetime
from zoneinfo import ZoneInfo

from flask import current_app
from sqlalchemy import and_, func, select, text

from auth.models import User
from events.access import visible_clause
from core.database import write_transaction
from core.extensions import db
from events.models import Event
from notify.handoffs import is_done
from notify.models import UNREAD_TASKS, Notification
from notify.services import notify


def send_digests(now: datetime) -> int:
    """One digest per supervisor and per person with open tasks; returns how many."""
    local_day = now.astimezone(ZoneInfo(current_app.config["LOCAL_TIMEZONE"])).strftime("%Y-%m-%d")
    digests = []
    tasks = open_tasks()
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
        mine = tasks.pop(user.id, [])
        if mine:
            body += "\n" + "\n".join([f"我的待办 {len(mine)} 件：", *mine[:10]])
        digests.append(({user.id}, body, {"overdue": overdue, "soon": soon, "tasks": len(mine)},
                        f"【每日督办】{local_day}：超期 {overdue} 件，即将超期 {soon} 件"))
    for user_id, mine in sorted(tasks.items()):
        digests.append(({user_id}, "\n".join(mine[:20]), {"tasks": len(mine)},
                        f"【每日待办】{local_day}：待办 {len(mine)} 件"))
    with write_transaction():  # read first, then one short unit that writes them all
        for recipients, body, data, subject in digests:
            notify(recipients, kind="digest", now=now, body=body, subject=subject,
                   data={**data, "day": local_day})
    return len(digests)


def open_tasks() -> dict[int, list[str]]:
    """Per enabled user: the subjects of their unread tasks whose case still waits on them,
    oldest first."""
    rows = db.session.execute(
        select(Notification.user_id, Notification.kind, Notification.data,
               Notification.subject, Event.state, Event.clock_seq,
               Event.extension_requested_hours)
        .join(Event, Event.id == Notification.event_id)
        .join(User, User.id == Notification.user_id)
        .where(text(UNREAD_TASKS), User.is_enabled.is_(True))  # its partial index
        .order_by(Notification.id)).all()
    found: dict[int, list[str]] = {}
    for row in rows:
        if not is_done(row, row):
            found.setdefault(row.user_id, []).append(row.subject)
    return found
