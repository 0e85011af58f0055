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


def parse(actor: User, form, user: User | None = None, offered: dict | None = None) -> UserForm:
    """Check every field of the user form (`form`: a MultiDict); `user` when editing;
    `offered`: choices(actor) when the caller has read them already."""
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
    offered = offered or choices(actor)
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
