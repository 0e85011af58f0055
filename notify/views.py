"""The bell's page: my notifications, mark read."""
from flask import Blueprint, redirect, render_template, request, url_for
from flask_login import current_user, login_required

from core import clock
from core.database import write_transaction
from notify.services import inbox, mark_read

bp = Blueprint("notify", __name__)


@bp.get("/notifications")
@login_required
def index():
    return render_template("notify/index.html", items=inbox(current_user, 100))


@bp.post("/notifications/read")
@login_required
def read():
    ids = [int(i) for i in request.form.getlist("id") if i.isdigit()] or None
    with write_transaction():
        mark_read(current_user, clock.utcnow(), ids)
    target = request.form.get("next")
    if target and target.startswith("/") and not target.startswith("//"):
        return redirect(target)
    return redirect(url_for("notify.index"))
