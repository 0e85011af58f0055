"""Login, logout and language choice."""
from urllib.parse import urlsplit

from flask import Blueprint, flash, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required, login_user, logout_user
from flask_wtf import FlaskForm
from wtforms import PasswordField, StringField
from wtforms.validators import DataRequired, Length

from auth.models import User
from auth.services import authenticate, end_sessions
from core import clock
from core.database import write_transaction
from core.errors import Unauthorized
from core.extensions import db

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
        with write_transaction():  # a failure is counted too
            try:
                user = authenticate(form.username.data.strip(), form.password.data,
                                    clock.utcnow())
                error = None
            except Unauthorized as failure:
                error = failure
        if error is not None:
            form.password.errors.append(error.message)
            status = 401
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
    if current_user.is_authenticated:
        with write_transaction():  # every session of this user ends, not only this one
            end_sessions(db.session.get(User, current_user.id))
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
