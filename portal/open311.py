"""Open311 GeoReport v2 (`/open311/v2`), JSON and XML. Requests enter as source `open311`,
awaiting 核实, through the same intake as residents' QR reports."""
import re
import xml.etree.ElementTree as ET
from datetime import datetime, timedelta

from flask import Blueprint, Response, current_app, json, request
from sqlalchemy import select, update

from core import clock
from core.errors import AppError
from core.database import write_transaction
from core.inputs import is_id
from core.extensions import cache, csrf, db, limiter
from events import lifecycle
from events.models import Category, Event
from events.photos import prepare_uploads
from portal import services
from portal.keys import find_active_key
from portal.models import Open311Key

bp = Blueprint("open311", __name__, url_prefix="/open311/v2")
csrf.exempt(bp)
SPEC = "http://wiki.open311.org/GeoReport_v2"
MAX_SPAN = timedelta(days=90)
MAX_RESULTS = 1000
#: extra questions some services ask (GET services/<code> lists them)
ATTRIBUTES = {
    "06001": [{"code": "stage", "datatype": "singlevaluelist", "required": False,
               "description": "建设进度", "values": [("building", "正在施工"), ("built", "已建成")]}],
    "08016": [{"code": "stage", "datatype": "singlevaluelist", "required": False,
               "description": "建设进度", "values": [("building", "正在施工"), ("built", "已建成")]}],
    "09009": [{"code": "plate", "datatype": "string", "required": False,
               "description": "车牌号（如能看清）", "values": []}],
}


class Open311Error(Exception):
    def __init__(self, status: int, description: str):
        super().__init__(description)
        self.status, self.description = status, description


# ---- rendering ------------------------------------------------------------------------

def _xml_value(parent, key, value):
    if isinstance(value, list):
        container = ET.SubElement(parent, key)
        child_name = {"attributes": "attribute", "values": "value", "formats": "format",
                      "endpoints": "endpoint"}.get(key, key[:-1])
        for item in value:
            _xml_value(container, child_name, item)
    elif isinstance(value, dict):
        element = ET.SubElement(parent, key)
        for k, v in value.items():
            _xml_value(element, k, v)
    else:
        element = ET.SubElement(parent, key)
        if value is not None:
            element.text = str(value).lower() if isinstance(value, bool) else str(value)


def render(fmt: str, root: str, item: str | None, payload, status: int = 200) -> Response:
    """JSON: the payload as is (arrays at the top). XML: <root><item>…</item></root>."""
    if fmt == "json":
        body = json.dumps(payload, ensure_ascii=False)
        return Response(body, status=status, mimetype="application/json",
                        content_type="application/json; charset=utf-8")
    element = ET.Element(root)
    if item is None:
        for key, value in payload.items():
            _xml_value(element, key, value)
    else:
        for entry in payload:
            _xml_value(element, item, entry)
    body = ('<?xml version="1.0" encoding="UTF-8"?>\n'
            + ET.tostring(element, encoding="unicode")).encode("utf-8")
    return Response(body, status=status, content_type="text/xml; charset=utf-8")


def error_response(fmt: str, status: int, description: str) -> Response:
    return render(fmt, "errors", "error", [{"code": status, "description": description}], status)


def render_app_error(status: int, body: dict) -> Response:
    """Any error under /open311/ (core.errors renders it through this): the spec's error
    list, in the request's format; statuses it does not name become 400 (429 stays: a
    client backs off on it)."""
    return error_response(_format(), status if status in (400, 403, 404, 429) or status >= 500
                          else 400, body["message"])


@bp.errorhandler(Open311Error)
def _open311_error(error: Open311Error):
    return error_response(_format(), error.status, error.description)


def _format() -> str:
    return "xml" if request.path.endswith(".xml") else "json"


def _arg(name: str, source=None) -> str | None:
    """An optional parameter present but empty counts as absent (the spec's rule)."""
    value = (source if source is not None else request.args).get(name)
    return value.strip() if value and value.strip() else None


# ---- discovery and services ------------------------------------------------------------

