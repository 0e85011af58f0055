"""年度考核 (issue 15): "每年按照标准严格督导考核". A level's demonstration towns of a year are
scored over three parts, each 0–100, weighted as the admins set them (the formula page):

- 建设进度 (construction): the milestones of the town's ledger due by 31 December of the
  year (earlier years' too: what should be done by then), weighted by their weights, at the percent complete as it stood at the year's
  end (a milestone last changed later: the latest monthly report on a month of the year);
- 治理成效 (governance): the town's 综合指标值 of the year from its cases (dashboard/stats.py,
  with the towns' weights);
- 环境责任 (duties): the mean of 清雪及时率 and 巡访覆盖率, those the town had.

A part the town has nothing for leaves the score with its weight (as metrics.score does);
no part at all: unscored, unranked. The order and the marks — 前5名通报表扬, 排名靠后通报批评,
连续两年靠后淘汰预警, the 市级 town to step up (递补) — are dashboard/ranking.py's, over the
whole province's towns of the level as the registry had them at the year's end
(programme/membership.py). A published assessment (发布, with its 文号) is kept as it was;
until then the page shows it as reckoned now (试算)."""
from dataclasses import dataclass, field
from datetime import date

from flask import current_app, g
from flask_babel import gettext as _
from sqlalchemy import delete, select
from sqlalchemy.exc import IntegrityError

from core import clock
from core.errors import Conflict, InvalidInput
from core.extensions import db
from dashboard import ranking
from dashboard.metrics import N_, grade
from dashboard.models import ScoreWeight
from dashboard.stats import Period, figures_by
from dashboard.weights import MAX_WEIGHT, current
from events.filters import local_day, local_midnight
from events.services import SYSTEM
from grid.models import Region
from programme import membership
from programme.models import (Assessment, AssessmentRow, LedgerMilestone, LedgerProject,
                              ProgrammeTown, ProgressLine, ProgressReport)


@dataclass(frozen=True)
class Part:
    key: str
    label: str
    formula: str


PARTS = (
    Part("construction", N_("建设进度"),
         N_("截至该年 12 月 31 日到期的台账节点（含往年到期的）按节点权重的平均完成比例；完成比例取"
            "年底时的数值（年底后改过的节点取当年最近一个月的月度调度）")),
    Part("governance", N_("治理成效"), N_("全年案件的综合指标值（按示范镇评分权重计算）")),
    Part("duties", N_("环境责任"), N_("清雪及时率与巡访覆盖率的平均（只计该镇有的一项或两项）")),
)
PART_KEYS = tuple(part.key for part in PARTS)
DEFAULT_WEIGHTS = {"construction": 40, "governance": 40, "duties": 20}
WEIGHT_KIND = "assessment"  # ScoreWeight.kind of the part weights
DUTY_KEYS = ("snow_on_time_rate", "care_coverage_rate")


def weights() -> dict:
    """part → weight as the admins set them, else DEFAULT_WEIGHTS (read once per request)."""
    if "assessment_weights" not in g:
        rows = db.session.execute(select(ScoreWeight.metric, ScoreWeight.weight).where(
            ScoreWeight.kind == WEIGHT_KIND)).all()
        g.assessment_weights = ({metric: weight for metric, weight in rows
                                 if metric in PART_KEYS and weight > 0}
                                if rows else dict(DEFAULT_WEIGHTS))
    return dict(g.assessment_weights)


def parse_weights(form) -> dict:
    chosen, wrong = {}, []
    for part in PARTS:
        raw = (form.get(part.key) or "").strip() or "0"
        if not (raw.isascii() and raw.isdigit()) or int(raw) > MAX_WEIGHT:
            wrong.append(part.key)
        elif int(raw):
            chosen[part.key] = int(raw)
    if wrong:
        raise InvalidInput(_("权重须为 0–%(max)s 的整数", max=MAX_WEIGHT),
                           fields={key: ["a whole number 0–100"] for key in wrong})
    if not chosen:
        raise InvalidInput(_("至少给一项设置大于 0 的权重"), fields={"weights": ["all zero"]})
    return chosen


def save_weights(actor, chosen: dict) -> None:
    """In the caller's write transaction (with its audit entry)."""
    g.pop("assessment_weights", None)
    db.session.execute(delete(ScoreWeight).where(ScoreWeight.kind == WEIGHT_KIND))
    for key, weight in chosen.items():
        db.session.add(ScoreWeight(kind=WEIGHT_KIND, metric=key, weight=weight,
                                   updated_at=clock.utcnow(), updated_by_id=actor.id))


