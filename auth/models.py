"""Users, roles and API tokens."""
from datetime import datetime

from flask_login import UserMixin
from sqlalchemy import Boolean, ForeignKey, Index, Integer, String, false
from sqlalchemy.orm import Mapped, mapped_column, relationship

from core.clock import utcnow
from core.extensions import db
from core.types import UTCDateTime

#: grid_worker 网格员 (their grids), dispatcher 受理/派遣员 (their town),
#: handler 专业部门处置人员 (their department), supervisor 督办 (a region subtree), admin.
ROLES = ("grid_worker", "dispatcher", "handler", "supervisor", "admin")


class User(UserMixin, db.Model):
    #: reference data: stays loaded when a write unit begins (core.database)
    stays_loaded = True
    __tablename__ = "user"

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(64), unique=True)
    password_hash: Mapped[str] = mapped_column(String(256))
    display_name: Mapped[str] = mapped_column(String(64))
    role: Mapped[str] = mapped_column(String(16))
    #: the town of a dispatcher or grid worker, the subtree root of a supervisor
    region_id: Mapped[int | None] = mapped_column(ForeignKey("region.id"))
    department_id: Mapped[int | None] = mapped_column(ForeignKey("department.id"))
    phone: Mapped[str | None] = mapped_column(String(20))
    email: Mapped[str | None] = mapped_column(String(120))
    #: 部门负责人: receives level-1 overdue notices for the department
    is_department_head: Mapped[bool] = mapped_column(Boolean, default=False)
    is_enabled: Mapped[bool] = mapped_column(Boolean, default=True)
    #: bumped by logout and a password change: every session cookie issued before it ends
    session_epoch: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    #: set by an admin's password reset: the next login leads to the password page first
    must_change_password: Mapped[bool] = mapped_column(Boolean, default=False,
                                                       server_default=false())
    #: bumped by every admin edit: a form sent with an older version is refused, not applied
    version: Mapped[int] = mapped_column(Integer, default=1, server_default="1")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    region = relationship("Region")
    department = relationship("Department")
    memberships = relationship("GridMember", lazy="selectin")

    @property
    def is_active(self) -> bool:  # Flask-Login: disabled users cannot log in
        return self.is_enabled

    def get_id(self) -> str:  # Flask-Login keeps this in the session cookie
        return f"{self.id}.{self.session_epoch or 0}"

    @property
    def grid_ids(self) -> set[int]:
        return {m.grid_id for m in self.memberships}


class LoginFailure(db.Model):
    """One failed login, kept for the lockout window. Counted per (username, IP), per IP and
    per username, so one address cannot lock an account out for everyone else; the username is
    stored as typed, so an unknown name is counted (and answered) exactly like a real one."""
    __tablename__ = "login_failure"
    __table_args__ = (Index("ix_login_failure_username_at", "username", "at"),
                      Index("ix_login_failure_ip_at", "ip", "at"),
                      Index("ix_login_failure_at", "at"))

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(64))
    ip: Mapped[str] = mapped_column(String(45))
    at: Mapped[datetime] = mapped_column(UTCDateTime)


class ApiToken(db.Model):
    __tablename__ = "api_token"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id"), index=True)
    #: sha256 of the bearer token; the token itself is shown once and never stored
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)

    user: Mapped[User] = relationship()
