"""The category catalogue: loaded from data/categories.csv (the project's own copy)."""
import csv
from pathlib import Path

from sqlalchemy import select

from core.config import BASE_DIR
from core.extensions import db
from events.models import Category

CATALOGUE = BASE_DIR / "data" / "categories.csv"

#: Stage limits in minutes: 核实, 立案+派遣, 签收, 核查. 一般 and 分阶段 cases count working
#: minutes, 紧急 cases natural minutes. Chosen for towns: a grid worker verifies within a
#: quarter of a working day, the command centre dispatches and the unit signs within an hour,
#: the check after handling within half a working day; urgent cases get a quarter of that.
STAGE_LIMITS = {
    "一般": {"verify": 120, "dispatch": 60, "accept": 60, "check": 240},
    "分阶段": {"verify": 120, "dispatch": 60, "accept": 60, "check": 240},
    "紧急": {"verify": 30, "dispatch": 15, "accept": 15, "check": 60},
}
UNITS = ("wh", "wd", "h")


VERIFIERS = ("grid_worker", "dispatcher")
#: the eight most common problems, offered as big tiles on the residents' form and the
#: hotline page (icons are emoji: no bytes to download)
COMMON_CATEGORIES = (("06010", "🗑️"), ("06042", "🚮"), ("10001", "❄️"), ("06001", "🏚️"),
                     ("09006", "🛒"), ("09009", "🚗"), ("10002", "🔌"), ("06025", "💧"))
#: 其他问题: what fits no category; the town's dispatchers verify it (Category.verifier)
OTHER_CATEGORY = "99001"


def load_categories(path: Path = CATALOGUE) -> tuple[int, int]:
    """Insert new categories and update changed ones; returns (added, updated)."""
    added = updated = 0
    with open(path, encoding="utf-8", newline="") as handle:
        for row in csv.DictReader(handle):
            if row["urgency"] not in STAGE_LIMITS or row["unit"] not in UNITS:
                raise ValueError(f"category {row['code']}: bad urgency or unit")
            limits = STAGE_LIMITS[row["urgency"]]
            values = dict(
                code=row["code"], name=row["name"], major_code=row["major_code"],
                major_name=row["major_name"], urgency=row["urgency"],
                limit_value=float(row["limit"]), limit_unit=row["unit"],
                default_department=row["department"],
                seed_item=int(row["seed_item"]) if row["seed_item"] else None,
                filing_criteria=row["filing_criteria"], closing_criteria=row["closing_criteria"],
                verify_limit_min=limits["verify"], dispatch_limit_min=limits["dispatch"],
                accept_limit_min=limits["accept"], check_limit_min=limits["check"],
                verifier=row.get("verifier") or "grid_worker")
            if values["verifier"] not in VERIFIERS:
                raise ValueError(f"category {row['code']}: bad verifier")
            category = db.session.scalar(select(Category).where(Category.code == row["code"]))
            if category is None:
                db.session.add(Category(**values))
                added += 1
            elif any(getattr(category, key) != value for key, value in values.items()):
                for key, value in values.items():
                    setattr(category, key, value)
                updated += 1
    db.session.flush()
    return added, updated
