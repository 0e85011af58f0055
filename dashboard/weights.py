"""The 综合指标值's weights as the admins set them (the settings page /dashboard/weights):
per kind of unit scored — demonstration towns, departments — a whole number 0–100 per rate
of metrics.RATES. A kind no admin has set scores with metrics' defaults. The score divides
by the weights' sum (metrics.score), so they need not add up to 100."""
from dataclasses import dataclass

from flask import g
from flask_babel import gettext as _, lazy_gettext as _l
from sqlalchemy import delete, select

from core import clock
from core.errors import InvalidInput
from core.extensions import db
from dashboard import metrics
from dashboard.models import ScoreWeight

MAX_WEIGHT = 100


@dataclass(frozen=True)
class Kind:
    key: str
    label: object
    defaults: dict
    #: the rates this kind's figures have (a grid worker has no 结案率 of their own)
    rates: tuple = metrics.RATES


KINDS = {kind.key: kind for kind in (
    Kind("town", _l("示范镇"), metrics.TOWN_WEIGHTS),
    Kind("department", _l("责任单位"), metrics.DEPARTMENT_WEIGHTS,
         tuple(rate for rate in metrics.RATES if rate.key not in metrics.DUTY_RATES)),
    Kind("worker", _l("网格员"), metrics.WORKER_WEIGHTS,
         tuple(metrics.BY_KEY[key] for key in metrics.WORKER_WEIGHTS)))}


def _stored(kind: str) -> dict | None:
    """The admins' weights for `kind`, None when they set none; read once per request."""
    cache = g.setdefault("score_weights", {})
    if kind not in cache:
        rows = db.session.execute(select(ScoreWeight.metric, ScoreWeight.weight)
                                  .where(ScoreWeight.kind == kind)).all()
        known = {rate.key for rate in KINDS[kind].rates}
        cache[kind] = {metric: weight for metric, weight in rows
                       if metric in known and weight > 0} if rows else None
    return cache[kind]


def current(kind: str) -> dict:
    """metric → weight for `kind`: the admins' if they set any, else the defaults."""
    stored = _stored(kind)
    return dict(KINDS[kind].defaults) if stored is None else stored


def is_default(kind: str) -> bool:
    return _stored(kind) is None


def parse(kind: str, form) -> dict:
    """The weights a form sends for `kind` (fields "<kind>-<metric>"), checked: whole
    numbers 0–100, at least one above 0. Raises InvalidInput naming each bad field."""
    if kind not in KINDS:
        raise InvalidInput(_("未知的评分对象"), fields={"kind": ["unknown kind"]})
    weights, errors = {}, {}
    for metric in KINDS[kind].rates:
        raw = (form.get(f"{kind}-{metric.key}") or "").strip() or "0"
        if not (raw.isascii() and raw.isdigit()) or int(raw) > MAX_WEIGHT:
            errors[metric.key] = _("%(metric)s 的权重须为 0–%(max)s 的整数",
                                   metric=_(metric.label), max=MAX_WEIGHT)
            continue
        if int(raw):
            weights[metric.key] = int(raw)
    if errors:
        raise InvalidInput("；".join(errors.values()),
                           fields={key: ["a whole number 0–100"] for key in errors})
    if not weights:
        raise InvalidInput(_("至少给一项指标设置大于 0 的权重"),
                           fields={"weights": ["all zero"]})
    return weights


def save(kind: str, weights: dict | None, user) -> None:
    """Replace `kind`'s weights (None: back to the defaults). In a write transaction."""
    g.pop("score_weights", None)
    db.session.execute(delete(ScoreWeight).where(ScoreWeight.kind == kind))
    now = clock.utcnow()
    for metric, weight in (weights or {}).items():
        db.session.add(ScoreWeight(kind=kind, metric=metric, weight=weight, updated_at=now,
                                   updated_by_id=user.id))


def formula(weights: dict) -> str:
    """"按期结案率×40 + 结案率×25 + (1 − 返工率)×10" as the pages print a score's formula,
    the heaviest first."""
    terms = []
    for metric in sorted(metrics.RATES, key=lambda m: -weights.get(m.key, 0)):
        weight = weights.get(metric.key)
        if weight:
            name = _(metric.label)
            terms.append(f"(1 − {name})×{weight}" if metric.lower_is_better else f"{name}×{weight}")
    return " + ".join(terms)
