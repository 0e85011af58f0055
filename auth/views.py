"""Login, logout and language choice."""
from urllib.parse import urlsplit

from flask import Blueprint, current_app, flash, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required, login_user, logout_user
from flask_wtf import FlaskForm
from wtforms import PasswordField, StringField
from wtforms.validators import DataRequired, Length

from auth.services import authenticate, current_lockouts, end_sessions, unlock
from audit.services import record
from core import clock
from core.database import write_transaction
from core.errors import InvalidInput, TooManyAttempts, Unauthorized
from core.roles import role_required

bp = Blueprint("auth", __name__)


class LoginForm(FlaskForm):
    username = StringField("用户名", validators=[DataRequired(), Length(max=64)])
    password = PasswordField("密码", validators=[DataRequired(), Length(max=256)])


def _safe_next(target: str | None) -> str:
    if target and urlsplit(target).netloc == "" and target.startswith("/") \
            and not target.startswith("//"):
        return target
    return url_for("events.index")


def _fresh_session() -> None:
    """A new session on login and logout (no fixation), keeping the chosen language."""
    lang = session.get("lang")
    session.clear()
    if lang:
        session["lang"] = lang


@bp.route("/login", methods=["GET", "POST"])
def login():
    if current_user.is_authenticated:
        return redirect(url_for("events.index"))
    form = LoginForm()
    status = 200
    if form.validate_on_submit():
        try:
            user = authenticate(form.username.data.strip(), form.password.data,
                                clock.utcnow(), request.remote_addr)
            error = None
        except (Unauthorized, TooManyAttempts) as failure:
            error = failure
        if error is not None:
            form.password.errors.append(error.message)
            status = error.status
        else:
            _fresh_session()
            login_user(user)
            return redirect(_safe_next(request.args.get("next")))
    elif request.method == "POST":
        status = 422
    return render_template("auth/login.html", form=form), status


@bp.post("/logout")
@login_required
def logout():
    with write_transaction():  # every session of this user ends, not only this one
        end_sessions(current_user._get_current_object())
    logout_user()
    _fresh_session()
    flash(_("已退出登录"))
    return redirect(url_for("auth.login"))


@bp.get("/lang/<code>")
def set_language(code: str):
    if code in ("zh_CN", "en"):
        session["lang"] = code
    return redirect(_safe_next(request.args.get("next") or request.referrer and
                               urlsplit(request.referrer).path))


@bp.route("/admin/logins", methods=["GET", "POST"])
@role_required("admin")
def lockouts():
    """Admins see who is locked out of logging in, and lift a lockout."""
    if request.method == "POST":
        username = (request.form.get("username") or "").strip() or None
        ip = (request.form.get("ip") or "").strip() or None
        try:
            with write_transaction():
                forgotten = unlock(username=username, ip=ip)
                record(current_user, "login", " · ".join(p for p in (username, ip) if p),
                       "unlock", {"locked_failures": forgotten}, {"locked_failures": 0})
        except InvalidInput as error:
            flash(error.message, "error")
        else:
            who = " · ".join(part for part in (username, ip) if part)
            flash(_("已解除 %(who)s 的登录锁定（清除 %(num)s 次失败记录）", who=who,
                    num=forgotten))
        return redirect(url_for("auth.lockouts")), 303
    return render_template("auth/lockouts.html", lockouts=current_lockouts(clock.utcnow()),
                           limits=current_app.config)
