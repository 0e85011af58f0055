"""评分权重: the admins' page for the 综合指标值's weights (dashboard/weights.py) — per kind
of unit scored, each rate's weight, the formula it makes, and a way back to the defaults."""
import hashlib

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from audit.services import record
from core.database import write_transaction
from core.errors import AppError
from core.roles import role_required
from dashboard import weights
from dashboard.views import bp


def version(kind: str) -> str:
    """The weights the form showed, as a digest: a save from an older page is refused."""
    shown = "默认" if weights.is_default(kind) else sorted(weights.current(kind).items())
    return hashlib.sha256(repr(shown).encode()).hexdigest()[:16]


def _page(status: int = 200, error: str | None = None, sent=None):
    """The page; after a refused form, that kind's inputs show what was typed."""
    sent = sent or {}
    kinds = []
    for kind in weights.KINDS.values():
        now = weights.current(kind.key)
        typed = sent.get("kind") == kind.key
        kinds.append({"key": kind.key, "label": kind.label,
                      "values": {m.key: sent.get(f"{kind.key}-{m.key}", "") if typed
                                 else now.get(m.key, 0) for m in kind.rates},
                      "rates": kind.rates, "version": version(kind.key),
                      "formula": weights.formula(now), "is_default": weights.is_default(kind.key),
                      "defaults": weights.formula(kind.defaults)})
    return render_template("dashboard/weights.html", kinds=kinds,
                           error=error, error_kind=sent.get("kind"),
                           max_weight=weights.MAX_WEIGHT), status


@bp.get("/dashboard/weights")
@role_required("admin")
def weights_page():
    return _page()


@bp.post("/dashboard/weights")
@role_required("admin")
def save_weights():
    kind = request.form.get("kind", "")
    try:
        reset = kind in weights.KINDS and request.form.get("reset")
        chosen = None if reset else weights.parse(kind, request.form)
    except AppError as error:
        return _page(error.status, error.message, request.form)
    with write_transaction():
        if request.form.get("version") not in (None, version(kind)):
            return _page(409, _("%(kind)s的权重已被他人修改：页面已显示最新权重，本次修改没有保存",
                                kind=weights.KINDS[kind].label), {"kind": kind})
        before = None if weights.is_default(kind) else weights.current(kind)
        weights.save(kind, chosen, current_user)
        record(current_user, "weights", {"town": "示范镇", "department": "责任单位",
                                         "worker": "网格员"}[kind], "update",
               {"weights": before or "默认"}, {"weights": chosen or "默认"})
    label = weights.KINDS[kind].label
    flash(_("已恢复%(kind)s的默认权重", kind=label) if chosen is None
          else _("已保存%(kind)s的评分权重：之后的综合指标值和排名都按新权重计算", kind=label), "success")
    return redirect(url_for("dashboard.weights_page"))
