"""责任清单: which department a category goes to in a region."""
from sqlalchemy import select

from core.extensions import db
from events.models import Department, RoutingRule
from grid.models import Region


def suggest_department(category, town) -> Department | None:
    """The rule for this town, else the nearest ancestor region's, else the town's unit
    named like the category's default department."""
    codes = [code for code in town.path.split("/") if code]
    rules = db.session.execute(
        select(Region.code, Department)
        .join(RoutingRule, RoutingRule.region_id == Region.id)
        .join(Department, Department.id == RoutingRule.department_id)
        .where(RoutingRule.category_id == category.id, Region.code.in_(codes),
               Department.is_active.is_(True))).all()
    by_code = {code: department for code, department in rules}
    for code in reversed(codes):
        if code in by_code:
            return by_code[code]
    return db.session.scalar(select(Department).where(
        Department.region_id == town.id, Department.name == category.default_department,
        Department.is_active.is_(True)))