@bp.get("/discovery.<any(json, xml):fmt>")
def discovery(fmt):
    base = current_app.config["PUBLIC_BASE_URL"].rstrip("/")
    payload = {"changeset": _changeset(), "contact": current_app.config["HOTLINE_TEXT"],
               "key_service": "向本镇综合指挥中心申请 API key（管理员执行 open311 create-key）",
               "endpoints": [{"specification": SPEC, "url": f"{base}/open311/v2",
                              "changeset": _changeset(), "type": "production",
                              "formats": ["text/xml", "application/json"]}]}
    return render(fmt, "discovery", None, payload)


def _changeset() -> str:
    return "2026-11-29T00:00:00Z"


def _service(category: Category) -> dict:
    return {"service_code": category.code, "service_name": category.name,
            "description": category.filing_criteria, "metadata": category.code in ATTRIBUTES,
            "type": "realtime", "keywords": f"{category.major_name},{category.name}",
            "group": category.major_name}


def _active_category(code: str) -> Category:
    category = db.session.scalar(select(Category).where(Category.code == code,
                                                        Category.is_active.is_(True)))
    if category is None:
        raise Open311Error(404, f"service_code {code} not found")
    return category


@bp.get("/services.<any(json, xml):fmt>")
def service_list(fmt):
    rows = db.session.scalars(select(Category).where(Category.is_active.is_(True))
                              .order_by(Category.code))
    return render(fmt, "services", "service", [_service(c) for c in rows])


@bp.get("/services/<code>.<any(json, xml):fmt>")
@bp.get("/service/<code>.<any(json, xml):fmt>")  # the path some published clients ask for
def service_definition(code, fmt):
    category = _active_category(code)
    attributes = [{"variable": True, "code": a["code"], "datatype": a["datatype"],
                   "required": a["required"], "datatype_description": "",
                   "order": order, "description": a["description"],
                   "values": [{"key": k, "name": n} for k, n in a["values"]]}
                  for order, a in enumerate(ATTRIBUTES.get(category.code, []), 1)]
    return render(fmt, "service_definition", None,
                  {"service_code": category.code, "attributes": attributes})


# ---- requests --------------------------------------------------------------------------

def _iso(value: datetime | None) -> str | None:
    return value.isoformat(timespec="seconds") if value else None


#: Which cases Open311 lists: those a grid worker has verified (立案 and after). A report still
#: awaiting 核实 may be false or private; a rejected one (不予立案, duplicates) is not a case.
PUBLIC_STATES = tuple(state for state in lifecycle.STATES
                      if state not in (lifecycle.REPORTED, lifecycle.REJECTED))
#: Residents' own positions are published to 3 decimal places (about 110 m north–south):
#: enough to find the problem's street, not the door of the person who reported it.
PUBLIC_COORDINATE_DECIMALS = 3
RESIDENT_SOURCES = ("resident", "open311")


def _public_position(event: Event) -> tuple[float, float]:
    if event.source in RESIDENT_SOURCES:
        return (round(event.lat, PUBLIC_COORDINATE_DECIMALS),
                round(event.lon, PUBLIC_COORDINATE_DECIMALS))
    return event.lat, event.lon


def _awaiting_verification_json(event: Event) -> dict:
    """A report not yet verified, asked for by its id (e.g. by the app that posted it):
    its status only — no text, place or photo until a grid worker has seen it."""
    return {"service_request_id": str(event.id), "status": "open",
            "status_notes": "已受理，等待网格员现场核实", "service_code": event.category.code,
            "requested_datetime": _iso(event.created_at)}


def _request_json(event: Event) -> dict:
    base = current_app.config["PUBLIC_BASE_URL"].rstrip("/")
    timeline = services.public_timeline(event)
    photo = next((p for step in timeline for p in step["photos"]), None)
    media = event.media_url or (f"{base}/p/{photo.public_id}" if photo is not None else None)
    closed = event.state in ("closed", "rejected")
    lat, lon = _public_position(event)
    return {"service_request_id": str(event.id), "status": "closed" if closed else "open",
            "status_notes": timeline[-1]["text"] if timeline else None,
            "service_name": event.category.name, "service_code": event.category.code,
            "description": event.description,
            "agency_responsible": event.department.name if event.department else None,
            "service_notice": None, "requested_datetime": _iso(event.created_at),
            "updated_datetime": _iso(event.closed_at or event.rejected_at or event.updated_at),
            "expected_datetime": _iso(event.due_at) if event.clock_stage == "handle" else None,
            "address": event.address or None, "address_id": None, "zipcode": None,
            "lat": lat, "long": lon, "media_url": media}


