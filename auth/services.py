"""Users, passwords, login lockout and API tokens."""
import hashlib
import secrets
from datetime import datetime, timedelta

from flask import current_app
from flask_babel import gettext as _, ngettext
from sqlalchemy import select
from sqlalchemy.orm import joinedload
from werkzeug.security import check_password_hash, generate_password_hash

from auth.models import ROLES, ApiToken, User
from core.errors import InvalidInput, Unauthorized
from core.extensions import db
from events.models import Department
from grid.models import Grid, GridMember, Region

#: a hash to compare against when the user does not exist, so timing does not tell
_DUMMY_HASH = generate_password_hash("not-a-password")
MIN_PASSWORD_LENGTH = 8


def hash_password(password: str) -> str:
    """A salted hash by PASSWORD_HASH_METHOD (werkzeug's scrypt unless configured)."""
    return generate_password_hash(password, method=current_app.config["PASSWORD_HASH_METHOD"])


def set_password(user: User, password: str) -> None:
    if len(password) < MIN_PASSWORD_LENGTH:
        raise InvalidInput(_("密码至少 %(min)s 位", min=MIN_PASSWORD_LENGTH),
                           fields={"password": [f"at least {MIN_PASSWORD_LENGTH} characters"]})
    user.password_hash = hash_password(password)
    end_sessions(user)


def end_sessions(user: User) -> None:
    """Every session cookie of the user stops working (logout, password change)."""
    user.session_epoch = (user.session_epoch or 0) + 1


def authenticate(username: str, password: str, now: datetime) -> User:
    """The user, or Unauthorized. Five failures lock the account for fifteen minutes;
    the caller commits either way so failures are counted."""
    user = db.session.scalar(select(User).where(User.username == username))
    if user is None:
        check_password_hash(_DUMMY_HASH, password)
        raise Unauthorized(_("用户名或密码错误"))
    if user.locked_until is not None and user.locked_until > now:
        minutes = max(1, int((user.locked_until - now).total_seconds() // 60) + 1)
        raise Unauthorized(ngettext("登录失败次数过多，账号已锁定，请 %(num)d 分钟后再试",
                                    "登录失败次数过多，账号已锁定，请 %(num)d 分钟后再试", minutes))
    if not check_password_hash(user.password_hash, password) or not user.is_enabled:
        user.failed_logins = (user.failed_logins or 0) + 1
        if user.failed_logins >= current_app.config["LOGIN_MAX_FAILURES"]:
            user.locked_until = now + timedelta(minutes=current_app.config["LOGIN_LOCKOUT_MINUTES"])
            user.failed_logins = 0
        raise Unauthorized(_("用户名或密码错误"))
    user.failed_logins = 0
    user.locked_until = None
    return user


def _hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def issue_token(user: User, now: datetime) -> tuple[str, ApiToken]:
    token = secrets.token_urlsafe(32)
    row = ApiToken(user=user, token_hash=_hash_token(token), created_at=now,
                   expires_at=now + timedelta(hours=current_app.config["API_TOKEN_TTL_HOURS"]))
    db.session.add(row)
    db.session.flush()
    return token, row


def user_for_token(token: str, now: datetime) -> User | None:
    # One statement: the token, its user and the user's grid memberships (their scope).
    row = db.session.scalars(select(ApiToken).options(
        joinedload(ApiToken.user).joinedload(User.memberships))
        .where(ApiToken.token_hash == _hash_token(token))).unique().first()
    if row is None or row.expires_at <= now or not row.user.is_enabled:
        return None
    return row.user


def create_user(username: str, role: str, password: str, *, display_name: str | None = None,
                town_code: str | None = None, region_code: str | None = None,
                grid_codes=(), department_code: str | None = None) -> User:
    """A staff account with its scope: a town, a region subtree, grids or a department."""
    if role not in ROLES:
        raise InvalidInput(_("未知角色 %(role)s", role=role),
                           fields={"role": [f"one of {', '.join(ROLES)}"]})
    if db.session.scalar(select(User).where(User.username == username)):
        raise InvalidInput(_("用户名 %(username)s 已存在", username=username),
                           fields={"username": ["already taken"]})
    user = User(username=username, role=role, display_name=display_name or username)
    set_password(user, password)
    code = town_code or region_code
    if code:
        region = db.session.scalar(select(Region).where(Region.code == code))
        if region is None:
            raise InvalidInput(_("区划 %(code)s 不存在", code=code), fields={"town": ["unknown region"]})
        user.region = region
    if department_code:
        department = db.session.scalar(select(Department).where(Department.code == department_code))
        if department is None:
            raise InvalidInput(_("部门 %(code)s 不存在", code=department_code),
                               fields={"department": ["unknown department"]})
        user.department = department
        user.region_id = user.region_id or department.region_id
    db.session.add(user)
    db.session.flush()
    for grid_code in grid_codes:
        grid = db.session.scalar(select(Grid).where(Grid.code == grid_code))
        if grid is None:
            raise InvalidInput(_("网格 %(code)s 不存在", code=grid_code),
                               fields={"grid": ["unknown grid"]})
        db.session.add(GridMember(grid_id=grid.id, user_id=user.id, grid_role="worker"))
        user.region_id = user.region_id or grid.town_id
    _check_scope(user, grid_codes)
    db.session.flush()
    return user


def _check_scope(user: User, grid_codes) -> None:
    needs = {"grid_worker": ("grid", bool(grid_codes)),
             "dispatcher": ("town", user.region_id is not None),
             "handler": ("department", user.department_id is not None),
             "supervisor": ("town", user.region_id is not None)}
    if user.role in needs:
        field, present = needs[user.role]
        if not present:
            raise InvalidInput(_("角色 %(role)s 需要指定 %(field)s", role=user.role, field=field),
                               fields={field: [f"required for role {user.role}"]})
