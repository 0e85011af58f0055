"""Staff pages: case list and my queue, case detail with its actions, new case, photos."""
import uuid
from functools import cache
from urllib.parse import urlencode, urlsplit

from flask import (Blueprint, abort, current_app, flash, g, redirect,
                   render_template, request, url_for)
from flask_login import current_user, login_required
from sqlalchemy import select

from auth.masking import FULL_CONTACT_ROLES
from auth.permissions import grid_scope
from core.bearer import token_or_login_required
from events.access import allowed_actions, can_see, grid_scope_clause, reportable_grids_clause
from core import clock, reference
from core.database import write_transaction
from core.errors import AppError, InvalidInput
from core.extensions import db
from core.inputs import is_id, load_form
from flask_babel import gettext as _, lazy_gettext as _l

from events import intake, labels, lifecycle, services
from events.mapsvg import grid_map
from events.models import Attachment, Category, Department, Event
from events.photos import add_photo, photo_response, prepare_photo, prepare_uploads
from events.presenting import case_links, case_rows
from events.cursors import sort_of
from events.filters import read_page
from events.routing import suggest_department
from events.schemas import ActionIn, EventCreateIn, ListQueryIn
from grid.models import Grid

bp = Blueprint("events", __name__)
#: what werkzeug leaves unquoted in a query (url_for; the WHATWG URL standard's set)
URL_SAFE = "!$'()*,/:;?@"
PAGE_SIZE = 20


@bp.get("/")
@login_required
def index():
    """Each role's home: the queue, unless a feature registered its own page for the role
    (`app.extensions["gridgov.home"]`: role → endpoint; field/ gives grid workers theirs)."""
    endpoint = current_app.extensions.get("gridgov.home", {}).get(current_user.role)
    return redirect(url_for(endpoint) if endpoint else url_for("events.list_events", mine=1))


@cache
def _categories_statement():
    return (select(Category.code, Category.name, Category.major_name)
            .where(Category.is_active.is_(True)).order_by(Category.code))


def _active_categories() -> tuple:
    """The categories a report may name, kept while the reference data stays the same
    (core.reference)."""
    return reference.kept("categories.active", None, _read_categories)


def _read_categories() -> tuple:
    # plain rows on the session's connection: the ORM's execution layer, half of each of
    # these small statements, has nothing to do for them
    return tuple(db.session.connection().execute(_categories_statement()).all())


#: the workbench's query schema, made once as the API's is (making one deep-copies its
#: fields: a tenth of a millisecond a page)
LIST_IN = ListQueryIn()

#: the workbench's filters, named as the page names them
LIST_FIELDS = {"state": _l("状态"), "category": _l("类别"), "grid": _l("网格"),
               "department": _l("责任单位"), "source": _l("来源"), "date_from": _l("上报日期起"),
               "date_to": _l("上报日期止"), "overdue": _l("只看超期"), "supervised": _l("只看督办"),
               "q": _l("搜索"), "phone": _l("来电号码"), "mine": _l("我的待办"),
               "sort": _l("排序"), "cursor": _l("页码")}


#: the filter lists' statements per reach (a scope of auth.permissions), built once each
_CHOICE_STATEMENTS: dict = {}


def _choice_statements(user) -> tuple:
    """The grids and the departments of `user`'s reach as two statements built once per
    reach (a grid scope is a value: another reach, another key), none for a handler's
    departments (they filter by their own)."""
    key = _reach(user)
    found = _CHOICE_STATEMENTS.get(key)
    if found is None:
        reach = grid_scope_clause(user)
        grids = select(Grid.code, Grid.name).where(reach).order_by(Grid.code)
        departments = None if key[1] else (
            select(Department.code, Department.name).where(
                Department.is_active.is_(True),
                Department.region_id.in_(select(Grid.town_id).where(reach)))
            .order_by(Department.name))
        if len(_CHOICE_STATEMENTS) >= 1024:
            _CHOICE_STATEMENTS.clear()
        found = _CHOICE_STATEMENTS[key] = (grids, departments)
    return found


def _reach(user) -> tuple:
    """What the filter lists depend on besides the reference data: the user's grid scope,
    and whether the user is a handler (who filters by their own department)."""
    return grid_scope(user), user.role == "handler"


