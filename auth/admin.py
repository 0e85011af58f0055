"""User administration (issue 12): who may manage whom, the form an admin sends checked field
by field, and the changes — create, edit, deactivate, activate, reset password — each
audited in the same transaction (audit/). Admins manage everyone; a town's dispatcher
manages the grid workers and handlers of their town."""
import secrets
from dataclasses import dataclass, field

from flask_babel import gettext as _
from sqlalchemy import delete, select

from audit.services import record
from auth.models import ROLES, ApiToken, User
from auth.services import MIN_PASSWORD_LENGTH, end_sessions, set_password
from core.errors import Conflict, InvalidInput
from core.extensions import db
from grid.models import Grid, GridMember, Region

#: the roles a town's dispatcher may give and manage
DISPATCHER_MANAGES = ("grid_worker", "handler")
#: what each role's scope needs: a town, grids, a department or a region
SCOPE_NEEDS = {"grid_worker": "grids", "dispatcher": "town", "handler": "department",
               "supervisor": "region"}
MAX_TEXT = {"username": 64, "display_name": 64, "email": 120, "phone": 20}


def department_model():
    """events/ owns departments and sits above auth/: reached through the user's own
    foreign key rather than imported."""
    return User.department.property.mapper.class_


def may_manage(actor: User, user: User | None = None, role: str | None = None) -> bool:
    """Admins manage everyone; a dispatcher the grid workers and handlers of their town."""
    if actor.role == "admin":
        return True
    if actor.role != "dispatcher" or actor.region_id is None:
        return False
    if role is not None and role not in DISPATCHER_MANAGES:
        return False
    return user is None or (user.role in DISPATCHER_MANAGES and user.region_id == actor.region_id)


def manageable(actor: User):
    """The users `actor` may see on the users page (a select)."""
    query = select(User)
    if actor.role != "admin":
        query = query.where(User.role.in_(DISPATCHER_MANAGES), User.region_id == actor.region_id)
    return query


def choices(actor: User) -> dict:
    """What the form offers: roles, towns (with their grids), regions, departments."""
    towns = db.session.scalars(select(Region).where(Region.level == "town")
                               .order_by(Region.code)).all()
    if actor.role != "admin":
        towns = [t for t in towns if t.id == actor.region_id]
    town_ids = [t.id for t in towns]
    grids = db.session.scalars(select(Grid).where(Grid.town_id.in_(town_ids))
                               .order_by(Grid.code)).all()
    departments = db.session.scalars(
        select(department_model()).where(department_model().region_id.in_(town_ids))
        .order_by(department_model().code)).all()
    regions = db.session.scalars(select(Region).where(Region.level != "village")
                                 .order_by(Region.path)).all() if actor.role == "admin" else []
    return {"roles": ROLES if actor.role == "admin" else DISPATCHER_MANAGES,
            "towns": towns, "grids": grids, "departments": departments, "regions": regions}


@dataclass
class UserForm:
    """A checked form: the values to save, or `errors` (field → message)."""
    values: dict = field(default_factory=dict)
    errors: dict = field(default_factory=dict)


def _ids(raw) -> list[int]:
    return [int(v) for v in raw if str(v).isascii() and str(v).isdigit() and len(str(v)) < 10]


