"""Four real sweeper processes on the same 1,000 due cases: each step exactly once."""
import os
import subprocess
import sys
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from sqlalchemy import func, insert, select

from core.extensions import db
from events import intake
from events.intake import new_tracking_code
from events.models import Escalation, Event, EventLog
from tests.support import writing
from notify.models import Notification

CST = ZoneInfo("Asia/Shanghai")
ROOT = Path(__file__).resolve().parent.parent
CASES = 1000


def _fill(app, start):
    """One real case through the service, then 999 copies of its row with new numbers."""
    from auth.models import User
    with writing(app):
        worker = db.session.scalar(select(User).where(User.username == "worker"))
        event, _ = intake.create_event(worker, start, category_code="06010", lat=43.603,
                                       lon=126.485, description="批量")
        template = {c.name: getattr(event, c.key) for c in Event.__table__.columns
                    if c.name != "id"}
        rows = [{**template, "number": f"2026-9{n:05d}", "tracking_code": new_tracking_code()}
                for n in range(1, CASES)]
        db.session.execute(insert(Event.__table__), rows)
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(Event))


def test_four_processes_sweeping_the_same_cases(world, database_url, tmp_path):
    start = datetime(2026, 3, 10, 9, 0, tzinfo=CST)
    assert _fill(world, start) == CASES
    env = {**os.environ, "DATABASE_URL": database_url, "GRIDGOV_INSTANCE": str(tmp_path),
           "SQLITE_BUSY_TIMEOUT_MS": "60000", "PYTHONPATH": str(ROOT)}
    sweepers = [subprocess.Popen(
        [sys.executable, "-m", "flask", "--app", "wsgi", "escalate",
         "--now", "2026-03-20T09:00:00+08:00"],
        cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        for _ in range(4)]
    outputs = [process.communicate(timeout=300) for process in sweepers]
    for process, (out, err) in zip(sweepers, outputs):
        assert process.returncode == 0, err
        assert "locked" not in err.lower()
    reported = sum(int(out.split("escalated ")[1].split(" cases")[0]) for out, _ in outputs)
    assert reported == CASES  # every case handled by exactly one sweeper
    with world.app_context():
        steps = db.session.execute(select(Escalation.event_id, Escalation.step)).all()
        assert len(steps) == len(set(steps)) == CASES * 4
        logs = db.session.scalar(select(func.count()).select_from(EventLog).where(
            EventLog.action.in_(("warn", "overdue"))))
        assert logs == CASES * 4
        per_recipient = db.session.execute(
            select(Notification.user_id, Notification.event_id, func.count())
            .where(Notification.channel == "in_app",
                   Notification.kind.in_(("warn", "overdue")))  # not the hand-off
            .group_by(Notification.user_id, Notification.event_id)).all()
        assert per_recipient and all(count == 1 for _, _, count in per_recipient)
        # filed cases wait on the town's dispatcher; level 2 reaches the county supervisor
        assert len(per_recipient) == CASES * 2
