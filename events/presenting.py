"""A list's rows made ready for a page in Python, once a row (issue 8).

The workbench drew each of its twenty rows through a dozen template calls — the clock, its
stage's name, the badge's words, who holds the case, the time left, the source, two
dates — each a Jinja call through the request's translations: half of the page's render.
Here a row's words are put together in one pass with the request's catalogue, the time
zone and the stages' names looked up once a page, and the template only places them.
The case page's badge (`case_badge`) is made by the same function, so the two say the
same thing."""
from datetime import datetime
from typing import NamedTuple
from zoneinfo import ZoneInfo

from flask import current_app, url_for
from markupsafe import Markup, escape

from core import clock
from core.i18n import catalogue
from events import escalation
from events.labels import (SOURCE_NAMES, STATE_NAMES, holder_words, name_in, stage_names,
                           time_left_label)
from events.queries import summary


class Badge(NamedTuple):
    """A case's state and clock badges; a template draws them with `{{ badge }}` (the list's
    rows and the case page's heading alike)."""
    state: str  # the state's key (the badge's class)
    state_name: str
    color: str | None  # the running clock's colour; None without one
    stage: str  # the clock's stage in words (the badge's title)
    text: str  # 超期2级 · 处置时限 12-03 17:00 *
    paused: bool
    supervised: str  # 督办 ×2, or ""

    def __html__(self) -> str:
        """The badges' tags. Written here, not as a Jinja macro: a macro's call cost ~5 µs,
        a fifth of a workbench row's render, twenty times a page (issue 8)."""
        tags = [f'<span class="state state-{escape(self.state)}">{escape(self.state_name)}</span>']
        if self.color:
            tags.append(f'<span class="clock clock-{escape(self.color)}" '
                        f'title="{escape(self.stage)}">{escape(self.text)}</span>')
        if self.supervised:
            tags.append(f'<span class="supervised">{escape(self.supervised)}</span>')
        return "\n".join(tags)


class CaseRow(NamedTuple):
    """One row of the workbench (templates/events/list.html)."""
    link: str
    number: str
    category_name: str
    grid_name: str
    address: str | None
    badge: Badge
    holder: str
    left: str  # 剩 3小时20分 / 超期 1天 while the clock runs; "" otherwise
    source: str
    reported: str  # 12-03 08:15, local time
    late: bool  # overdue and running: the row is marked


class _Page:
    """What every row of one page shares: now, the zone, the language's words."""

    def __init__(self, now: datetime):
        self.now = now
        self.zone = ZoneInfo(current_app.config["LOCAL_TIMEZONE"])
        self.year = now.astimezone(self.zone).year
        self.found = catalogue()
        self.stages = stage_names()

    def local(self, moment: datetime | None) -> str:
        """Month, day and time; the year too when it is not this year's (a case from last
        year must not read as this year's)."""
        if moment is None:
            return ""
        here = moment.astimezone(self.zone)
        return here.strftime("%m-%d %H:%M" if here.year == self.year else "%Y-%m-%d %H:%M")

    def badge(self, state: str, supervise_count, stage: str | None, due_at, warn_at, step,
              provisional) -> Badge:
        _ = self.found.ugettext
        supervised = (_("督办 ×%(num)s") % {"num": supervise_count}
                      if supervise_count else "")
        state_name = name_in(STATE_NAMES, state, self.found)
        if stage is None:
            return Badge(state, state_name, None, "", "", False, supervised)
        stage_name = self.stages.get(stage, stage)
        shown = escalation.signals(self.now, state, warn_at, due_at, step)
        words = {"stage": stage_name, "due": self.local(due_at), "level": shown.level}
        if shown.paused:
            text = _("计时暂停")
        elif shown.color == "red" and shown.level > 1:
            text = _("超期%(level)s级 · %(stage)s时限 %(due)s") % words
        elif shown.color == "red":
            text = _("超期 · %(stage)s时限 %(due)s") % words
        else:
            text = _("%(stage)s时限 %(due)s") % words
        if provisional:
            text += " *"
        return Badge(state, state_name, shown.color, stage_name, text, shown.paused, supervised)


def case_rows(rows, link, now: datetime) -> list[CaseRow]:
    """The workbench's rows from list rows (beginning with events.queries.SUMMARY_COLUMNS)
    at `now`; `link(case id)` is the case's page from this list."""
    page = _Page(now)
    found = page.found
    made = []
    for row in rows:
        s = summary(row)
        badge = page.badge(s.state, s.supervise_count, s.clock_stage, s.due_at, s.warn_at,
                           s.escalation_step, s.deadline_provisional)
        running = badge.color is not None and not badge.paused
        made.append(CaseRow(
            link(s.id), s.number, s.category_name, s.grid_name, s.address, badge,
            holder_words(s.state, s.category_verifier, s.department_name, found),
            time_left_label(s.due_at, now, found) if running else "",
            name_in(SOURCE_NAMES, s.source, found), page.local(s.created_at),
            running and badge.color == "red"))
    return made


def table_rows(rows: list[CaseRow]) -> Markup:
    """The workbench table's <tr>s (templates/events/list.html's <tbody>). Written here, as
    the filter form's options are (core.templating.options): a Jinja loop over twenty rows
    of nine cells spent ~16 µs a row on its lookups and escapes, a tenth of the page."""
    return Markup("".join(_table_row(row) for row in rows))


def _table_row(r: CaseRow) -> str:
    if r.left:
        left = f'<span class="clock clock-{escape(r.badge.color)}">{escape(r.left)}</span>'
    else:  # a paused clock's badge says 计时暂停 in the page's language
        left = escape(r.badge.text) if r.badge.paused else "—"
    return (f'<tr class="{"late" if r.late else ""}">'
            f'<td class="number"><a href="{escape(r.link)}">{escape(r.number)}</a></td>'
            f'<td class="category"><strong>{escape(r.category_name)}</strong></td>'
            f'<td class="grid">{escape(r.grid_name)}</td>'
            f'<td class="address">{escape(r.address or "—")}</td>'
            f'<td class="badges">{escape(r.badge)}</td>'
            f'<td class="holder">{escape(r.holder)}</td>'
            f'<td class="left">{left}</td>'
            f'<td class="source">{escape(r.source)}</td>'
            f'<td class="reported">{escape(r.reported)}</td></tr>\n')


def case_badge(event) -> Badge:
    """A case's badge (the case page's heading), now."""
    return _Page(clock.utcnow()).badge(
        event.state, event.supervise_count, event.clock_stage, event.due_at, event.warn_at,
        event.escalation_step, event.deadline_provisional)


def case_links(back: str | None = None):
    """case id → its page (with ?back= the list it was opened from): the route built once
    for a page, not once a row."""
    sample = url_for("events.show_event", event_id=SAMPLE_ID, back=back)
    head, tail = sample.split(str(SAMPLE_ID), 1)  # the path's id comes before the query
    return lambda event_id: f"{head}{int(event_id)}{tail}"


SAMPLE_ID = 987654321