def _parse_when(name: str) -> datetime | None:
    value = _arg(name)
    if value is None:
        return None
    try:
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise Open311Error(400, f"{name} must be a W3C date-time, e.g. 2026-03-10T08:00:00Z") \
            from None
    if moment.tzinfo is None:
        raise Open311Error(400, f"{name} needs a time zone (Z or +08:00)")
    if not 2000 <= moment.year <= 2200:
        raise Open311Error(400, f"{name} must lie between the years 2000 and 2200")
    return moment


def _positive(name: str, default: int, ceiling: int) -> int:
    value = _arg(name)
    if value is None:
        return default
    if not value.isdigit() or not 1 <= int(value) <= ceiling:
        raise Open311Error(400, f"{name} must be a whole number from 1 to {ceiling}")
    return int(value)


def _list_kept(response) -> bool:
    return response.status_code == 200  # a refusal is answered afresh each time


@bp.get("/requests.<any(json, xml):fmt>")
@limiter.limit(lambda: current_app.config["OPEN311_READ_LIMIT_PER_IP"])
@cache.cached(query_string=True, response_filter=_list_kept)
def list_requests(fmt):
    """Public, and up to a thousand cases a call (~120 ms to build): the same query string
    is answered from the cache for CACHE_DEFAULT_TIMEOUT seconds, and browsers and
    aggregators may keep it as long."""
    query = select(Event).where(Event.state.in_(PUBLIC_STATES), Event.private.is_(False))
    ids = _arg("service_request_id")
    if ids:  # overrides every other argument
        wanted = [part.strip() for part in ids.split(",") if part.strip()]
        if not all(is_id(part) for part in wanted):
            raise Open311Error(400, "service_request_id must be a comma-separated list of ids")
        query = query.where(Event.id.in_([int(part) for part in wanted]))
    else:
        codes = _arg("service_code")
        if codes:
            query = query.join(Category, Category.id == Event.category_id).where(
                Category.code.in_([c.strip() for c in codes.split(",")]))
        statuses = {s.strip() for s in (_arg("status") or "").split(",") if s.strip()}
        if statuses - {"open", "closed"}:
            raise Open311Error(400, "status must be open, closed or both")
        if statuses == {"open"}:
            query = query.where(Event.state.notin_(("closed", "rejected")))
        elif statuses == {"closed"}:
            query = query.where(Event.state.in_(("closed", "rejected")))
        start, end = _parse_when("start_date"), _parse_when("end_date")
        if start and end and end - start > MAX_SPAN:
            raise Open311Error(400, "start_date and end_date may not span more than 90 days")
        if start is None and end is None:
            start = clock.utcnow() - MAX_SPAN
        elif start is None:
            start = end - MAX_SPAN
        query = query.where(Event.created_at >= start)
        if end is not None:
            query = query.where(Event.created_at <= end)
    page_size = _positive("page_size", MAX_RESULTS, MAX_RESULTS)
    page = _positive("page", 1, 1_000_000)
    rows = db.session.scalars(query.order_by(Event.created_at.desc(), Event.id.desc())
                              .offset((page - 1) * page_size).limit(page_size)).all()
    response = render(fmt, "service_requests", "request", [_request_json(e) for e in rows])
    response.cache_control.public = True
    response.cache_control.max_age = current_app.config["CACHE_DEFAULT_TIMEOUT"]
    return response


@bp.get("/requests/<request_id>.<any(json, xml):fmt>")
def get_request(request_id, fmt):
    event = db.session.get(Event, int(request_id)) if is_id(request_id) else None
    if event is None or event.state == "rejected" or event.private:
        raise Open311Error(404, f"service_request_id {request_id} not found")
    if event.state not in PUBLIC_STATES:
        return render(fmt, "service_requests", "request", [_awaiting_verification_json(event)])
    return render(fmt, "service_requests", "request", [_request_json(event)])


