"""考核排名's rules (dashboard/ranking.py), pure: order and ties, the top 5 commended, the
bottom N criticised, two years at the bottom warned of elimination, the 市级 town named to
take the place (递补)."""
from dashboard.ranking import (COMMEND, CRITICIZE, ELIMINATE_WARNING, Entry, bottom_codes, rank,
                               replacement_candidate)


def towns(*scores):
    return [Entry(code=f"T{n:02d}", name=f"镇{n}", score=score) for n, score in enumerate(scores)]


def test_twelve_towns_five_commended_five_criticised():
    ranked = rank(towns(88, 91, 45, 72, 66, 99, 30, 80, 55, 61, 77, 50))
    assert [e.score for e in ranked] == [99, 91, 88, 80, 77, 72, 66, 61, 55, 50, 45, 30]
    assert [e.rank for e in ranked] == list(range(1, 13))
    assert [e.mark for e in ranked] == [COMMEND] * 5 + [None] * 2 + [CRITICIZE] * 5


def test_a_small_level_never_criticises_the_commended():
    ranked = rank(towns(70, 80, 90, 60, 50, 40))  # six towns: five commended, one criticised
    assert [e.mark for e in ranked] == [COMMEND] * 5 + [CRITICIZE]
    assert [e.mark for e in rank(towns(70, 80))] == [COMMEND, COMMEND]
    assert rank([]) == []


def test_ties_are_broken_by_on_time_then_close_rate_then_code():
    tied = [Entry("B", "乙", 80, on_time_close_rate=.7, close_rate=.9),
            Entry("A", "甲", 80, on_time_close_rate=.7, close_rate=.9),
            Entry("C", "丙", 80, on_time_close_rate=.8, close_rate=.5),
            Entry("D", "丁", 80, on_time_close_rate=.7, close_rate=.95),
            Entry("E", "戊", 80, on_time_close_rate=None, close_rate=1)]
    assert [e.code for e in rank(tied)] == ["C", "D", "A", "B", "E"]
    # and the order does not depend on the order given
    assert [e.code for e in rank(list(reversed(tied)))] == ["C", "D", "A", "B", "E"]


def test_a_town_with_nothing_to_judge_is_listed_last_unranked():
    ranked = rank(towns(None, 70, 60), top_n=1, bottom_n=1)
    assert [(e.code, e.rank, e.mark) for e in ranked] == [
        ("T01", 1, COMMEND), ("T02", 2, CRITICIZE), ("T00", None, None)]


def test_two_years_at_the_bottom_is_an_elimination_warning_and_a_city_town_steps_up():
    last_year = rank(towns(90, 80, 70, 60, 50, 40, 30), top_n=2, bottom_n=2)
    assert bottom_codes(last_year) == {"T05", "T06"}
    this_year = rank(towns(90, 80, 70, 60, 50, 20, 35), top_n=2, bottom_n=2,
                     last_year_bottom=bottom_codes(last_year), yearly=True)
    marks = {e.code: e.mark for e in this_year}
    assert marks["T05"] == ELIMINATE_WARNING and marks["T06"] == ELIMINATE_WARNING
    # a month's or a quarter's ranking criticises, never warns of elimination
    monthly = rank(towns(90, 80, 70, 60, 50, 20, 35), top_n=2, bottom_n=2,
                   last_year_bottom=bottom_codes(last_year))
    assert {e.code: e.mark for e in monthly}["T05"] == CRITICIZE
    city = rank([Entry("C1", "市级甲", 70), Entry("C2", "市级乙", 95), Entry("C3", "市级丙", None)])
    assert replacement_candidate(this_year, city).code == "C2"
    assert replacement_candidate(monthly, city) is None  # no one warned: no one steps up
    assert replacement_candidate(this_year, rank([Entry("C3", "市级丙", None)])) is None
