"""The only writers of a case's state: one function per lifecycle action.

Each one checks scope, role and state, changes the case, appends one EventLog row and
flushes. The caller owns the transaction: it commits once, or rolls back on error.
"""
import inspect
from dataclasses import dataclass
from datetime import datetime, timedelta

from flask import current_app
from flask_babel import gettext as _, pgettext
from sqlalchemy import select
from sqlalchemy.orm.attributes import flag_modified

from events.access import can_see, case_facts
from core.errors import Forbidden, InvalidInput, InvalidTransition, NotFound, StaleVersion
from core.extensions import db
from events import deadlines, labels, lifecycle
from events.models import Department, Event, EventLog
from events.photos import claim_photos
from events.routing import suggest_department
from events.signals import announce_move

MAX_EXTENSION_HOURS = 240
#: where perform_action leaves a request's idempotency key for the row _transition writes
ACTION_KEY = "gridgov.action_key"


def _require_note(action: str, note: str | None) -> str:
    note = (note or "").strip()
    if action in lifecycle.NOTE_REQUIRED and not note:
        field = "reason" if action in ("reject", "return") else "note"
        raise InvalidInput(_("「%(action)s」需要填写说明", action=labels.action_label(action)),
                           fields={"note": [f"{field} is required"]})
    if len(note) > 2000:
        raise InvalidInput(_("说明不能超过 2000 字"), fields={"note": ["at most 2000 characters"]})
    return note


def _guard(actor, event: Event, action: str) -> str:
    """The state `action` leads to, or the error saying why it may not be taken."""
    if not can_see(actor, event):
        raise NotFound(_("案件不存在"))
    facts = case_facts(event)
    try:
        target = lifecycle.next_state(action, facts, actor.role)
    except lifecycle.TransitionError as error:
        if not any(actor.role in rule.roles for rule in lifecycle.RULES if rule.action == action):
            raise Forbidden(_("您的角色不能执行「%(action)s」",
                              action=labels.action_label(action))) from None
        names = dict(state=labels.state_label(event.state), action=labels.action_label(action))
        if error.allowed:
            message = _("案件当前状态为「%(state)s」，不能执行「%(action)s」；可执行：%(allowed)s",
                        allowed=pgettext("list separator", "、").join(
                            labels.action_label(a) for a in error.allowed), **names)
        else:
            message = _("案件当前状态为「%(state)s」，不能执行「%(action)s」；可执行：无", **names)
        raise InvalidTransition(message, state=event.state,
                                allowed_actions=error.allowed) from None
    return target


def _transition(actor, event: Event, action: str, now: datetime, *, note: str | None = None,
                data: dict | None = None, photo_ids=None) -> EventLog:
    """Guard, move the case and append the log row. Everything else is the caller's."""
    target = _guard(actor, event, action)
    note = _require_note(action, note)
    if photo_ids and action not in lifecycle.PHOTO_ACTIONS:
        raise InvalidInput(_("该操作不能附带照片"), fields={"photo_ids": ["not accepted for this action"]})
    from_state = event.state
    key = db.session.info.pop(ACTION_KEY, None)  # the request's own key goes on its first row
    data = {**(data or {}), "key": key} if key else (data or {})
    log = EventLog(event=event, actor_id=actor.id, actor_label=actor.display_name, action=action,
                   from_state=from_state, to_state=target, note=note, data=data,
                   created_at=now, attachments=[])
    db.session.add(log)
    event.state = target
    if action == "suspend":
        deadlines.pause_clock(event, now)
    elif action == "resume":
        deadlines.resume_clock(event, now)
    elif target != from_state:
        deadlines.start_stage(event, now, action, actor.id)
    event.updated_at = now
    flag_modified(event, "updated_at")  # every action bumps the version, even a comment
    db.session.flush()
    if photo_ids:
        claim_photos(actor, photo_ids, event, log)
    announce_move(event, log)  # told to whoever listens when the unit commits
    return log


def verify_event(actor, event, now, *, note=None, photo_ids=None):
    """核实: the report is real — 立案 (and, for an auto-dispatch category, 派遣 at once)."""
    log = _transition(actor, event, "verify", now, note=note, photo_ids=photo_ids)
    event.filed_at = now
    auto_dispatch(event, now)
    return log


@dataclass(frozen=True)
class SystemActor:
    """The system itself, acting where a setting says so; logged as 系统."""
    id: None = None
    role: str = lifecycle.SYSTEM
    display_name: str = "系统"


SYSTEM = SystemActor()


def auto_dispatch(event, now) -> EventLog | None:
    """自动派遣: a filed case of a category set to dispatch automatically goes to the routing
    rule's department at once; without a rule it stays with the dispatchers (who are told)."""
    if event.state != lifecycle.FILED or not event.category.auto_dispatch:
        return None
    department = suggest_department(event.category, event.town)
    if department is None:
        return None
    return _dispatch(SYSTEM, event, now, department, "按责任清单自动派遣", automatic=True)


