"""Users, passwords, login lockout and API tokens."""
import hashlib
import secrets
from datetime import datetime, timedelta
from functools import cache

from flask import current_app
from flask_babel import gettext as _, ngettext
from sqlalchemy import bindparam, delete, func, select
from werkzeug.security import check_password_hash, generate_password_hash

from auth.models import ROLES, ApiToken, LoginFailure, User
from core import reference
from core.database import write_transaction
from core.errors import InvalidInput, TooManyAttempts, Unauthorized
from core.extensions import db
from core.rows import as_loaded_row, plain_rows, set_loaded
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


def authenticate(username: str, password: str, now: datetime, ip: str) -> User:
    """The user, or Unauthorized (wrong name or password: one message for both), or
    TooManyAttempts once the failures counted by `_lockout` reach a limit. Call it outside a
    writing transaction: the password hash takes tens of milliseconds and is checked before
    the outcome is written in a short unit of its own."""
    username = username[:64]
    ip = (ip or "unknown")[:45]
    lifts_at = _lockout(username, ip, now)
    if lifts_at is not None:
        minutes = max(1, int((lifts_at - now).total_seconds() // 60) + 1)
        raise TooManyAttempts(ngettext("登录失败次数过多，已暂时锁定，请 %(num)d 分钟后再试",
                                       "登录失败次数过多，已暂时锁定，请 %(num)d 分钟后再试",
                                       minutes))
    user = db.session.scalar(select(User).where(User.username == username))
    if user is None:
        check_password_hash(_DUMMY_HASH, password)
    ok = user is not None and check_password_hash(user.password_hash, password) \
        and user.is_enabled
    with write_transaction():
        if ok:
            db.session.execute(delete(LoginFailure).where(LoginFailure.username == username,
                                                          LoginFailure.ip == ip))
        else:
            window = timedelta(minutes=current_app.config["LOGIN_LOCKOUT_MINUTES"])
            db.session.execute(delete(LoginFailure).where(LoginFailure.at < now - window))
            db.session.add(LoginFailure(username=username, ip=ip, at=now))
    if not ok:
        raise Unauthorized(_("用户名或密码错误"))
    return user


def _limits():
    """(scope, counted-by columns, limit) of each lockout, and the window they count over."""
    config = current_app.config
    return ((("pair", (LoginFailure.username, LoginFailure.ip), config["LOGIN_MAX_FAILURES"]),
             ("ip", (LoginFailure.ip,), config["LOGIN_MAX_FAILURES_PER_IP"]),
             ("account", (LoginFailure.username,), config["LOGIN_MAX_FAILURES_PER_ACCOUNT"])),
            timedelta(minutes=config["LOGIN_LOCKOUT_MINUTES"]))


def _lockout(username: str, ip: str, now: datetime) -> datetime | None:
    """When the lockout that applies to this attempt lifts, or None if there is none. Each
    limit counts failures in the window; it lifts when the failure that reached it leaves."""
    limits, window = _limits()
    attempt = {"username": username, "ip": ip}
    lifts = []
    for _scope, columns, limit in limits:
        reached = db.session.scalar(
            select(LoginFailure.at)
            .where(*(column == attempt[column.key] for column in columns),
                   LoginFailure.at > now - window)
            .order_by(LoginFailure.at.desc()).offset(limit - 1).limit(1))
        if reached is not None:
            lifts.append(reached + window)
    return max(lifts) if lifts else None


def current_lockouts(now: datetime) -> list[dict]:
    """Who is locked out now, for the admin page: (username, IP) pairs, addresses and
    usernames at their limits, each with its failure count and when it lifts."""
    limits, window = _limits()
    found = []
    for scope, columns, limit in limits:
        rows = db.session.execute(
            select(*columns, func.count(), func.max(LoginFailure.at))
            .where(LoginFailure.at > now - window).group_by(*columns)
            .having(func.count() >= limit).limit(500)).all()
        for row in rows:
            values = dict(zip((c.key for c in columns), row))
            found.append({"scope": scope, "username": values.get("username"),
                          "ip": values.get("ip"), "failures": row[-2],
                          "last_at": row[-1], "lifts_at": row[-1] + window})
    return sorted(found, key=lambda item: item["last_at"], reverse=True)


def unlock(*, username: str | None = None, ip: str | None = None) -> int:
    """An admin lifts a lockout: forgets the failures of a username, of an address, or of
    both together. Returns how many were forgotten."""
    clauses = []
    if username is not None:
        clauses.append(LoginFailure.username == username[:64])
    if ip is not None:
        clauses.append(LoginFailure.ip == ip[:45])
    if not clauses:
        raise InvalidInput(_("请指定用户名或 IP 地址"), fields={"username": ["required"]})
    return db.session.execute(delete(LoginFailure).where(*clauses)).rowcount


def _hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def issue_token(user: User, now: datetime) -> tuple[str, ApiToken]:
    token = secrets.token_urlsafe(32)
    row = ApiToken(user=user, token_hash=_hash_token(token), created_at=now,
                   expires_at=now + timedelta(hours=current_app.config["API_TOKEN_TTL_HOURS"]))
    db.session.add(row)
    db.session.flush()
    return token, row


@cache
def _token_user():
    """Every API request's first statement: the token's expiry, its user and the user's
    grid memberships (their scope) in one plain statement, built once — on first use, when
    every feature's models are mapped, not at import. Plain rows, made into the user by
    core.rows.as_loaded: the ORM's loading of three joined entities was ~0.1 ms of every
    API request (issue 8). Its second column is the reference data's token
    (core.reference)."""
    token, user, member = ApiToken.__table__, User.__table__, GridMember.__table__
    return (select(token.c.expires_at, reference.version_column(), *user.columns,
                   *member.columns)
            .select_from(token.join(user, user.c.id == token.c.user_id)
                         .outerjoin(member, member.c.user_id == user.c.id))
            .where(token.c.token_hash == bindparam("token_hash"))
            .order_by(member.c.id))


def user_for_token(token: str, now: datetime) -> User | None:
    session = db.session()
    rows = plain_rows(session, _token_user(), {"token_hash": _hash_token(token)})
    if not rows:
        return None
    (user,) = user_from_rows(session, [row[2:] for row in rows])
    if rows[0][0] <= now or not user.is_enabled:
        return None
    reference.note(session, rows[0][1])
    return user


def user_from_rows(session, rows, *joined) -> list:
    """A user read as plain rows (core.rows): each row the user's columns, then those of
    each class in `joined` (outer-joined many-to-ones), then one grid membership's (none:
    NULLs), a row a membership. The user and its joined objects, the user's grids set on it
    as loaded — the token's caller and the page's user alike."""
    loaded = [as_loaded_row(session, row, User, *joined, GridMember) for row in rows]
    set_loaded(loaded[0][0], "memberships",
               [objects[-1] for objects in loaded if objects[-1] is not None])
    return loaded[0][:-1]


def create_user(username: str, role: str, password: str, *, display_name: str | None = None,
                town_code: str | None = None, region_code: str | None = None,
                grid_codes=(), department_code: str | None = None, email: str | None = None,
                department_head: bool = False) -> User:
    """A staff account with its scope: a town, a region subtree, grids or a department;
    `department_head` counts for handlers only (they hear of overdue cases first)."""
    if role not in ROLES:
        raise InvalidInput(_("未知角色 %(role)s", role=role),
                           fields={"role": [f"one of {', '.join(ROLES)}"]})
    if db.session.scalar(select(User).where(User.username == username)):
        raise InvalidInput(_("用户名 %(username)s 已存在", username=username),
                           fields={"username": ["already taken"]})
    user = User(username=username, role=role, display_name=display_name or username,
                email=email or None, is_department_head=department_head and role == "handler")
    set_password(user, password)
    code = town_code or region_code
    if code:
        region = db.session.scalar(select(Region).where(Region.code == code))
        if region is None:
            raise InvalidInput(_("区划 %(code)s 不存在", code=code), fields={"town": ["unknown region"]})
        user.region = region
    if department_code:
        # events/ owns departments and sits above auth/: reach the model through the
        # user's own foreign key rather than by importing it
        department_model = User.department.property.mapper.class_
        department = db.session.scalar(select(department_model)
                                       .where(department_model.code == department_code))
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