@bp.get("/tokens/<token>.<any(json, xml):fmt>")
def get_token(token, fmt):
    # every service here is realtime: POST answers with the id, never with a token
    raise Open311Error(404, f"token {token} not found")


def _check_key() -> Open311Key:
    """The posting app's key (read only; `_count_use` records the use in the write unit)."""
    key = _arg("api_key", request.form) or _arg("api_key")
    if key is None:
        raise Open311Error(403, "api_key is required to post a service request")
    row = find_active_key(key)
    if row is None:
        raise Open311Error(403, "api_key is invalid or revoked")
    return row


def _count_use(row: Open311Key, now: datetime) -> None:
    db.session.execute(update(Open311Key).where(Open311Key.id == row.id).values(
        last_used_at=now, requests=Open311Key.requests + 1))


def _float(name: str) -> float | None:
    value = _arg(name, request.form)
    if value is None:
        return None
    try:
        return float(value)
    except ValueError:
        raise Open311Error(400, f"{name} must be a number") from None


@bp.post("/requests.<any(json, xml):fmt>")
def post_request(fmt):
    """Validated, and its photo (multipart `media`) decoded, before the one write unit."""
    now = clock.utcnow()
    key = _check_key()
    form = request.form
    code = _arg("service_code", form)
    if code is None:
        raise Open311Error(400, "service_code is required")
    category = _active_category(code)
    lat, lon = _float("lat"), _float("long")
    if lat is None or lon is None:
        if _arg("address_string", form) or _arg("address_id", form):
            raise Open311Error(400, "this jurisdiction locates requests by lat and long; "
                                    "address_string alone cannot be placed in a grid")
        raise Open311Error(400, "a location is required: lat and long")
    if not (-90 <= lat <= 90 and -180 <= lon <= 180):
        raise Open311Error(400, "lat/long out of range")
    media_url = _arg("media_url", form)
    if media_url and (len(media_url) > 500 or not re.match(r"^https?://", media_url)):
        raise Open311Error(400, "media_url must be an http(s) URL of at most 500 characters")
    attributes = _attributes(category, form)
    media = [file for file in request.files.getlist("media") if file and file.filename]
    if len(media) > 1:
        raise Open311Error(400, "media: send one photo")
    if media and media_url:
        raise Open311Error(400, "send either media (a photo) or media_url, not both")
    try:
        photos = prepare_uploads(media)
    except AppError as error:
        raise Open311Error(400, f"media: {error.message}") from None
    description = _arg("description", form) or category.name
    name = " ".join(p for p in (_arg("last_name", form), _arg("first_name", form)) if p)
    try:
        with write_transaction():
            _count_use(key, now)
            event, _ = services.submit_report(
                now, point=None, source="open311", category_code=category.code,
                description=description, lat=lat, lon=lon, name=name[:32],
                phone=_arg("phone", form) or "",
                address=(_arg("address_string", form) or "")[:200],
                media_url=media_url, max_description=4000, photos=photos,
                attributes=attributes)
    except AppError as error:
        raise Open311Error(400, error.message) from None
    return render(fmt, "service_requests", "request", [{
        "service_request_id": str(event.id),
        "service_notice": "已受理，等待网格员现场核实", "account_id": None}])


def _attributes(category: Category, form) -> list[dict]:
    """The answers to the service's questions (`attribute[code]`), checked against its
    definition, as structured data: [{code, question, value, label}]."""
    answers = []
    for attribute in ATTRIBUTES.get(category.code, []):
        value = _arg(f"attribute[{attribute['code']}]", form)
        if attribute["required"] and value is None:
            raise Open311Error(400, f"attribute[{attribute['code']}] is required")
        if value is None:
            continue
        labels = dict(attribute["values"])
        if labels and value not in labels:
            raise Open311Error(400, f"attribute[{attribute['code']}] must be one of "
                                    f"{', '.join(labels)}")
        if len(value) > 200:
            raise Open311Error(400, f"attribute[{attribute['code']}] is at most 200 characters")
        answers.append({"code": attribute["code"], "question": attribute["description"],
                        "value": value, "label": labels.get(value, value)})
    return answers

