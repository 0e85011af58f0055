"""综合评价's arithmetic (dashboard/metrics.py), pure: rates, the 综合指标值 and its grade."""
import pytest

from dashboard import metrics as m


def test_a_rate_without_a_denominator_is_none_not_zero():
    rates = m.rates({"closed": 3, "due_to_close": 4, "filed": 0})
    assert rates["close_rate"] == 0.75
    assert rates["proactive_rate"] is None  # nothing filed
    assert rates["satisfaction_rate"] is None  # nothing rated
    assert set(rates) == {metric.key for metric in m.RATES}


def test_every_metric_is_defined_once_with_a_label_and_a_formula():
    keys = [metric.key for metric in m.METRICS]
    assert len(keys) == len(set(keys))
    for metric in m.METRICS:
        assert metric.label and metric.formula
    for weights in (m.TOWN_WEIGHTS, m.DEPARTMENT_WEIGHTS, m.WORKER_WEIGHTS):
        assert sum(weights.values()) == 100
        assert set(weights) <= {metric.key for metric in m.RATES}


def test_the_town_score_weighs_the_plans_rates():
    perfect = {"on_time_close_rate": 1, "close_rate": 1, "satisfaction_rate": 1,
               "proactive_rate": 1, "rework_rate": 0}
    assert m.score(perfect, m.TOWN_WEIGHTS) == 100
    # every rework makes it worse: (1 − 返工率) counts
    assert m.score({**perfect, "rework_rate": 0.5}, m.TOWN_WEIGHTS) == 95
    half = {"on_time_close_rate": .5, "close_rate": .8, "satisfaction_rate": .9,
            "proactive_rate": .2, "rework_rate": .1}
    assert m.score(half, m.TOWN_WEIGHTS) == pytest.approx(
        (40 * .5 + 25 * .8 + 15 * .9 + 10 * .2 + 10 * .9), abs=0.05)


def test_a_missing_rate_leaves_the_mean_with_its_weight():
    # no ratings: judged on the other 85 points
    values = {"on_time_close_rate": 1, "close_rate": 1, "satisfaction_rate": None,
              "proactive_rate": 0, "rework_rate": 0}
    assert m.score(values, m.TOWN_WEIGHTS) == pytest.approx(100 * 75 / 85, abs=0.05)
    assert m.score({}, m.TOWN_WEIGHTS) is None
    assert m.score({"close_rate": 2}, {"close_rate": 10}) == 100  # clamped to 0–1


@pytest.mark.parametrize("value, letter", [(100, "A"), (90, "A"), (89.9, "B"), (75, "B"),
                                           (60, "C"), (59.9, "D"), (40, "D"), (39.9, "E"),
                                           (0, "E"), (None, None)])
def test_grades(value, letter):
    assert m.grade(value) == letter