def reject_event(actor, event, now, *, note=None, duplicate_of=None, reason=None,
                 photo_ids=None):
    """不予立案 / 作废, for a `reason` (lifecycle.REJECT_REASONS: it heads the note, which
    may then be empty unless the reason is 其他); with `duplicate_of` the case is marked a
    duplicate of that one."""
    _guard(actor, event, "reject")
    data = {}
    if reason is not None:
        if reason not in lifecycle.REJECT_REASONS:
            raise InvalidInput(_("请选择不予立案的原因"), fields={"reason": [
                "one of " + ", ".join(lifecycle.REJECT_REASONS)]})
        note = (note or "").strip()
        if reason == "其他" and not note:
            raise InvalidInput(_("选择“其他”时请写明原因"), fields={"note": ["required"]})
        note = f"{reason}：{note}" if note else reason
        data["reason"] = reason
    if duplicate_of is not None:
        original = _load_duplicate_target(actor, event, duplicate_of)
        event.duplicate_of_id = original.id
        data |= {"duplicate_of": original.id, "duplicate_of_number": original.number}
    log = _transition(actor, event, "reject", now, note=note, data=data, photo_ids=photo_ids)
    event.rejected_at = now
    return log


def _load_duplicate_target(actor, event, duplicate_of) -> Event:
    original = db.session.get(Event, duplicate_of)
    if original is None or not can_see(actor, original) or original.id == event.id:
        raise InvalidInput(_("重复案件编号无效"), fields={"duplicate_of": ["no such case"]})
    return original


def dispatch_event(actor, event, now, *, department_code=None, note=None):
    """派遣 to a department; without a code, the routing rule's department."""
    _guard(actor, event, "dispatch")
    department = _department_for(event, department_code) if department_code else \
        suggest_department(event.category, event.town)
    if department is None:
        raise InvalidInput(_("请选择责任单位"), fields={"department_code": ["required: no routing rule"]})
    return _dispatch(actor, event, now, department, note)


def _dispatch(actor, event, now, department, note, **data):
    log = _transition(actor, event, "dispatch", now, note=note, data={
        "department": department.code, "department_name": department.name, **data})
    event.department_id = department.id
    event.department = department
    event.assignee_id = None
    event.dispatched_at = now
    return log


def _department_for(event, code) -> Department:
    department = db.session.scalar(select(Department).where(Department.code == code))
    if department is None or not department.is_active:
        raise InvalidInput(_("责任单位 %(code)s 不存在", code=code),
                           fields={"department_code": ["unknown department"]})
    if not event.town.path.startswith(department.region.path):
        raise InvalidInput(_("%(department)s 不负责本镇", department=department.name), fields={
            "department_code": ["department does not serve this town"]})
    return department


def accept_event(actor, event, now, *, note=None):
    """签收."""
    log = _transition(actor, event, "accept", now, note=note)
    event.assignee_id = actor.id
    event.accepted_at = now
    return log


def return_event(actor, event, now, *, note=None):
    """回退: mis-routed; back to the dispatcher for 再派遣."""
    department = event.department
    log = _transition(actor, event, "return", now, note=note, data={
        "department": department.code if department else None})
    event.department_id = None
    event.department = None
    event.assignee_id = None
    event.extension_requested_hours = None
    return log


def request_extension(actor, event, now, *, hours=None, note=None):
    """申请延期 by the handler; the dispatcher decides."""
    _guard(actor, event, "request_extension")
    if hours is None or not 0 < hours <= MAX_EXTENSION_HOURS:
        raise InvalidInput(_("延期时长须在 0 到 %(max)s 小时之间", max=MAX_EXTENSION_HOURS),
                           fields={"hours": [f"must be > 0 and <= {MAX_EXTENSION_HOURS}"]})
    log = _transition(actor, event, "request_extension", now, note=note, data={"hours": hours})
    event.extension_requested_hours = hours
    return log


def approve_extension(actor, event, now, *, note=None):
    hours = event.extension_requested_hours
    log = _transition(actor, event, "approve_extension", now, note=note, data={"hours": hours})
    event.extension_granted_hours = (event.extension_granted_hours or 0) + hours
    event.extension_requested_hours = None
    deadlines.extend_clock(event, hours)
    return log


def deny_extension(actor, event, now, *, note=None):
    hours = event.extension_requested_hours
    log = _transition(actor, event, "deny_extension", now, note=note, data={"hours": hours})
    event.extension_requested_hours = None
    return log


def handle_event(actor, event, now, *, note=None, photo_ids=None):
    """处置反馈: fixed, with a note and photos."""
    log = _transition(actor, event, "handle", now, note=note, photo_ids=photo_ids)
    event.handled_at = now
    return log


def close_event(actor, event, now, *, note=None, photo_ids=None):
    """核查结案 after the on-site check."""
    log = _transition(actor, event, "close", now, note=note, photo_ids=photo_ids)
    event.closed_at = now
    return log


def rework_event(actor, event, now, *, note=None, photo_ids=None):
    """返工: the check failed; the department must sign for it again."""
    log = _transition(actor, event, "rework", now, note=note, photo_ids=photo_ids)
    event.assignee_id = None
    event.handled_at = None
    event.dispatched_at = now
    return log