def _list_choices() -> dict:
    """What the workbench's filters offer: the grids and departments of the user's reach,
    kept while the reference data stays the same (core.reference)."""
    categories, grids, departments = reference.kept("workbench.choices", _reach(current_user),
                                                    _read_choices)
    return dict(categories=categories, grids=grids, departments=departments,
                sources=("patrol", "resident", "hotline", "open311"),
                may_search_phone=current_user.role in FULL_CONTACT_ROLES)


def _read_choices() -> tuple:
    grids, departments = _choice_statements(current_user)
    connection = db.session.connection()  # plain rows: as _active_categories
    return (_active_categories(), tuple(connection.execute(grids).all()),
            () if departments is None else tuple(connection.execute(departments).all()))


@bp.get("/events")
@login_required
def list_events():
    """The workbench: a dense table on a desk, cards on a phone; filters live in the URL."""
    raw = {key: value for key, value in request.args.items() if key in LIST_FIELDS}
    context = dict(_list_choices(), args=raw, rows=[], next_cursor=None, error=None)
    try:
        args = load_form(LIST_IN, request.args, LIST_FIELDS)
        args["sort"] = sort_of(args, "urgency")
        page, context["next_cursor"] = read_page(
            current_user, args, args["sort"], args["cursor"], PAGE_SIZE)
    except AppError as error:
        context["error"] = error.message
        return _list_page(context), error.status
    context["args"] = raw | {"sort": args["sort"], "mine": "1" if args["mine"] else ""}
    context["rows"] = case_rows(page, case_links(list_url(context["args"])), clock.utcnow())
    return _list_page(context)


def _list_page(context: dict) -> str:
    # the filter form is kept by what it shows (core.templating.fragment): the page's
    # cursor is not part of it, or every 下一页 would keep another copy of the same form
    context["form_args"] = {key: value for key, value in context["args"].items()
                            if key != "cursor"}
    return render_template("events/list.html", **context)


def list_url(args: dict, **changes) -> str:
    """The workbench URL with `args` (its filters) and `changes`; blank ones left out. The
    query is encoded here as url_for encodes it: url_for's own query building was most of
    its cost, six times a page."""
    merged = [(key, value) for key, value in (args | changes).items()
              if value not in (None, "", False) and key in LIST_FIELDS]
    path = g.get("list_path")
    if path is None:  # built once a request: a list page asks for it six times
        path = g.list_path = url_for("events.list_events")
    return f"{path}?{urlencode(merged, safe=URL_SAFE)}" if merged else path


def _load(event_id: int) -> Event:
    event = db.session.get(Event, event_id)
    if event is None or not can_see(current_user, event):
        abort(404)
    return event


def safe_back(value: str | None) -> str | None:
    """The case list a user came from (?back=…), or None: never a page off the list."""
    if (not value or len(value) > 1000 or "\\" in value
            or any(ord(char) < 0x20 or ord(char) == 0x7F for char in value)):
        return None  # urlsplit would drop a newline silently; the redirect would not
    parts = urlsplit(value)
    if parts.scheme or parts.netloc or parts.path != url_for("events.list_events"):
        return None
    return value


def _render_detail(event: Event, *, error: str | None = None, form=None, status: int = 200,
                   back: str | None = None):
    departments = db.session.scalars(select(Department).where(
        Department.is_active.is_(True), Department.region_id == event.town_id)
        .order_by(Department.name)).all()
    suggested = suggest_department(event.category, event.town)
    duplicates = intake.possible_duplicates(
        event.category_id, event.lat, event.lon, clock.utcnow(), exclude_id=event.id,
        viewer=current_user) if event.state in ("reported", "filed") else []
    actions = allowed_actions(current_user, event)
    handled = [log for log in event.logs if log.action == "handle"]
    in_field = current_user.role == "grid_worker"
    return render_template(
        "events/detail.html", event=event, actions=actions, primary=lifecycle.next_step(actions),
        in_field=in_field, action_key=uuid.uuid4().hex if in_field else None,
        departments=departments, suggested=suggested, map=grid_map(event),
        duplicates=duplicates, error=error, form=form or {}, back=back,
        held=held_photos(form) if form else [],
        handling_photos=handled[-1].attachments if handled else []), status


