"""What the grid worker's home shows: the queue in tabs with their counts, most urgent first,
read through the workbench's filters (events.filters) so the scope and the order are the
desk's own."""
from sqlalchemy import func, select

from core.extensions import db
from events import lifecycle
from events.filters import apply_filters, read_page
from events.models import Category, Event

OPEN_STATES = ",".join(sorted(lifecycle.OPEN_STATES))

#: the home's tabs: key → (label, the workbench filters it applies, for this user)
TABS = {
    "todo": lambda user: {"mine": True},
    "verify": lambda user: {"mine": True, "state": lifecycle.REPORTED},
    "check": lambda user: {"mine": True, "state": lifecycle.HANDLED},
    "reported": lambda user: {"reported_by": user.id, "state": OPEN_STATES},
    "overdue": lambda user: {"overdue": True, "state": OPEN_STATES},
}
PAGE_SIZE = 30


def tab_args(user, tab: str) -> dict:
    return TABS.get(tab, TABS["todo"])(user)


def counts(user, now) -> dict[str, int]:
    """How many cases each tab holds (one COUNT each, within the worker's grids)."""
    return {tab: db.session.scalar(select(func.count()).select_from(
        apply_filters(select(Event.id), user, tab_args(user, tab), now).subquery()))
        for tab in TABS}


def rows(user, tab: str):
    """The tab's cases, running clocks first (the most overdue on top), then the rest."""
    return read_page(user, tab_args(user, tab), "urgency", None, PAGE_SIZE)


def most_used_categories(user, limit: int = 8) -> list[str]:
    """The codes of the categories this worker reports most, most used first."""
    return list(db.session.scalars(
        select(Category.code).join(Event, Event.category_id == Category.id)
        .where(Event.reporter_id == user.id, Category.is_active.is_(True))
        .group_by(Category.code).order_by(func.count().desc(), Category.code).limit(limit)))


def open_cases(user, limit: int):
    """The open cases in the worker's grids, most urgent first (the map's pins)."""
    return read_page(user, {"state": OPEN_STATES}, "urgency", None, limit)