def suspend_event(actor, event, now, *, note=None):
    """挂账: the clock pauses."""
    from_state = event.state
    log = _transition(actor, event, "suspend", now, note=note)
    event.suspended_from = from_state
    return log


def resume_event(actor, event, now, *, note=None):
    log = _transition(actor, event, "resume", now, note=note)
    event.suspended_from = None
    return log


def reopen_event(actor, event, now, *, note=None):
    """重新打开 a closed case: back to its department."""
    log = _transition(actor, event, "reopen", now, note=note)
    event.closed_at = None
    event.handled_at = None
    event.assignee_id = None
    event.dispatched_at = now
    return log


def supervise_event(actor, event, now, *, note=None, hours=None, recipients=None):
    """督办: a supervisor orders the case handled, optionally within `hours`; `recipients`
    (lifecycle.SUPERVISE_RECIPIENTS; default: the holder and the department head) are told
    (notify/), the case counts it; the state stays."""
    deadline = None
    if hours is not None:
        if not 0 < hours <= MAX_EXTENSION_HOURS:
            raise InvalidInput(_("督办时限须在 0 到 %(max)s 小时之间", max=MAX_EXTENSION_HOURS),
                               fields={"hours": [f"must be > 0 and <= {MAX_EXTENSION_HOURS}"]})
        deadline = (now + timedelta(hours=hours)).isoformat()
    if recipients is not None:
        choices = lifecycle.SUPERVISE_RECIPIENTS
        if not recipients or set(recipients) - set(choices):
            raise InvalidInput(_("请选择督办对象"),
                               fields={"recipients": ["choose from " + ", ".join(choices)]})
        recipients = [name for name in choices if name in recipients]
    log = _transition(actor, event, "supervise", now, note=note,
                      data={"hours": hours, "deadline": deadline, "recipients": recipients})
    event.supervise_count = (event.supervise_count or 0) + 1
    return log


def comment_event(actor, event, now, *, note=None, photo_ids=None):
    return _transition(actor, event, "comment", now, note=note, photo_ids=photo_ids)


SERVICES = {
    "verify": verify_event, "reject": reject_event, "dispatch": dispatch_event,
    "accept": accept_event, "return": return_event, "request_extension": request_extension,
    "approve_extension": approve_extension, "deny_extension": deny_extension,
    "handle": handle_event, "close": close_event, "rework": rework_event,
    "suspend": suspend_event, "resume": resume_event, "reopen": reopen_event,
    "comment": comment_event, "supervise": supervise_event,
}


def require_site_photo(actor, action: str, photo_ids) -> None:
    """A grid worker's 核查结案 from the field (a page or the API) carries their own photo of
    the site (setting CHECK_PHOTO_REQUIRED); checked before the unit of work. The demo and the
    test factories, which walk cases through the services, have no camera."""
    if (action == "close" and actor.role == "grid_worker" and not photo_ids
            and current_app.config["CHECK_PHOTO_REQUIRED"]):
        raise InvalidInput(_("核查结案需附现场照片"), fields={"photo_ids": ["a photo is required"]})


def replayed_action(actor, event, action: str, key: str | None) -> EventLog | None:
    """The row this user's action with this key already wrote on the case, if any: a phone
    that sends its kept work again (the answer was lost on a weak signal) changes nothing."""
    if not key:
        return None
    return next((log for log in event.logs if log.actor_id == actor.id and log.action == action
                 and (log.data or {}).get("key") == key), None)


def perform_action(actor, event, action: str, now: datetime, *, expected_version=None,
                   key: str | None = None, **params) -> EventLog:
    """Route an action name from a form or the API to its service. `expected_version` is
    the case's version the caller saw: another change since is a conflict, not overwritten.
    `key` (an idempotency key) makes a repeat of the same request answer with the first."""
    replay = replayed_action(actor, event, action, key)
    if replay is not None:
        return replay
    if expected_version is not None and expected_version != event.version:
        raise StaleVersion(_("案件已被他人修改（当前版本 %(version)s），请查看最新流转记录后再操作",
                             version=event.version), current_version=event.version)
    service = SERVICES.get(action)
    if service is None:
        raise InvalidInput(_("未知操作：%(action)s", action=action),
                           fields={"action": ["unknown action"]})
    accepted = [name for name, parameter in inspect.signature(service).parameters.items()
                if parameter.kind is inspect.Parameter.KEYWORD_ONLY]
    given = {key: value for key, value in params.items() if value not in (None, [], "")}
    extra = sorted(set(given) - set(accepted))
    if extra:
        raise InvalidInput(_("「%(action)s」不接受参数：%(params)s",
                             action=labels.action_label(action), params=", ".join(extra)),
                           fields={name: ["not accepted for this action"] for name in extra})
    if key:
        db.session.info[ACTION_KEY] = key
    try:
        return service(actor, event, now, **given)
    finally:
        db.session.info.pop(ACTION_KEY, None)
