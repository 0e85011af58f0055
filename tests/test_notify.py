"""Notifications: in-app inbox, e-mail to a local SMTP server, webhooks to a local HTTP
server, retries that never lose a row, the calendar warning, the digest, the scheduler."""
import json
from email.header import decode_header, make_header
import socket
import threading
from datetime import datetime, timedelta
from http.server import BaseHTTPRequestHandler, HTTPServer
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from auth.models import User
from core.extensions import db
from events.sweep import escalate_due
from notify.delivery import deliver_pending
from notify.models import Notification
from tests.support import query_plan, writing

CST = ZoneInfo("Asia/Shanghai")


def local(*args):
    return datetime(*args, tzinfo=CST)


@pytest.fixture
def overdue_case(freeze, report, api, world):
    """An accepted 06010 case, swept once at its deadline (warning + overdue level 1)."""
    freeze(local(2026, 3, 10, 9, 0))
    eid = report("worker")["id"]
    api("dispatcher").act(eid, "dispatch")
    api("handler").act(eid, "accept")

    def sweep(when=local(2026, 3, 10, 14, 30)):
        with world.app_context():
            escalate_due(when)  # the sweep owns its units of work
    return eid, sweep


def test_in_app_inbox_and_mark_read(overdue_case, api):
    _eid, sweep = overdue_case
    sweep()
    inbox = api("dispatcher").get("/api/v1/notifications").get_json()
    alerts = [item for item in inbox["items"] if item["kind"] in ("warn", "overdue")]
    assert inbox["unread_alerts"] == 1 and "超期" in alerts[0]["subject"]
    assert alerts[0]["event_id"] == _eid
    # the 待派遣 task from the report, already dispatched: shown as done
    tasks = [item for item in inbox["items"] if item["kind"].startswith("task.")]
    assert [t["kind"] for t in tasks] == ["task.dispatch"] and tasks[0]["done"] is True
    marked = api("dispatcher").post("/api/v1/notifications/read", json={}).get_json()
    assert marked == {"marked": 2, "unread": 0, "unread_tasks": 0, "unread_alerts": 0}
    assert api("worker").get("/api/v1/notifications").get_json()["items"] == []


@pytest.fixture
def smtp_server():
    from aiosmtpd.controller import Controller
    from aiosmtpd.handlers import Message

    received = []

    class Collect(Message):
        def handle_message(self, message):
            received.append(message)

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    controller = Controller(Collect(), hostname="127.0.0.1", port=port)
    controller.start()
    yield port, received
    controller.stop()


def _set_email(app, username, email):
    with writing(app):
        db.session.scalar(select(User).where(User.username == username)).email = email


def test_email_goes_out_through_smtp_after_commit(overdue_case, world, smtp_server, configure):
    port, received = smtp_server
    configure(SMTP_HOST="127.0.0.1", SMTP_PORT=port)
    _set_email(world, "dispatcher", "dispatcher@qinghe.test")
    _eid, sweep = overdue_case
    sweep()
    with world.app_context():
        pending = db.session.scalars(select(Notification).where(
            Notification.channel == "email")).all()
        assert [n.status for n in pending] == ["pending"]  # written with the step, not sent
        sent, failed = deliver_pending(local(2026, 3, 10, 14, 31))
    assert (sent, failed) == (1, 0)
    assert len(received) == 1
    assert received[0]["To"] == "dispatcher@qinghe.test"
    with world.app_context():
        sent_id = db.session.scalar(select(Notification.id).where(Notification.channel == "email"))
    assert received[0]["Message-ID"] == f"<gridgov.notification.{sent_id}@localhost>"
    subject = str(make_header(decode_header(received[0]["Subject"])))
    assert subject.startswith("【超期（一级）】") and "暴露垃圾" in subject


class _Hook(BaseHTTPRequestHandler):
    bodies = []
    status = 200

    def do_POST(self):
        _Hook.bodies.append(json.loads(self.rfile.read(int(self.headers["Content-Length"]))))
        self.send_response(_Hook.status)
        self.end_headers()

    def log_message(self, *args):
        pass


@pytest.fixture
def webhook_server():
    _Hook.bodies, _Hook.status = [], 200
    server = HTTPServer(("127.0.0.1", 0), _Hook)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}/robot", _Hook
    server.shutdown()
    server.server_close()


def test_webhook_posts_a_chat_robot_message(overdue_case, world, webhook_server, configure):
    url, hook = webhook_server
    configure(WEBHOOK_URL=url)
    _eid, sweep = overdue_case
    sweep()
    with world.app_context():
        assert deliver_pending(local(2026, 3, 10, 14, 31)) == (1, 0)
    body = hook.bodies[0]
    assert body["msgtype"] == "text" and "超期" in body["text"]["content"]
    assert body["gridgov"]["event_id"] == _eid