@bp.get("/events/<int:event_id>")
@login_required
def show_event(event_id: int):
    return _render_detail(_load(event_id), back=safe_back(request.args.get("back")))[0]


def _add_photos(prepared) -> list[int]:
    return [add_photo(photo, current_user.id).id for photo in prepared]


#: the action form's inputs, named as the page names them
ACTION_FIELDS = {"action": _l("操作"), "note": _l("说明"), "department_code": _l("责任单位"),
                 "hours": _l("延期时长"), "version": _l("版本"), "photo_ids": _l("照片"),
                 "recipients": _l("督办对象"), "reason": _l("原因")}
#: the report form's inputs
REPORT_FIELDS = {"category_code": _l("问题类别"), "lat": _l("纬度"), "lon": _l("经度"),
                 "description": _l("问题描述"), "address": _l("地址"), "grid_code": _l("网格"),
                 "source": _l("来源"), "photo_ids": _l("照片")}


def _duplicate_of(event, number: str) -> int | None:
    """The case a 重复 rejection points at, given by its number in the same town."""
    number = number.strip()
    if not number:
        return None
    if number[:1].isdigit():  # 2026-000123: this town's own prefix is understood
        number = f"{event.town.case_prefix}-{number}"
    original = db.session.scalar(select(Event.id).where(
        Event.town_id == event.town_id, Event.number == number))
    if original is None:
        raise InvalidInput(_("重复案件编号无效：本镇没有编号为 %(number)s 的案件",
                             number=number[:32]), fields={"duplicate_of": ["no such case"]})
    return original


@bp.post("/events/<int:event_id>/actions")
@login_required
def act_on_event(event_id: int):
    _load(event_id)  # 404 before any photo is decoded
    form = request.form
    action = form.get("action", "")
    back = safe_back(form.get("back"))
    try:
        data = load_form(ActionIn(), form, ACTION_FIELDS)  # the API's schema and limits
        if action == "supervise" and form.get("recipients_offered") and not data["recipients"]:
            raise InvalidInput(_("请选择督办对象"), fields={"recipients": ["required"]})
        photos = prepare_uploads(request.files.getlist("photos"))
        services.require_site_photo(current_user, action, data["photo_ids"] or photos)
        key = form.get("action_key", "").strip() or None  # a phone's kept work, sent again
        if key and len(key) > 128:
            raise InvalidInput(_("表单已损坏，请刷新页面后重试"), fields={"action_key": ["too long"]})
        with write_transaction():
            event = _load(event_id)
            if services.replayed_action(current_user, event, action, key) is None:
                services.perform_action(
                    current_user, event, data.pop("action"), clock.utcnow(),
                    expected_version=data.pop("version"), key=key,
                    duplicate_of=_duplicate_of(event, form.get("duplicate_of") or ""),
                    photo_ids=data.pop("photo_ids") + _add_photos(photos),
                    **{k: v for k, v in data.items() if k != "duplicate_of"})
    except AppError as error:
        return _render_detail(_load(event_id), error=error.message, form=form, back=back,
                              status=error.status if error.status != 400 else 409)
    done = _("已%(action)s", action=labels.action_label(action))
    if back and lifecycle.next_step(allowed_actions(current_user, event)) is None:
        # the case has left this user's hands: back to the list they were working through
        flash(_("%(done)s：%(number)s", done=done, number=event.number))
        return redirect(back)
    flash(done)
    return redirect(url_for("events.show_event", event_id=event.id, back=back))


def _reportable_grids():
    return db.session.scalars(select(Grid).where(reportable_grids_clause(current_user))
                              .order_by(Grid.code)).all()


def unconfirmed_duplicates(form, data: dict, now) -> list:
    """Open cases of the category near the reported place that the user may see, unless the
    form confirms this is not one of them (确认不是重复案件): then the form asks first."""
    if form.get("confirm_not_duplicate"):
        return []
    category = db.session.scalar(select(Category).where(Category.code == data["category_code"]))
    if category is None:
        return []
    return intake.possible_duplicates(category.id, data["lat"], data["lon"], now,
                                      viewer=current_user)


