"""系统管理 (/admin): the admins' home — every administration page of every feature, one
click away, with what it is for. Dispatchers see the part they manage in their town. The
pages themselves live with the data they edit and share templates/admin/_tabs.html."""
from flask import Blueprint, render_template

from core.roles import role_required

bp = Blueprint("admin", __name__)


@bp.get("/admin")
@role_required("admin", "dispatcher")
def index():
    return render_template("admin/index.html")