def total(parts: dict, chosen: dict) -> float | None:
    """The weighted mean of the parts present, 0–100 to one place; None: none present."""
    points = weight_sum = 0.0
    for key, weight in chosen.items():
        if parts.get(key) is not None and weight > 0:
            points += weight * parts[key]
            weight_sum += weight
    return None if not weight_sum else round(points / weight_sum, 1)


def _round(value):
    return None if value is None else round(value, 1)


def construction(town_ids, year: int) -> dict[int, float | None]:
    """town_id → the 建设进度 part (None: nothing of its ledger due in the year)."""
    end = local_midnight(date(year + 1, 1, 1))
    milestones = db.session.execute(
        select(ProgrammeTown.town_id, LedgerMilestone.id, LedgerMilestone.weight,
               LedgerMilestone.percent, LedgerMilestone.reported_at)
        .join(LedgerProject, LedgerProject.entry_id == ProgrammeTown.id)
        .join(LedgerMilestone, LedgerMilestone.project_id == LedgerProject.id)
        .where(ProgrammeTown.town_id.in_(list(town_ids)),
               LedgerMilestone.due_on <= date(year, 12, 31))).all()
    reported: dict[int, int] = {}  # milestone → percent in the year's latest report on it
    if milestones:
        for milestone_id, percent in db.session.execute(
                select(ProgressLine.milestone_id, ProgressLine.percent)
                .join(ProgressReport, ProgressReport.id == ProgressLine.report_id)
                .where(ProgressLine.milestone_id.in_([row.id for row in milestones]),
                       ProgressReport.month <= date(year, 12, 1))
                .order_by(ProgressReport.month)):
            reported[milestone_id] = percent
    sums: dict[int, list] = {}
    for town_id, milestone_id, weight, percent, reported_at in milestones:
        if reported_at is None or reported_at >= end:
            percent = reported.get(milestone_id, 0) if reported_at is not None else 0
        got = sums.setdefault(town_id, [0.0, 0])
        got[0] += weight * percent
        got[1] += weight
    return {town_id: (_round(points / weights_) if weights_ else None)
            for town_id, (points, weights_) in sums.items()}


def duties(figures: dict) -> float | None:
    values = [figures.get(key) for key in DUTY_KEYS if figures.get(key) is not None]
    return _round(100 * sum(values) / len(values)) if values else None


@dataclass
class Result:
    weights: dict
    entries: list = field(default_factory=list)  # ranking.Entry in order
    parts: dict = field(default_factory=dict)    # code → {part: value}
    town_ids: dict = field(default_factory=dict)  # code → town id
    candidate: Region | None = None
    published: Assessment | None = None


def _day(year: int, now) -> date:
    """The registry's day a year is judged on: its last, or today while it runs."""
    return min(date(year, 12, 31), local_day(now))


def reckon(level: str, year: int, now, *, last_year_bottom=frozenset()) -> Result:
    """The year's assessment of `level` over the whole province, as the data say now."""
    chosen = weights()
    towns = db.session.execute(select(Region.id, Region.code, Region.name).where(
        Region.id.in_(membership.members(level, _day(year, now)) or [0]))
        .order_by(Region.code)).all()
    period = Period(date(year, 1, 1), date(year, 12, 31))
    found = figures_by(SYSTEM, {}, period, now, "town_id", current("town"), moment=False) \
        if towns else {}
    built = construction([town.id for town in towns], year) if towns else {}
    result = Result(chosen)
    entries = []
    for town_id, code, name in towns:
        figures = found.get(town_id, {})
        parts = {"construction": built.get(town_id), "governance": figures.get("score"),
                 "duties": duties(figures)}
        score = total(parts, chosen)
        result.parts[code], result.town_ids[code] = parts, town_id
        entries.append(ranking.Entry(code=code, name=name, score=score, grade=grade(score),
                                     on_time_close_rate=figures.get("on_time_close_rate"),
                                     close_rate=figures.get("close_rate")))
    result.entries = ranking.rank(entries, **_limits(), last_year_bottom=last_year_bottom,
                                  yearly=True)
    return result


def _limits() -> dict:
    return dict(top_n=current_app.config["RANKING_TOP_N"],
                bottom_n=current_app.config["RANKING_BOTTOM_N"])


def published(level: str, year: int) -> Assessment | None:
    return db.session.scalar(select(Assessment).where(Assessment.level == level,
                                                      Assessment.year == year))


def _stored(assessment: Assessment) -> Result:
    result = Result(assessment.weights,
                    candidate=assessment.candidate, published=assessment)
    for row in assessment.rows:
        result.entries.append(ranking.Entry(code=row.town_code, name=row.town_name,
                                            score=row.score, grade=row.grade, rank=row.rank,
                                            mark=row.mark))
        result.parts[row.town_code], result.town_ids[row.town_code] = row.parts, row.town_id
    return result


