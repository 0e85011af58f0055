"""事项类别 and 责任清单 administration (issue 12): a category's form checked field by field,
the catalogue as CSV out and in (every row checked before any is saved), and the routing
of each category in a town. A case copies its stage's limit when the stage starts
(events/deadlines.py), so an edited limit applies to stages that start afterwards."""
import csv
import io
from functools import lru_cache

from flask_babel import gettext as _
from sqlalchemy import select

from core.config import BASE_DIR
from events.catalogue import STAGE_LIMITS, UNITS, VERIFIERS
from events.models import Category

#: the stages whose limits (in minutes) an admin sets, as the form and the CSV name them
STAGES = ("verify", "dispatch", "accept", "check")
MAX_LIMIT_MIN = 60 * 24 * 60  # 60 days
MAX_HANDLING = 1000
MAX_CRITERIA = 500
MAX_IMPORT_BYTES = 1_000_000
MAX_IMPORT_ROWS = 2_000
#: the CSV's columns: data/categories.csv's, then what only the pages set
CSV_COLUMNS = ("code", "name", "major_code", "major_name", "urgency", "limit", "unit",
               "department", "seed_item", "filing_criteria", "closing_criteria", "verifier",
               "verify_limit_min", "dispatch_limit_min", "accept_limit_min",
               "check_limit_min", "active", "auto_dispatch")


def _number(text, kind, low, high):
    try:
        value = kind(str(text).strip())
    except (TypeError, ValueError):
        return None
    return value if low <= value <= high else None


def check(raw: dict, *, new: bool) -> tuple[dict, dict]:
    """A category's fields from a form or a CSV row (text values): (values, errors), errors
    keyed by field with the message a person reads."""
    values, errors = {}, {}
    for name, limit in (("name", 64), ("default_department", 64)):
        values[name] = (raw.get(name) or "").strip()
        if not values[name] or len(values[name]) > limit:
            errors[name] = _("须为 1–%(num)s 个字符", num=limit)
    for name in ("filing_criteria", "closing_criteria"):
        values[name] = (raw.get(name) or "").strip()
        if len(values[name]) > MAX_CRITERIA:
            errors[name] = _("最多 %(num)s 个字符", num=MAX_CRITERIA)
    values["urgency"] = raw.get("urgency") or ""
    if values["urgency"] not in STAGE_LIMITS:
        errors["urgency"] = _("紧急程度须为 一般、紧急 或 分阶段")
    values["limit_unit"] = raw.get("limit_unit") or ""
    if values["limit_unit"] not in UNITS:
        errors["limit_unit"] = _("时限单位须为 工作时、工作日 或 小时")
    values["limit_value"] = _number(raw.get("limit_value"), float, 0.1, MAX_HANDLING)
    if values["limit_value"] is None:
        errors["limit_value"] = _("处置时限须为 0.1–%(max)s 的数", max=MAX_HANDLING)
    for stage in STAGES:
        key = f"{stage}_limit_min"
        values[key] = _number(raw.get(key), int, 1, MAX_LIMIT_MIN)
        if values[key] is None:
            errors[key] = _("须为 1–%(max)s 的整数（分钟）", max=MAX_LIMIT_MIN)
    values["verifier"] = raw.get("verifier") or "grid_worker"
    if values["verifier"] not in VERIFIERS:
        errors["verifier"] = _("核实人须为 网格员 或 派遣员")
    values["is_active"] = raw.get("is_active") in ("1", "true", "on", True)
    values["auto_dispatch"] = raw.get("auto_dispatch") in ("1", "true", "on", True)
    if new:
        code = (raw.get("code") or "").strip()
        if not (len(code) == 5 and code.isascii() and code.isdigit()):
            errors["code"] = _("代码须为 5 位数字")
        values["code"] = code
        values["major_code"] = code[:2]
        values["major_name"] = (raw.get("major_name") or "").strip()[:32]
        if not values["major_name"]:
            errors["major_name"] = _("请填写大类名称")
        seed = (raw.get("seed_item") or "").strip()
        values["seed_item"] = _number(seed, int, 1, 99) if seed else None
    return values, errors


