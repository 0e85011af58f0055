"""考核排名: the plan's rules for ranking towns (or departments) by their 综合指标值 — pure,
tested like the lifecycle. "对综合考核前5名的省级示范镇通报表扬，对排名靠后的省级示范镇通报批评，
…对连续两年考核靠后的予以淘汰，由考核优秀的市级示范镇递补" (the provincial plan).

- Order: score, highest first. Ties are broken by 按期结案率, then 结案率 (higher first),
  then the division code (lower first), so every place is distinct and the order is the
  same on every run. A unit with no score (nothing to judge) comes last, unranked, unmarked.
- Marks: the first TOP_N are commended (通报表扬); the last BOTTOM_N ranked, never one of
  the commended, are criticised (通报批评). In a yearly ranking a criticised unit that was
  also among the last BOTTOM_N the year before is warned of elimination (淘汰预警).
- 递补: when someone is warned, the best-ranked 市级 town is named to take the place."""
from dataclasses import dataclass, replace

COMMEND, CRITICIZE, ELIMINATE_WARNING = "commend", "criticize", "eliminate_warning"
TOP_N, BOTTOM_N = 5, 5


@dataclass(frozen=True)
class Entry:
    code: str
    name: str
    score: float | None
    on_time_close_rate: float | None = None
    close_rate: float | None = None
    grade: str | None = None
    rank: int | None = None
    mark: str | None = None


def _key(entry: Entry):
    def high_first(value):
        return -(value if value is not None else -1.0)
    return (high_first(entry.on_time_close_rate), high_first(entry.close_rate), entry.code)


def rank(entries: list[Entry], *, top_n: int = TOP_N, bottom_n: int = BOTTOM_N,
         last_year_bottom: set[str] | frozenset = frozenset(), yearly: bool = False
         ) -> list[Entry]:
    """The entries in order with rank and mark. `last_year_bottom`: the codes among the last
    `bottom_n` of the year before (for 淘汰预警, only when `yearly`)."""
    scored = sorted((e for e in entries if e.score is not None),
                    key=lambda e: (-e.score, *_key(e)))
    unscored = sorted((e for e in entries if e.score is None), key=lambda e: e.code)
    commended = {e.code for e in scored[:top_n]}
    bottom = [e.code for e in scored[max(len(scored) - bottom_n, 0):] if e.code not in commended]
    ranked = []
    for place, entry in enumerate(scored, start=1):
        mark = None
        if entry.code in commended:
            mark = COMMEND
        elif entry.code in bottom:
            mark = ELIMINATE_WARNING if yearly and entry.code in last_year_bottom else CRITICIZE
        ranked.append(replace(entry, rank=place, mark=mark))
    return ranked + [replace(e, rank=None, mark=None) for e in unscored]


def bottom_codes(ranked: list[Entry]) -> set[str]:
    """The codes a ranking criticised or warned (its last BOTTOM_N, none of the commended)."""
    return {e.code for e in ranked if e.mark in (CRITICIZE, ELIMINATE_WARNING)}


def replacement_candidate(ranked: list[Entry], city_level: list[Entry]) -> Entry | None:
    """递补: the best-ranked 市级 town, when a ranking warned someone of elimination."""
    if not any(e.mark == ELIMINATE_WARNING for e in ranked):
        return None
    return next((e for e in city_level if e.rank is not None), None)