def assess(level: str, year: int, now) -> Result:
    """The year's assessment: as published, else reckoned now with the year before's bottom
    (as published, else reckoned) for 淘汰预警 and the 递补 candidate."""
    done = published(level, year)
    if done is not None:
        return _stored(done)
    before = published(level, year - 1)
    before = _stored(before) if before is not None else reckon(level, year - 1, now)
    result = reckon(level, year, now, last_year_bottom=ranking.bottom_codes(before.entries))
    if level == "省级" and any(e.mark == ranking.ELIMINATE_WARNING for e in result.entries):
        result.candidate = candidate(year, now)
    return result


def candidate(year: int, now) -> Region | None:
    """递补: the best 市级 town of the year's 市级 assessment still 市级 in the programme (its
    order: the year before changes marks only, so it is not reckoned)."""
    done = published("市级", year)
    city = _stored(done) if done is not None else reckon("市级", year, now)
    still = membership.members("市级", local_day(now))
    for entry in city.entries:
        if entry.rank is not None and city.town_ids[entry.code] in still:
            return db.session.get(Region, city.town_ids[entry.code])
    return None


def publish(actor, level: str, year: int, document_no: str, now) -> Assessment:
    """发布: the year's results kept as they stand (inside the caller's write unit)."""
    document_no = (document_no or "").strip()
    if not document_no or len(document_no) > 64:
        message = _("请填写考核结果的发布文号（不超过 64 字）")
        raise InvalidInput(message, fields={"document_no": [message]})
    if year >= local_day(now).year:
        message = _("当年的考核要到年度结束后才能发布")
        raise InvalidInput(message, fields={"year": [message]})
    result = assess(level, year, now)
    if result.published is not None:
        raise Conflict(_("%(year)s 年%(level)s示范镇考核结果已经发布", year=year, level=level))
    assessment = Assessment(year=year, level=level, published_at=now, actor_id=actor.id,
                            actor_name=actor.display_name, document_no=document_no,
                            weights=result.weights,
                            candidate_town_id=result.candidate.id if result.candidate else None)
    db.session.add(assessment)
    try:
        with db.session.begin_nested():
            db.session.flush()
    except IntegrityError:  # another admin published it a moment ago
        raise Conflict(_("%(year)s 年%(level)s示范镇考核结果已经发布", year=year,
                         level=level)) from None
    for position, entry in enumerate(result.entries, 1):
        db.session.add(AssessmentRow(
            assessment_id=assessment.id, town_id=result.town_ids[entry.code],
            position=position, town_code=entry.code, town_name=entry.name, score=entry.score,
            grade=entry.grade, parts=result.parts[entry.code], rank=entry.rank,
            mark=entry.mark))
    db.session.flush()
    return assessment


def visible(result: Result, user) -> list[dict]:
    """The result's rows the caller may see (an admin all, a supervisor the towns of their
    region), with the province-wide rank, as the pages and the API give them."""
    from auth.permissions import towns_under
    if user.role == "admin":
        seen = None
    elif user.role == "supervisor" and user.region is not None:
        seen = set(db.session.scalars(towns_under(user.region.path)))
    else:
        seen = set()
    return [{"town_code": e.code, "town_name": e.name, "score": e.score, "grade": e.grade,
             "parts": result.parts[e.code], "rank": e.rank, "mark": e.mark}
            for e in result.entries if seen is None or result.town_ids[e.code] in seen]


def parse_query(args, today: date) -> tuple[str, int]:
    """level (省级/市级/县级, or the API's provincial/city/county) and year (2020 – this year;
    by default the year before) of a query, or a 422 naming the field."""
    from programme.models import API_LEVELS, LEVELS
    level = args.get("level") or "省级"
    level = API_LEVELS.get(level, level)
    if level not in LEVELS:
        raise InvalidInput(_("级别须为 省级、市级 或 县级"),
                           fields={"level": ["provincial, city or county"]})
    text = args.get("year") or str(today.year - 1)
    if not (text.isascii() and text.isdigit() and 2020 <= int(text) <= today.year):
        raise InvalidInput(_("考核年度须在 2020 年至今年之间"),
                           fields={"year": [f"2020–{today.year}"]})
    return level, int(text)


def report(args, user, now) -> tuple[str, int, Result, list[dict]]:
    """(level, year, result, the rows `user` sees) of a query: the page, the PDF, the API."""
    level, year = parse_query(args, local_day(now))
    result = assess(level, year, now)
    return level, year, result, visible(result, user)