def parse(actor: User, form, user: User | None = None) -> UserForm:
    """Check every field of the user form (`form`: a MultiDict); `user` when editing."""
    out = UserForm()
    values, errors = out.values, out.errors
    for name, limit in MAX_TEXT.items():
        text = (form.get(name) or "").strip()
        if len(text) > limit:
            errors[name] = _("最多 %(num)s 个字符", num=limit)
        values[name] = text
    if user is None:
        username = values["username"]
        if not username:
            errors["username"] = _("请填写用户名")
        elif not all(c.isascii() and (c.isalnum() or c in "._-") for c in username):
            errors["username"] = _("用户名只能用英文字母、数字和 . _ -")
        elif db.session.scalar(select(User.id).where(User.username == username)):
            errors["username"] = _("用户名 %(username)s 已存在", username=username)
    if not values["display_name"]:
        errors["display_name"] = _("请填写姓名")
    if values["email"] and ("@" not in values["email"] or " " in values["email"]):
        errors["email"] = _("邮箱格式不对")
    if values["phone"] and not all(c.isdigit() or c in "-+ " for c in values["phone"]):
        errors["phone"] = _("电话只能包含数字和 - +")
    role = form.get("role") or ""
    if role not in ROLES or not may_manage(actor, role=role):
        errors["role"] = _("请选择角色")
    values["role"] = role
    offered = choices(actor)
    towns = {t.id: t for t in offered["towns"]}
    grids = {g.id: g for g in offered["grids"]}
    departments = {d.id: d for d in offered["departments"]}
    regions = {r.id: r for r in offered["regions"]} if actor.role == "admin" else towns
    town_ids, region_ids, department_ids = (_ids([form.get(n) or ""]) for n in
                                            ("town", "region", "department"))
    grid_ids = _ids(form.getlist("grids"))
    leader_ids = _ids(form.getlist("leads"))
    values.update(town=towns.get(town_ids[0]) if town_ids else None,
                  region=regions.get(region_ids[0]) if region_ids else None,
                  department=departments.get(department_ids[0]) if department_ids else None,
                  grids=[grids[g] for g in grid_ids if g in grids],
                  leads=[grids[g] for g in leader_ids if g in grids and g in grid_ids],
                  department_head=bool(form.get("department_head")) and role == "handler")
    if len(values["grids"]) != len(grid_ids):
        errors["grids"] = _("所选网格不存在或不在您的管辖范围内")
    need = SCOPE_NEEDS.get(role)
    if need == "grids":
        if not values["grids"]:
            errors.setdefault("grids", _("网格员至少要负责一个网格"))
        elif len({g.town_id for g in values["grids"]}) > 1:
            errors["grids"] = _("网格员的网格须在同一个镇")
        for grid in values["leads"]:
            holder = _leader(grid)
            if holder is not None and (user is None or holder.id != user.id):
                errors["leads"] = _("%(grid)s 已有网格长 %(name)s：一个网格只有一位网格长",
                                    grid=grid.name, name=holder.display_name)
    elif need == "town" and values["town"] is None:
        errors["town"] = _("派遣员须指定所在的镇")
    elif need == "department" and values["department"] is None:
        errors["department"] = _("处置人员须指定所属部门")
    elif need == "region" and values["region"] is None:
        errors["region"] = _("督办领导须指定督办的区划")
    if user is None:
        password = form.get("password") or ""
        if password and len(password) < MIN_PASSWORD_LENGTH:
            errors["password"] = _("密码至少 %(min)s 位", min=MIN_PASSWORD_LENGTH)
        values["password"] = password
    else:
        version = form.get("version") or ""
        values["version"] = int(version) if version.isascii() and version.isdigit() \
            and len(version) < 10 else -1
    return out


def _leader(grid: Grid) -> User | None:
    return db.session.scalar(select(User).join(GridMember, GridMember.user_id == User.id)
                             .where(GridMember.grid_id == grid.id,
                                    GridMember.grid_role == "leader"))


def snapshot(user: User) -> dict:
    """What the audit log keeps of a user: the fields an admin edits, as people read them."""
    memberships = db.session.execute(
        select(Grid.code, GridMember.grid_role).join(GridMember, GridMember.grid_id == Grid.id)
        .where(GridMember.user_id == user.id).order_by(Grid.code)).all()
    return {"display_name": user.display_name, "role": user.role,
            "region": user.region.code if user.region else None,
            "department": user.department.code if user.department else None,
            "grids": [code for code, _role in memberships],
            "leads": [code for code, grid_role in memberships if grid_role == "leader"],
            "department_head": bool(user.is_department_head), "email": user.email,
            "phone": user.phone, "is_enabled": bool(user.is_enabled)}


def _apply(user: User, values: dict) -> None:
    user.display_name = values["display_name"]
    user.role = values["role"]
    user.email = values["email"] or None
    user.phone = values["phone"] or None
    user.is_department_head = values["department_head"]
    need = SCOPE_NEEDS.get(user.role)
    user.department = values["department"] if need == "department" else None
    grids = values["grids"] if need == "grids" else []
    if need == "grids":
        user.region_id = grids[0].town_id
    elif need == "department":
        user.region_id = values["department"].region_id
    elif need == "town":
        user.region_id = values["town"].id
    elif need == "region":
        user.region_id = values["region"].id
    else:
        user.region_id = None
    db.session.execute(delete(GridMember).where(GridMember.user_id == user.id))
    leads = {g.id for g in values["leads"]}
    for grid in grids:
        db.session.add(GridMember(grid_id=grid.id, user_id=user.id,
                                  grid_role="leader" if grid.id in leads else "worker"))
    db.session.flush()
    db.session.expire(user, ["memberships"])