def test_failed_delivery_is_retried_with_backoff_and_never_lost(overdue_case, world,
                                                                webhook_server, configure):
    url, hook = webhook_server
    hook.status = 500
    configure(WEBHOOK_URL=url)
    _eid, sweep = overdue_case
    sweep()
    moment = local(2026, 3, 10, 14, 31)
    with world.app_context():
        assert deliver_pending(moment) == (0, 1)
        row = db.session.scalar(select(Notification).where(Notification.channel == "webhook"))
        assert row.status == "pending" and row.attempts == 1 and "500" in row.last_error
        assert row.next_attempt_at == moment + timedelta(minutes=1)
        assert deliver_pending(moment) == (0, 0)  # not due yet
        hook.status = 200
        assert deliver_pending(moment + timedelta(minutes=1)) == (1, 0)
        row = db.session.scalar(select(Notification).where(Notification.channel == "webhook"))
        assert row.status == "sent" and row.attempts == 2


def test_after_the_last_attempt_the_row_is_kept_as_failed(overdue_case, world, configure):
    configure(WEBHOOK_URL="http://127.0.0.1:9/closed-port")
    _eid, sweep = overdue_case
    sweep()
    moment = local(2026, 3, 10, 14, 31)
    with world.app_context():
        for _ in range(world.config["NOTIFY_MAX_ATTEMPTS"]):
            deliver_pending(moment)
            moment += timedelta(days=1)
        row = db.session.scalar(select(Notification).where(Notification.channel == "webhook"))
        assert row.status == "failed" and row.attempts == world.config["NOTIFY_MAX_ATTEMPTS"]
        assert row.last_error


def test_calendar_warning_from_november_once(world):
    from notify.calendar_watch import warn_about_missing_year
    with world.app_context():
        assert warn_about_missing_year(local(2026, 10, 31, 12, 0)) is False
        assert warn_about_missing_year(local(2026, 11, 1, 9, 0)) is True
        assert warn_about_missing_year(local(2026, 11, 2, 9, 0)) is False
        admin = db.session.scalar(select(User).where(User.username == "admin"))
        subjects = db.session.scalars(select(Notification.subject).where(
            Notification.user_id == admin.id)).all()
    assert len(subjects) == 1 and "2027" in subjects[0]


def test_calendar_banner_for_admins_only(world, client, freeze, forget_2027):
    freeze(local(2026, 11, 29, 10, 0))
    client.post("/login", data={"username": "admin", "password": "demo-password"})
    assert "缺少 2027 年节假日安排" in client.get("/events").get_data(as_text=True)
    from tests.support import writing
    from workcal.calendar import enter_year
    with writing(world):  # the year is entered (Monday to Friday, as a county may first)
        enter_year(2027, source="weekdays")
    assert "缺少 2027 年节假日安排" not in client.get("/events").get_data(as_text=True)
    client.post("/logout")
    client.post("/login", data={"username": "worker", "password": "demo-password"})
    assert "工作日历" not in client.get("/events").get_data(as_text=True)


def test_daily_digest_counts_overdue_and_soon(overdue_case, world):
    from notify.digest import send_digests
    _eid, sweep = overdue_case
    with world.app_context():
        assert send_digests(local(2026, 3, 11, 8, 30)) == 1
        subject = db.session.scalar(select(Notification.subject).where(
            Notification.kind == "digest"))
    assert "超期 1 件" in subject and "即将超期 0 件" in subject


def test_scheduler_runs_the_sweep_every_minute_and_the_digest_at_0830_shanghai(world):
    from core.scheduler import build_scheduler
    scheduler = build_scheduler(world)
    jobs = {job.id: job for job in scheduler.get_jobs()}
    sweep, digest = jobs["escalate"], jobs["digest"]
    assert sweep.trigger.interval == timedelta(seconds=60)
    assert sweep.coalesce and sweep.max_instances == 1
    assert digest.coalesce and digest.max_instances == 1
    fire = digest.trigger.get_next_fire_time(None, datetime(2026, 3, 10, 0, 0, tzinfo=ZoneInfo("UTC")))
    assert fire.astimezone(CST) == local(2026, 3, 10, 8, 30)


def test_run_cycle_sweeps_and_delivers(overdue_case, world, freeze):
    from core.scheduler import run_cycle
    freeze(local(2026, 3, 10, 14, 30))
    assert "escalated 1 cases: 2 steps" in run_cycle(world)


def test_the_digest_lists_each_persons_open_tasks_and_not_the_done_ones(world, api, report):
    from notify.digest import send_digests
    waiting = report("worker", description="东街垃圾")
    taken = report("worker", description="西街垃圾")
    for case in (waiting, taken):
        api("dispatcher").act(case["id"], "dispatch")
    api("handler").act(taken["id"], "accept")  # this task is done
    with world.app_context():
        send_digests(local(2026, 3, 11, 8, 30))
        handler = db.session.scalar(select(User).where(User.username == "handler"))
        digest = db.session.scalar(select(Notification).where(
            Notification.kind == "digest", Notification.user_id == handler.id))
    assert digest.subject.endswith("待办 1 件")
    assert waiting["number"] in digest.body and taken["number"] not in digest.body


