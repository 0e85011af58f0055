"""The bell's page (消息): my tasks (待办) and alerts (提醒), grouped by case and kind,
filtered to the unread, marked read in bulk."""
from urllib.parse import urlsplit

from flask import Blueprint, redirect, render_template, request, url_for
from flask_login import current_user, login_required

from core import clock
from core.database import write_transaction
from core.inputs import is_id
from notify.services import BELL_CAP, grouped, inbox, mark_read, unread_counts

bp = Blueprint("notify", __name__)
TABS = ("tasks", "alerts", "all")
PAGE = 200


@bp.get("/notifications")
@login_required
def index():
    counts = unread_counts(current_user, cap=BELL_CAP)
    tab = request.args.get("tab")
    if tab not in TABS:  # open where the unread work is
        tab = "tasks" if counts["tasks"] or not counts["alerts"] else "alerts"
    unread_only = request.args.get("unread") == "1"
    items = inbox(current_user, PAGE, unread_only=unread_only,
                  kind=None if tab == "all" else tab)
    return render_template("notify/index.html", groups=grouped(items), tab=tab,
                           unread_only=unread_only, counts=counts)


@bp.post("/notifications/read")
@login_required
def read():
    ids = [int(part) for value in request.form.getlist("id") for part in value.split(",")
           if is_id(part)][:1000]
    everything = request.form.get("all") == "1"
    tab = request.form.get("tab")
    if everything or ids:
        with write_transaction():  # 全部标为已读 on a tab marks that tab's, not the other's
            mark_read(current_user, clock.utcnow(), None if everything else ids,
                      kind=tab if everything and tab in ("tasks", "alerts") else None)
    return redirect(_local_path(request.form.get("next") or "") or url_for("notify.index"))


def _local_path(target: str) -> str | None:
    """`target` if it is a path on this site: no scheme, no host, nothing a browser or
    Werkzeug would strip (tabs, newlines) to turn "/<tab>/x" into "//x"."""
    if not target.startswith("/") or target.startswith("//") or "\\" in target:
        return None
    if any(not ch.isprintable() or ch.isspace() for ch in target):
        return None
    parts = urlsplit(target)
    return target if not parts.scheme and not parts.netloc else None