def create(actor: User, values: dict) -> tuple[User, str | None]:
    """A new user; returns it and the password generated when none was typed (shown once).
    Either way they must choose their own at first login."""
    password = values["password"] or secrets.token_urlsafe(9)
    user = User(username=values["username"], display_name=values["display_name"],
                role=values["role"], must_change_password=True, version=1)
    set_password(user, password)
    db.session.add(user)
    db.session.flush()
    _apply(user, values)
    record(actor, "user", user.username, "create", None, snapshot(user))
    return user, None if values["password"] else password


def update(actor: User, user: User, values: dict) -> None:
    """Save an edit, unless someone saved the user since the form was opened."""
    if values["version"] != user.version:
        raise Conflict(_("%(name)s 已被他人修改：请查看最新内容后再保存",
                         name=user.display_name))
    before = snapshot(user)
    _apply(user, values)
    user.version += 1
    record(actor, "user", user.username, "update", before, snapshot(user))


def _revoke(user: User) -> None:
    """Every session and API token of the user ends."""
    end_sessions(user)
    db.session.execute(delete(ApiToken).where(ApiToken.user_id == user.id))


def set_enabled(actor: User, user: User, enabled: bool) -> None:
    """Deactivate (never delete: the history keeps the name) or activate again."""
    if user.id == actor.id:
        raise InvalidInput(_("不能停用自己的账号"), fields={"user": ["yourself"]})
    if bool(user.is_enabled) == enabled:
        return
    user.is_enabled = enabled
    user.version += 1
    if not enabled:
        _revoke(user)
    record(actor, "user", user.username, "activate" if enabled else "deactivate",
           {"is_enabled": not enabled}, {"is_enabled": enabled})


def reset_password(actor: User, user: User) -> str:
    """A temporary password (returned to show once); the user must change it at next login;
    their sessions and tokens end."""
    password = secrets.token_urlsafe(9)
    set_password(user, password)
    user.must_change_password = True
    user.version += 1
    _revoke(user)
    record(actor, "user", user.username, "reset_password")
    return password


# --- bulk import from a sheet --------------------------------------------------------------

#: the sheet's columns (Chinese headers; the English keys also accepted)
SHEET_COLUMNS = (("username", "用户名"), ("display_name", "姓名"), ("role", "角色"), ("town", "镇"),
                 ("grids", "网格"), ("leads", "网格长"), ("department", "部门"),
                 ("department_head", "部门负责人"), ("region", "督办区划"), ("email", "邮箱"),
                 ("phone", "手机"))
MAX_SHEET_BYTES = 2_000_000
MAX_SHEET_ROWS = 1_000
_YES = {"是", "1", "true", "yes", "y", "√", "✓"}


#: the roles as a sheet may name them (the pages' Chinese names, and the words people use)
SHEET_ROLES = {"网格员": "grid_worker", "信息员": "grid_worker", "派遣员": "dispatcher",
               "受理员": "dispatcher", "处置人员": "handler", "处置员": "handler",
               "督办领导": "supervisor", "督办": "supervisor", "系统管理员": "admin",
               "管理员": "admin"}


def _role_key(text: str) -> str:
    text = text.strip()
    return text if text in ROLES else SHEET_ROLES.get(text, text)


