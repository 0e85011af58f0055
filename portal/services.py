"""Residents and other apps reporting: QR points, resident reports, tracking, rating."""
import re
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import select

from core.errors import InvalidInput, NotFound
from core.extensions import db
from events import intake, lifecycle, services
from events.models import Category, Event
from events.photos import add_photo, prepare_uploads
from grid.locate import locate_grid
from notify.handoffs import notify_unsatisfied
from portal.models import QR_KINDS, RATINGS, QrPoint, Rating, RetiredQrToken

#: mainland mobile numbers: 1, then 3–9, then nine digits
MOBILE = re.compile(r"^1[3-9]\d{9}$")
MAX_PHOTOS = 3
REOPEN_DAYS = 7


def new_token() -> str:
    return secrets.token_urlsafe(18)  # 144 random bits


def create_point(grid, label: str, kind: str, lat: float, lon: float) -> QrPoint:
    label = (label or "").strip()
    errors = {}
    if not label or len(label) > 64:
        errors["label"] = ["1–64 characters"]
    if kind not in QR_KINDS:
        errors["kind"] = [f"one of {', '.join(QR_KINDS)}"]
    if not (-90 <= lat <= 90 and -180 <= lon <= 180):
        errors["lat"] = ["out of range"]
    if errors:
        raise InvalidInput(_("二维码点位信息有误"), fields=errors)  # the staff's QR point page
    point = QrPoint(grid=grid, grid_id=grid.id, label=label, kind=kind, lat=lat, lon=lon,
                    token=new_token())
    db.session.add(point)
    db.session.flush()
    return point


def reissue_point(point: QrPoint, now: datetime) -> QrPoint:
    """A defaced or copied poster: a new token; the old URL now says 已停用."""
    db.session.add(RetiredQrToken(token=point.token, point_id=point.id, retired_at=now))
    point.token = new_token()
    db.session.flush()
    return point


def set_point_active(point: QrPoint, active: bool) -> QrPoint:
    """停用 / 启用 a point: a stopped point's code says so to whoever scans it."""
    point.is_active = active
    db.session.flush()
    return point


def find_point(token: str) -> tuple[QrPoint | None, str]:
    """(point, status): status is active, inactive, retired or unknown."""
    point = db.session.scalar(select(QrPoint).where(QrPoint.token == token))
    if point is not None:
        return point, "active" if point.is_active else "inactive"
    retired = db.session.get(RetiredQrToken, token)
    if retired is not None:
        return retired.point, "retired"
    return None, "unknown"


@dataclass(frozen=True)
class ResidentActor:
    """The resident behind a tracking code, acting on that one case."""

    event_id: int
    id: None = None
    role: str = lifecycle.RESIDENT
    display_name: str = "群众"


def _check_contact(name: str, phone: str) -> dict:
    errors = {}
    if name and len(name) > 32:
        errors["name"] = ["姓名不超过 32 字"]
    if phone and not MOBILE.match(phone):
        errors["phone"] = ["请填写 11 位手机号码，如 13812341234"]
    return errors


def submit_report(now: datetime, *, point: QrPoint | None, source: str, category_code: str,
                  description: str, lat: float | None, lon: float | None,
                  name: str = "", phone: str = "", address: str = "", photos=(),
                  idempotency_scope: str | None = None, idempotency_key: str | None = None,
                  media_url: str | None = None, max_description: int = 2000,
                  attributes: list | None = None) -> tuple[Event, bool]:
    """A resident's (or another app's) report: awaits 核实 by the grid's worker.
    `photos` are prepared (prepare_resident_photos) before the write transaction."""
    if idempotency_key and idempotency_scope:
        existing = intake.find_replay(idempotency_scope, idempotency_key)
        if existing is not None:
            return existing, False
    description = (description or "").strip()
    name, phone = (name or "").strip(), (phone or "").strip()
    errors = _check_contact(name, phone)
    category = db.session.scalar(select(Category).where(Category.code == category_code))
    if category is None or not category.is_active:
        errors["category_code"] = ["请选择问题类别"]
    if not description:
        errors["description"] = ["请描述问题"]
    elif len(description) > max_description:
        errors["description"] = [f"描述不超过 {max_description} 字"]
    grid = None
    if lat is not None and lon is not None:
        grid = locate_grid(lat, lon)
    if grid is None and point is not None:
        grid, lat, lon = point.grid, point.lat, point.lon
    if grid is None:
        errors.setdefault("lat", ["该位置不在本地网格内"])
    if errors:
        raise InvalidInput("；".join(m for ms in errors.values() for m in ms), fields=errors)
    stored = [add_photo(photo, None) for photo in photos]
    event, log = intake.insert_event(
        now, category=category, grid=grid, lat=lat, lon=lon, description=description,
        address=address, source=source, state=lifecycle.REPORTED,
        actor_label="群众" if source == "resident" else "Open311",
        reporter_name=name or None, reporter_phone=phone or None,
        idempotency_scope=idempotency_scope, idempotency_key=idempotency_key,
        qr_point_id=point.id if point else None,
        media_url=media_url, attributes=attributes or None)
    for photo in stored:
        photo.event, photo.log = event, log
    return event, True


def prepare_resident_photos(files) -> list:
    """At most MAX_PHOTOS photos, counted before any is decoded."""
    files = [file for file in files if file and file.filename]
    if len(files) > MAX_PHOTOS:
        raise InvalidInput(f"最多 {MAX_PHOTOS} 张照片", fields={"photos": [f"最多 {MAX_PHOTOS} 张照片"]})
    return prepare_uploads(files)


