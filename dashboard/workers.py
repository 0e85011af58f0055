"""网格员考核: each grid worker's 综合指标值 for a month, quarter or year — 按时核实率 and
按时核查率 from the stage runs they ended (events.models.StageRun.actor_id), 主动发现率 from
the cases their patrols found and had filed against all cases filed in their grids (from the
rollups) — ranked and marked like the departments (commended and criticised, never warned
of elimination). Weights: dashboard/weights.py ("worker")."""
from collections import defaultdict

from sqlalchemy import and_, func, select

from auth.models import User
from core.extensions import db
from dashboard import metrics, ranking
from dashboard.stats import Period, _count, period_counts_by
from dashboard.weights import current
from events.access import grid_scope_clause
from events.models import Event, StageRun
from grid.models import Grid, GridMember, Region


def workers_in_reach(user, town: str | None) -> list[tuple[int, str, str, set[int]]]:
    """(id, username, name, grid ids) of the enabled grid workers of the grids in reach —
    of one town when `town` names it."""
    grids = select(Grid.id).where(grid_scope_clause(user))
    if town:
        grids = grids.where(Grid.town_id == select(Region.id).where(
            Region.code == town).scalar_subquery())
    found: dict[int, tuple] = {}
    for row in db.session.execute(
            select(User.id, User.username, User.display_name, GridMember.grid_id)
            .join(GridMember, GridMember.user_id == User.id)
            .where(User.role == "grid_worker", User.is_enabled.is_(True),
                   GridMember.grid_id.in_(grids)).order_by(User.username)):
        found.setdefault(row.id, (row.id, row.username, row.display_name, set()))[3].add(
            row.grid_id)
    return list(found.values())


def worker_counts(user, workers, period: Period) -> dict[int, dict]:
    """user id → the counts their rates divide: verified / checked (on time) by them,
    patrol_filed by them, filed in their grids."""
    ids = [w[0] for w in workers]
    counts = {i: defaultdict(int) for i in ids}
    on_time = _count(StageRun.is_on_time.is_(True))
    for actor, stage, done, timely in db.session.execute(
            select(StageRun.actor_id, StageRun.stage, func.count(), on_time)
            .where(StageRun.stage.in_(("verify", "check")), StageRun.actor_id.in_(ids),
                   StageRun.ended_at >= period.start, StageRun.ended_at < period.end)
            .group_by(StageRun.actor_id, StageRun.stage)):
        name = "verified" if stage == "verify" else "checked"
        counts[actor][name] += done
        counts[actor][f"{name}_on_time"] += timely
    for reporter, found in db.session.execute(
            select(Event.reporter_id, func.count())
            .where(and_(Event.reporter_id.in_(ids), Event.source == "patrol",
                        Event.filed_at >= period.start, Event.filed_at < period.end))
            .group_by(Event.reporter_id)):
        counts[reporter]["patrol_filed"] += found
    filed = period_counts_by(user, {}, period, "grid_id")
    for worker_id, _username, _name, grid_ids in workers:
        counts[worker_id]["filed"] = sum(filed.get(g, {}).get("filed", 0) for g in grid_ids)
    return counts


def worker_entries(user, town: str | None, period: Period) -> list[ranking.Entry]:
    """Each grid worker in reach with their 综合指标值 (code: the username), unranked."""
    workers = workers_in_reach(user, town)
    counts = worker_counts(user, workers, period)
    weights = current("worker")
    entries = []
    for worker_id, username, name, _grids in workers:
        score = metrics.score(metrics.rates(counts[worker_id]), weights)
        entries.append(ranking.Entry(code=username, name=name, score=score,
                                     grade=metrics.grade(score)))
    return entries