def sheet_rows(data: bytes, filename: str) -> tuple[list[dict], str | None]:
    """The rows of an uploaded .xlsx or .csv as {column key: text}, or an error message."""
    import csv
    import io
    if len(data) > MAX_SHEET_BYTES:
        return [], _("文件过大：最多 %(num)s MB", num=MAX_SHEET_BYTES // 1_000_000)
    if filename.lower().endswith(".xlsx"):
        from openpyxl import load_workbook
        try:
            book = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
        except Exception:  # noqa: BLE001 — any unreadable workbook is the same answer
            return [], _("无法读取这个 Excel 文件：请另存为 .xlsx 后重试")
        raw = []
        for row in book.active.iter_rows(values_only=True):
            raw.append(["" if v is None else str(v).strip() for v in row])
            if len(raw) > MAX_SHEET_ROWS + 1:
                break
    else:
        try:
            text = data.decode("utf-8-sig")
        except UnicodeDecodeError:
            return [], _("文件须为 .xlsx，或 UTF-8 编码的 CSV")
        raw = [[cell.strip() for cell in row] for row in csv.reader(io.StringIO(text))]
    raw = [row for row in raw if any(row)]
    if not raw:
        return [], _("表格是空的")
    if len(raw) > MAX_SHEET_ROWS + 1:
        return [], _("行数过多：一次最多 %(num)s 行", num=MAX_SHEET_ROWS)
    names = {header: key for key, header in SHEET_COLUMNS} | {key: key for key, _h in SHEET_COLUMNS}
    header = [names.get(cell) for cell in raw[0]]
    if "username" not in header or "role" not in header:
        return [], _("第一行须为表头，至少包括 用户名、姓名、角色")
    rows = []
    for cells in raw[1:]:
        rows.append({key: (cells[i] if i < len(cells) else "") for i, key in enumerate(header)
                     if key})
    return rows, None


def _split(text: str) -> list[str]:
    for mark in "，、；;\n":
        text = text.replace(mark, ",")
    return [part.strip() for part in text.split(",") if part.strip()]


def sheet_form(actor: User, row: dict, offered: dict):
    """A sheet row as the user form would send it (names and codes resolved to ids), so the
    form's own checks judge it."""
    from werkzeug.datastructures import MultiDict
    towns = offered["towns"]
    town_text = row.get("town", "")
    town = next((t for t in towns if town_text in (t.name, t.code)), None)
    grid_by = {}
    for g in offered["grids"]:
        if town is None or g.town_id == town.id:
            grid_by[g.code] = g
            grid_by[g.name] = g
    department_text = row.get("department", "")
    department = next((d for d in offered["departments"]
                       if department_text in (d.code, d.name)
                       and (town is None or d.region_id == town.id)), None)
    region_text = row.get("region", "") or town_text
    region = next((r for r in offered["regions"] or towns if region_text in (r.name, r.code)),
                  None)
    form = MultiDict({"username": row.get("username", ""),
                      "display_name": row.get("display_name", ""),
                      "role": _role_key(row.get("role", "")), "email": row.get("email", ""),
                      "phone": row.get("phone", ""), "password": ""})
    unknown = {}
    if town_text:
        if town is None:
            unknown["town"] = _("没有名为（或代码为）%(name)s 的镇", name=town_text)
        else:
            form["town"] = str(town.id)
    if department_text:
        if department is None:
            unknown["department"] = _("没有名为（或代码为）%(name)s 的部门", name=department_text)
        else:
            form["department"] = str(department.id)
    if row.get("region"):
        if region is None:
            unknown["region"] = _("没有名为（或代码为）%(name)s 的区划", name=row["region"])
        else:
            form["region"] = str(region.id)
    for key in ("grids", "leads"):
        for name in _split(row.get(key, "")):
            grid = grid_by.get(name)
            if grid is None:
                unknown[key] = _("没有名为（或代码为）%(name)s 的网格", name=name)
            else:
                form.add(key, str(grid.id))
                if key == "leads" and str(grid.id) not in form.getlist("grids"):
                    form.add("grids", str(grid.id))
    if (row.get("department_head") or "").strip().lower() in _YES:
        form["department_head"] = "1"
    return form, unknown


def check_sheet(actor: User, rows: list[dict]) -> tuple[list[dict], list[tuple[int, str]]]:
    """Every row checked as the form checks one user, plus what only a sheet can get wrong
    (a username or a 网格长 twice): (values to create, [(line, message)])."""
    offered = choices(actor)
    problems, checked, usernames, leaders = [], [], {}, {}
    labels = {"username": _("用户名"), "display_name": _("姓名"), "role": _("角色"),
              "town": _("镇"), "grids": _("网格"), "leads": _("网格长"),
              "department": _("部门"), "region": _("督办区划"), "email": _("邮箱"),
              "phone": _("手机"), "password": _("密码")}
    for line, row in enumerate(rows, start=2):
        form, unknown = sheet_form(actor, row, offered)
        result = parse(actor, form)
        errors = {**result.errors, **unknown}
        username = form.get("username")
        if username and username in usernames:
            errors["username"] = _("用户名 %(username)s 与第 %(line)s 行重复", username=username,
                                   line=usernames[username])
        usernames.setdefault(username, line)
        for grid in result.values.get("leads") or []:
            if grid.id in leaders:
                errors["leads"] = _("%(grid)s 的网格长与第 %(line)s 行重复：一个网格只有一位网格长",
                                    grid=grid.name, line=leaders[grid.id])
            leaders.setdefault(grid.id, line)
        for field_name, message in errors.items():
            problems.append((line, f"{labels.get(field_name, field_name)}：{message}"))
        if not errors:
            checked.append(result.values)
    return checked, problems