def test_a_pending_message_is_taken_by_one_sender_until_its_lease_runs_out(world, overdue_case,
                                                                          configure):
    """Two schedulers started by mistake read the same due row: one claim wins; a sender that
    died holding it leaves it due again after the lease (sent again, same Message-ID)."""
    from notify.delivery import CLAIM_LEASE, claim
    configure(SMTP_HOST="127.0.0.1", SMTP_PORT=1)
    _set_email(world, "dispatcher", "dispatcher@qinghe.test")
    _eid, sweep = overdue_case
    sweep()
    when = local(2026, 3, 10, 14, 31)
    with world.app_context():
        row = db.session.scalar(select(Notification.id).where(Notification.channel == "email"))
        assert claim(row, when) is True
        assert claim(row, when) is False  # the other scheduler
        assert claim(row, when + CLAIM_LEASE - timedelta(seconds=1)) is False
        assert claim(row, when + CLAIM_LEASE) is True  # its sender died: due again


def _pile_up(app, username, **counts):
    """`username` left this many unread in-app notices of each kind, and some others."""
    from core import clock
    with writing(app):
        user_id = db.session.scalar(select(User.id).where(User.username == username))
        now = clock.utcnow()
        for kind, count in counts.items():
            db.session.add_all(Notification(user_id=user_id, channel="in_app", kind=kind,
                                            subject=f"{kind} #{i}", status="sent",
                                            created_at=now) for i in range(count))
        # read, or not in the app: never counted
        db.session.add(Notification(user_id=user_id, channel="in_app", kind="task.dispatch",
                                    subject="已读", status="sent", read_at=now))
        db.session.add(Notification(user_id=user_id, channel="email", kind="warning",
                                    subject="邮件", status="pending"))


def test_the_bell_stops_counting_at_99_and_the_api_counts_them_all(world, api, login_as):
    """A dispatcher who left 150 tasks unread: every page's bell says 99+ (and reads no more
    than that); the messages page's tabs too; the API's counts stay exact."""
    before = api("dispatcher").get("/api/v1/notifications").get_json()
    _pile_up(world, "dispatcher", **{"task.dispatch": 150, "warning": 2, "calendar": 1})
    after = api("dispatcher").get("/api/v1/notifications").get_json()
    assert after["unread_tasks"] == before["unread_tasks"] + 150
    assert after["unread_alerts"] == before["unread_alerts"] + 3
    assert after["unread"] == after["unread_tasks"] + after["unread_alerts"]
    from notify.services import BELL_CAP, unread_counts
    with world.app_context():  # the bell reads no further than it shows
        dispatcher = db.session.scalar(select(User).where(User.username == "dispatcher"))
        assert unread_counts(dispatcher, cap=BELL_CAP)["tasks"] == BELL_CAP + 1
    unread = api("dispatcher").get("/api/v1/notifications?unread=1").get_json()["items"]
    ids = [item["id"] for item in unread]
    assert len(ids) == 50 and ids == sorted(ids, reverse=True)  # the newest, tasks and alerts
    assert {item["subject"] for item in unread} >= {"warning #0", "warning #1", "calendar #0"}

    desk = login_as("dispatcher")
    page = desk.get("/notifications").get_data(as_text=True)
    assert '<span class="badge task" title="待办">99+</span>' in page
    assert f'<span class="badge alert" title="提醒">{after["unread_alerts"]}</span>' in page
    assert "待办 99+，提醒" in page  # what a screen reader says
    assert '待办 <span class="count">99+</span>' in page

    desk.post("/notifications/read", data={"all": "1", "tab": "tasks"})
    page = desk.get("/notifications").get_data(as_text=True)
    assert 'class="badge task"' not in page
    assert f'<span class="badge alert" title="提醒">{after["unread_alerts"]}</span>' in page
    assert api("dispatcher").get("/api/v1/notifications").get_json()["unread_tasks"] == 0


def test_the_bells_counts_read_their_partial_indexes(world, database_url):
    """The counts' terms are the partial indexes' own (notify.models), so each engine reads
    a person's unread tasks or alerts from an index of those alone."""
    from notify.services import BELL_CAP, _COUNTS
    with world.app_context():
        connection = db.session.connection()
        for cap in (None, BELL_CAP):
            plan = query_plan(connection, str(_COUNTS[cap].params(user_id=1).compile(
                connection, compile_kwargs={"literal_binds": True})))
            assert "ix_notification_unread_tasks" in plan, plan
            assert "ix_notification_unread_alerts" in plan, plan