def load_tracked(code: str) -> Event:
    event = db.session.scalar(select(Event).where(Event.tracking_code == (code or "").upper()))
    if event is None:
        raise NotFound("查询码不存在")
    return event


#: what a resident is told at each step; comments and internal notes are never shown
PUBLIC_STEPS = {
    "create": "已收到您的反映",
    "verify": "网格员已现场核实，正式立案",
    "reject": "经核实，不予立案",
    "dispatch": "已交由{department}办理",
    "accept": "{department}已签收，正在处置",
    "handle": "已处置完毕，等待网格员现场核查",
    "close": "经现场核查，已办结",
    "rework": "核查未通过，已要求重新处置",
    "suspend": "暂缓办理（需协调）",
    "resume": "恢复办理",
    "reopen": "已重新办理",
    "return": "正在重新分派",
}
#: steps whose photos the resident may see (the fix, not the reporter's neighbours)
PUBLIC_PHOTO_STEPS = ("create", "handle", "close")


def public_timeline(event: Event) -> list[dict]:
    steps = []
    for log in event.logs:
        text = PUBLIC_STEPS.get(log.action)
        if text is None:
            continue
        department = (log.data or {}).get("department_name") or (
            event.department.name if event.department else "责任单位")
        steps.append({"at": log.created_at, "text": text.format(department=department),
                      "action": log.action,
                      "photos": log.attachments if log.action in PUBLIC_PHOTO_STEPS else []})
    return steps


def public_status(event: Event) -> str:
    return {"reported": "待核实", "filed": "已立案", "dispatched": "办理中", "accepted": "办理中",
            "handled": "待核查", "closed": "已办结", "rejected": "不予立案",
            "suspended": "暂缓办理"}[event.state]


LIMIT_UNITS = {"wh": "个工作小时", "wd": "个工作日", "h": "小时"}


def limit_words(value: float, unit: str) -> str:
    """A catalogue time limit as a resident reads it: 4个工作小时, 2个工作日, 4小时."""
    return f"{value:g}{LIMIT_UNITS.get(unit, unit)}"


def _by(instant: datetime) -> str:
    local = instant.astimezone(ZoneInfo(current_app.config["LOCAL_TIMEZONE"]))
    return f"{local.month}月{local.day}日 {local:%H:%M}"


def public_next_step(event: Event) -> dict:
    """What happens next, in plain words, and how long handling takes: {"next", "limit"}."""
    category = event.category
    department = event.department.name if event.department else "责任单位"
    by = f"，预计 {_by(event.due_at)} 前完成" if event.due_at else ""
    who = "镇受理中心" if category.dispatcher_verifies else "网格员"
    text = {
        "reported": f"{who}将核实您反映的问题{by}；属实的立案，交责任单位处理。",
        "filed": f"已立案，镇受理中心将派遣给责任单位{by}。",
        "dispatched": f"已交由{department}办理，签收后即开始处置。",
        "accepted": f"{department}正在处置{by}。",
        "handled": f"已处置完毕，网格员将到现场核查{by}；核查通过即办结。",
        "closed": "问题已办结。",
        "rejected": "经核实，不予立案。如有疑问，请拨打下方热线。",
        "suspended": "该问题需要协调，暂缓办理；恢复后将继续处理。",
    }[event.state]
    limit = None
    if event.state not in ("closed", "rejected"):
        counted = "不分昼夜和节假日" if category.limit_unit == "h" else "按工作时间计算，节假日不计"
        limit = (f"“{category.name}”的处置时限为"
                 f"{limit_words(category.limit_value, category.limit_unit)}"
                 f"（从责任单位签收起，{counted}）。")
    return {"next": text, "limit": limit}


def reopens_if_unsatisfied(event: Event, now: datetime) -> bool:
    """Within REOPEN_DAYS of closure a 不满意 reopens the case; later it is only recorded."""
    return event.closed_at is not None and now - event.closed_at <= timedelta(days=REOPEN_DAYS)


def can_rate(event: Event) -> bool:
    """Only a resident's own report, once closed, once per closure."""
    if event.source != "resident" or event.state != "closed" or event.closed_at is None:
        return False
    return db.session.scalar(select(Rating.id).where(
        Rating.event_id == event.id, Rating.closed_at == event.closed_at)) is None


def rate_event(event: Event, rating: str, comment: str, now: datetime) -> Rating:
    """满意 / 基本满意 / 不满意; 不满意 within seven days of closure reopens the case."""
    if rating not in RATINGS:
        raise InvalidInput("请选择评价", fields={"rating": [f"one of {', '.join(RATINGS)}"]})
    comment = (comment or "").strip()
    if len(comment) > 500:
        raise InvalidInput("评价内容不超过 500 字", fields={"comment": ["at most 500"]})
    if not can_rate(event):
        raise InvalidInput("该案件现在不能评价", fields={"rating": ["not closed or already rated"]})
    if rating == "unsatisfied" and not comment:
        raise InvalidInput("请写明不满意的原因",
                           fields={"comment": ["required when unsatisfied"]})
    row = Rating(event_id=event.id, rating=rating, comment=comment, closed_at=event.closed_at,
                 created_at=now)
    db.session.add(row)
    db.session.flush()
    if rating == "unsatisfied":
        notify_unsatisfied(event, now, comment)
    if rating == "unsatisfied" and reopens_if_unsatisfied(event, now):
        services.reopen_event(ResidentActor(event.id), event, now,
                              note=f"群众评价不满意：{comment or '未填写原因'}")
    return row