@bp.route("/events/new", methods=["GET", "POST"])
@login_required
def new_event():
    grids = _reportable_grids()
    if not grids:
        abort(403)
    form = request.form if request.method == "POST" else {"form_token": uuid.uuid4().hex}
    context = dict(categories=_active_categories(), grids=grids, form=form, duplicates=[],
                   error=None, fields={}, held=held_photos(form))
    if request.method == "GET":
        return render_template("events/new.html", **context)
    now = clock.utcnow()
    replay = intake.find_replay(f"user:{current_user.id}", form.get("form_token") or "")
    if replay is not None:  # a second tap on 提交: the case it already made
        return redirect(url_for("events.show_event", event_id=replay.id))
    if not (form.get("lat") or "").strip() or not (form.get("lon") or "").strip():
        context.update(error=_("请填写位置（纬度、经度），或点击“使用我的位置”"),
                       fields={"lat": not form.get("lat"), "lon": not form.get("lon")})
        return render_template("events/new.html", **context), 422
    try:
        # the API's own schema: what the API refuses, the form refuses (nothing is cut)
        data = load_form(EventCreateIn(), form, REPORT_FIELDS)
    except InvalidInput as error:
        context.update(error=error.message, fields=error.fields)
        return render_template("events/new.html", **context), 422
    duplicates = unconfirmed_duplicates(form, data, now)
    if duplicates:
        context.update(duplicates=duplicates)
        return render_template("events/new.html", **context), 200
    try:
        photos = prepare_uploads(request.files.getlist("photos"))
        event, _created = intake.report_once(
            current_user, now, category_code=data["category_code"], lat=data["lat"],
            lon=data["lon"], description=data["description"].strip(), address=data["address"],
            grid_code=data["grid_code"], source=data["source"], photos=photos,
            photo_ids=data["photo_ids"],
            idempotency_key=form.get("form_token") or None)
    except AppError as error:
        context.update(error=error.message, fields=error.fields or {})
        return render_template("events/new.html", **context), error.status
    flash(_("案件 %(number)s 已上报", number=event.number))
    return redirect(url_for("events.show_event", event_id=event.id))


@bp.post("/uploads")
@login_required
def upload_photo():
    """A photo sent from a staff form as soon as it is chosen (static/js/photos.js), shrunk
    in the browser: the form then carries its id, so a form refused for any other reason
    still holds the photo. The API's POST /api/v1/uploads, for a logged-in page."""
    file = request.files.get("file")
    if file is None or not file.filename:
        raise InvalidInput(_("请选择照片"), fields={"file": ["required"]})
    prepared = prepare_photo(file.read(), file.filename)  # decoded before the transaction
    with write_transaction():
        photo = add_photo(prepared, current_user.id)
    return {"id": photo.id,
            "thumb": url_for("events.attachment_thumb", attachment_id=photo.id)}, 201


def held_photos(form) -> list[Attachment]:
    """The photos a re-shown form still holds: the user's own uploads not yet on a case."""
    ids = [int(value) for value in getattr(form, "getlist", lambda _name: [])("photo_ids")[:9]
           if is_id(value)]
    if not ids:
        return []
    return db.session.scalars(select(Attachment).where(
        Attachment.id.in_(ids), Attachment.uploader_id == current_user.id,
        Attachment.event_id.is_(None)).order_by(Attachment.id)).all()


def _attachment_for_viewer(attachment_id: int) -> Attachment:
    viewer = g.viewer
    photo = db.session.get(Attachment, attachment_id)
    if photo is None or photo.claimed_by == "care":  # a visit's: care/views.py serves it
        abort(404)
    if photo.event is not None:
        if not can_see(viewer, photo.event):
            abort(404)
    elif photo.uploader_id != viewer.id:
        abort(404)
    return photo


@bp.get("/attachments/<int:attachment_id>")
@token_or_login_required
def attachment(attachment_id: int):
    photo = _attachment_for_viewer(attachment_id)
    return photo_response(photo, "full")


@bp.get("/attachments/<int:attachment_id>/thumb")
@token_or_login_required
def attachment_thumb(attachment_id: int):
    photo = _attachment_for_viewer(attachment_id)
    return photo_response(photo, "thumb")


