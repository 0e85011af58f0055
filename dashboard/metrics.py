"""综合评价: each metric defined once — its name, label, formula as shown on the pages and in
the README — and the composite score (综合指标值) with its grade. Pure: plain numbers in, plain
numbers out; no Flask, no SQLAlchemy (a test keeps it so), tested like the lifecycle.

The counts a period yields come from dashboard/stats.py; `rates()` turns them into the
fractions the API answers (0–1, None when the denominator is 0)."""
from dataclasses import dataclass


def N_(text: str) -> str:
    """Marks a label or formula for the catalogue (`make extract`); the pages translate it."""
    return text


@dataclass(frozen=True)
class Metric:
    key: str
    label: str
    #: the formula as a person reads it (the info icon on the pages, the README)
    formula: str
    #: numerator and denominator count names (rates only)
    of: tuple[str, str] | None = None
    #: a rate where less is better (返工率, 超期率 …)
    lower_is_better: bool = False


METRICS = (
    Metric("reported", N_("上报数"), N_("期内上报的案件数（按来源：巡查、群众、热线、Open311）")),
    Metric("valid_report_rate", N_("有效上报率"), N_("（上报数 − 不予立案数）÷ 上报数"),
           of=("valid_reports", "reported")),
    Metric("filed", N_("立案数"), N_("期内立案的案件数")),
    Metric("due_to_close", N_("应结案数"),
           N_("期内立案、到期末已结案或已超过处置时限的案件数（挂账中的不计）")),
    Metric("closed", N_("结案数"), N_("应结案中到期末已结案的案件数")),
    Metric("closed_on_time", N_("按期结案数"), N_("结案数中处置在（延期后的）时限内完成的案件数")),
    Metric("close_rate", N_("结案率"), N_("结案数 ÷ 应结案数"), of=("closed", "due_to_close")),
    Metric("on_time_close_rate", N_("按期结案率"), N_("按期结案数 ÷ 应结案数"),
           of=("closed_on_time", "due_to_close")),
    Metric("on_time_handle_rate", N_("按期处置率"),
           N_("期内完成的处置中在（延期后的）时限内完成的比例"), of=("handled_on_time", "handled")),
    Metric("rework_rate", N_("返工率"), N_("期内立案案件的返工次数 ÷ 应结案数"),
           of=("reworks", "due_to_close"), lower_is_better=True),
    Metric("extension_rate", N_("延期率"), N_("获批延期的案件数 ÷ 立案数"),
           of=("extended", "filed"), lower_is_better=True),
    Metric("return_rate", N_("回退率"), N_("被回退过的案件数 ÷ 立案数"),
           of=("returned", "filed"), lower_is_better=True),
    Metric("overdue_now", N_("超期数"), N_("此刻在办且已超过当前环节时限的案件数（挂账中的不计）")),
    Metric("overdue_rate", N_("超期率"), N_("超期数 ÷ 此刻在办的案件数"),
           of=("overdue_now", "open_now"), lower_is_better=True),
    Metric("avg_handle_hours", N_("平均处置时长"), N_("期内完成的处置平均用时（工作时；紧急案件按自然时）")),
    Metric("on_time_verify_rate", N_("按时核实率"), N_("期内完成的核实中在时限内完成的比例"),
           of=("verified_on_time", "verified")),
    Metric("on_time_check_rate", N_("按时核查率"), N_("期内完成的核查中在时限内完成的比例"),
           of=("checked_on_time", "checked")),
    Metric("proactive_rate", N_("主动发现率"), N_("网格员巡查发现并立案的案件数 ÷ 立案数"),
           of=("patrol_filed", "filed")),
    Metric("satisfaction_rate", N_("满意率"), N_("（满意 + 基本满意）÷ 评价数"),
           of=("satisfied", "rated")),
    # the plan's duties beside the cases (dashboard/duties.py): towns and grids only
    Metric("snow_on_time_rate", N_("清雪及时率"),
           N_("期内到期的清雪任务中按时限清除的比例（雪停后按道路等级和降雪等级计时）"),
           of=("snow_on_time", "snow_tasks")),
    Metric("care_coverage_rate", N_("巡访覆盖率"),
           N_("期内应走访的留守老人走访中按时（应走访日当天或之前）完成的比例"),
           of=("care_on_time", "care_due")),
)
BY_KEY = {metric.key: metric for metric in METRICS}
RATES = tuple(metric for metric in METRICS if metric.of)
#: rates of a place's duties (towns, grids), not of a department's or a worker's cases
DUTY_RATES = ("snow_on_time_rate", "care_coverage_rate")

#: 综合指标值 weights for towns (issue 11, the plan's 考核): points out of 100; the 返工率
#: term scores (1 − 返工率)
TOWN_WEIGHTS = {"on_time_close_rate": 40, "close_rate": 25, "satisfaction_rate": 15,
                "proactive_rate": 10, "rework_rate": 10}
DEPARTMENT_WEIGHTS = {"on_time_handle_rate": 40, "close_rate": 20, "rework_rate": 20,
                      "satisfaction_rate": 20}
WORKER_WEIGHTS = {"on_time_verify_rate": 30, "on_time_check_rate": 30, "proactive_rate": 40}
#: A ≥ 90, B ≥ 75, C ≥ 60, D ≥ 40, E below
GRADES = ((90, "A"), (75, "B"), (60, "C"), (40, "D"))


def ratio(numerator: float, denominator: float) -> float | None:
    """A fraction 0–1, or None when there is nothing to divide by."""
    return None if not denominator else numerator / denominator


def rates(counts: dict) -> dict:
    """Every rate of METRICS from the counts (missing counts read as 0)."""
    return {metric.key: ratio(counts.get(metric.of[0], 0), counts.get(metric.of[1], 0))
            for metric in RATES}


def score(values: dict, weights: dict) -> float | None:
    """综合指标值 0–100: the weighted mean of the weighted rates, a lower-is-better rate
    counting as (1 − rate). A rate without a denominator (None) leaves the mean, its weight
    with it, so a town is judged on what it had; None when none of them has a value."""
    total = points = 0.0
    for key, weight in weights.items():
        value = values.get(key)
        if value is None or weight <= 0:
            continue
        good = 1 - value if BY_KEY[key].lower_is_better else value
        points += weight * min(max(good, 0.0), 1.0)
        total += weight
    return None if not total else round(100 * points / total, 1)


def grade(value: float | None) -> str | None:
    if value is None:
        return None
    return next((letter for floor, letter in GRADES if value >= floor), "E")