def snapshot(category: Category) -> dict:
    return {key: getattr(category, key) for key in (
        "name", "urgency", "limit_value", "limit_unit", "default_department",
        "filing_criteria", "closing_criteria", *(f"{s}_limit_min" for s in STAGES),
        "verifier", "is_active", "auto_dispatch")}


def to_csv(categories) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(CSV_COLUMNS)
    for c in categories:
        writer.writerow([c.code, c.name, c.major_code, c.major_name, c.urgency,
                         f"{c.limit_value:g}", c.limit_unit, c.default_department,
                         c.seed_item or "", c.filing_criteria, c.closing_criteria, c.verifier,
                         c.verify_limit_min, c.dispatch_limit_min, c.accept_limit_min,
                         c.check_limit_min, int(bool(c.is_active)), int(bool(c.auto_dispatch))])
    return ("\ufeff" + out.getvalue()).encode("utf-8")


def read_csv(data: bytes, known: dict) -> tuple[list[dict], list[tuple[int, str]]]:
    """Rows of an uploaded catalogue, each checked: (rows to save, [(line, message)]).
    `known`: code → Category. Nothing is saved when any row is wrong."""
    if len(data) > MAX_IMPORT_BYTES:
        return [], [(0, _("文件过大：最多 %(num)s KB", num=MAX_IMPORT_BYTES // 1000))]
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        return [], [(0, _("文件须为 UTF-8 编码的 CSV（Excel 另存为“CSV UTF-8”）"))]
    reader = csv.DictReader(io.StringIO(text))
    missing = [c for c in ("code", "name", "urgency", "limit", "unit", "department")
               if c not in (reader.fieldnames or [])]
    if missing:
        return [], [(1, _("缺少列：%(columns)s", columns="、".join(missing)))]
    rows, problems, seen = [], [], set()
    for line, row in enumerate(reader, start=2):
        if line - 1 > MAX_IMPORT_ROWS:
            return [], [(line, _("行数过多：最多 %(num)s 行", num=MAX_IMPORT_ROWS))]
        code = (row.get("code") or "").strip()
        current = known.get(code)
        defaults = STAGE_LIMITS.get(row.get("urgency") or "", {})
        raw = {"name": row.get("name"), "default_department": row.get("department"),
               "filing_criteria": row.get("filing_criteria"),
               "closing_criteria": row.get("closing_criteria"), "urgency": row.get("urgency"),
               "limit_unit": row.get("unit"), "limit_value": row.get("limit"),
               "verifier": row.get("verifier") or "grid_worker", "code": code,
               "major_name": row.get("major_name"), "seed_item": row.get("seed_item"),
               "is_active": "1" if (row.get("active") or "1").strip() in ("1", "true") else "0",
               "auto_dispatch": (row.get("auto_dispatch") or "0").strip()}
        for stage in STAGES:
            given = (row.get(f"{stage}_limit_min") or "").strip()
            raw[f"{stage}_limit_min"] = given or (getattr(current, f"{stage}_limit_min")
                                                  if current else defaults.get(stage))
        values, errors = check(raw, new=current is None)
        if code in seen:
            errors["code"] = _("代码 %(code)s 重复", code=code)
        seen.add(code)
        if errors:
            problems.extend((line, f"{code or '—'}：{message}") for message in errors.values())
        else:
            rows.append(values | {"code": code})
    return rows, problems


@lru_cache(maxsize=1)
def responsibility_items() -> dict[int, dict]:
    """The plan's responsibility list (data/responsibility_list.csv): item → its text."""
    with open(BASE_DIR / "data" / "responsibility_list.csv", encoding="utf-8",
              newline="") as handle:
        return {int(row["item"]): row for row in csv.DictReader(handle)}


def categories_query():
    return select(Category).order_by(Category.code)
