"""Users from a sheet (issue 12): an Excel or CSV sheet read into rows, each row turned into
the user form it stands for (names and codes of towns, grids and departments resolved) and
checked by auth.admin.parse, plus what only a sheet can get wrong (a username or a 网格长
twice). auth.admin_views creates everyone or nobody."""
import csv
import io

from flask_babel import gettext as _
from werkzeug.datastructures import MultiDict

from auth.admin import choices, parse
from auth.models import ROLES, User

#: the sheet's columns (Chinese headers; the English keys also accepted)
SHEET_COLUMNS = (("username", "用户名"), ("display_name", "姓名"), ("role", "角色"), ("town", "镇"),
                 ("grids", "网格"), ("leads", "网格长"), ("department", "部门"),
                 ("department_head", "部门负责人"), ("region", "督办区划"), ("email", "邮箱"),
                 ("phone", "手机"))
MAX_SHEET_BYTES = 2_000_000
MAX_SHEET_ROWS = 1_000
_YES = {"是", "1", "true", "yes", "y", "√", "✓"}


#: the roles as a sheet may name them (the pages' Chinese names, and the words people use)
SHEET_ROLES = {"网格员": "grid_worker", "信息员": "grid_worker", "派遣员": "dispatcher",
               "受理员": "dispatcher", "处置人员": "handler", "处置员": "handler",
               "督办领导": "supervisor", "督办": "supervisor", "系统管理员": "admin",
               "管理员": "admin"}


def _role_key(text: str) -> str:
    text = text.strip()
    return text if text in ROLES else SHEET_ROLES.get(text, text)


def sheet_rows(data: bytes, filename: str) -> tuple[list[dict], str | None]:
    """The rows of an uploaded .xlsx or .csv as {column key: text}, or an error message."""
    if len(data) > MAX_SHEET_BYTES:
        return [], _("文件过大：最多 %(num)s MB", num=MAX_SHEET_BYTES // 1_000_000)
    if filename.lower().endswith(".xlsx"):

        from openpyxl import load_workbook  # on the first sheet read, not in every worker
        try:
            book = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
        except Exception:  # noqa: BLE001 — any unreadable workbook is the same answer
            return [], _("无法读取这个 Excel 文件：请另存为 .xlsx 后重试")
        raw = []
        for row in book.active.iter_rows(values_only=True):
            raw.append(["" if v is None else str(v).strip() for v in row])
            if len(raw) > MAX_SHEET_ROWS + 1:
                break
    else:
        try:
            text = data.decode("utf-8-sig")
        except UnicodeDecodeError:
            return [], _("文件须为 .xlsx，或 UTF-8 编码的 CSV")
        raw = [[cell.strip() for cell in row] for row in csv.reader(io.StringIO(text))]
    raw = [row for row in raw if any(row)]
    if not raw:
        return [], _("表格是空的")
    if len(raw) > MAX_SHEET_ROWS + 1:
        return [], _("行数过多：一次最多 %(num)s 行", num=MAX_SHEET_ROWS)
    names = {header: key for key, header in SHEET_COLUMNS} | {key: key for key, _h in SHEET_COLUMNS}
    header = [names.get(cell) for cell in raw[0]]
    if "username" not in header or "role" not in header:
        return [], _("第一行须为表头，至少包括 用户名、姓名、角色")
    rows = []
    for cells in raw[1:]:
        rows.append({key: (cells[i] if i < len(cells) else "") for i, key in enumerate(header)
                     if key})
    return rows, None


def _split(text: str) -> list[str]:
    for mark in "，、；;\n":
        text = text.replace(mark, ",")
    return [part.strip() for part in text.split(",") if part.strip()]


def sheet_form(actor: User, row: dict, offered: dict):
    """A sheet row as the user form would send it (names and codes resolved to ids), so the
    form's own checks judge it."""
    towns = offered["towns"]
    town_text = row.get("town", "")
    town = next((t for t in towns if town_text in (t.name, t.code)), None)
    grid_by = {}
    for g in offered["grids"]:
        if town is None or g.town_id == town.id:
            grid_by[g.code] = g
            grid_by[g.name] = g
    department_text = row.get("department", "")
    department = next((d for d in offered["departments"]
                       if department_text in (d.code, d.name)
                       and (town is None or d.region_id == town.id)), None)
    region_text = row.get("region", "") or town_text
    region = next((r for r in offered["regions"] or towns if region_text in (r.name, r.code)),
                  None)
    form = MultiDict({"username": row.get("username", ""),
                      "display_name": row.get("display_name", ""),
                      "role": _role_key(row.get("role", "")), "email": row.get("email", ""),
                      "phone": row.get("phone", ""), "password": ""})
    unknown = {}
    if town_text:
        if town is None:
            unknown["town"] = _("没有名为（或代码为）%(name)s 的镇", name=town_text)
        else:
            form["town"] = str(town.id)
    if department_text:
        if department is None:
            unknown["department"] = _("没有名为（或代码为）%(name)s 的部门", name=department_text)
        else:
            form["department"] = str(department.id)
    if row.get("region"):
        if region is None:
            unknown["region"] = _("没有名为（或代码为）%(name)s 的区划", name=row["region"])
        else:
            form["region"] = str(region.id)
    for key in ("grids", "leads"):
        for name in _split(row.get(key, "")):
            grid = grid_by.get(name)
            if grid is None:
                unknown[key] = _("没有名为（或代码为）%(name)s 的网格", name=name)
            else:
                form.add(key, str(grid.id))
                if key == "leads" and str(grid.id) not in form.getlist("grids"):
                    form.add("grids", str(grid.id))
    if (row.get("department_head") or "").strip().lower() in _YES:
        form["department_head"] = "1"
    return form, unknown


def check_sheet(actor: User, rows: list[dict]) -> tuple[list[dict], list[tuple[int, str]]]:
    """Every row checked as the form checks one user, plus what only a sheet can get wrong
    (a username or a 网格长 twice): (values to create, [(line, message)])."""
    offered = choices(actor)
    problems, checked, usernames, leaders = [], [], {}, {}
    labels = {"username": _("用户名"), "display_name": _("姓名"), "role": _("角色"),
              "town": _("镇"), "grids": _("网格"), "leads": _("网格长"),
              "department": _("部门"), "region": _("督办区划"), "email": _("邮箱"),
              "phone": _("手机"), "password": _("密码")}
    for line, row in enumerate(rows, start=2):
        form, unknown = sheet_form(actor, row, offered)
        result = parse(actor, form, offered=offered)
        errors = {**result.errors, **unknown}
        username = form.get("username")
        if username and username in usernames:
            errors["username"] = _("用户名 %(username)s 与第 %(line)s 行重复", username=username,
                                   line=usernames[username])
        usernames.setdefault(username, line)
        for grid in result.values.get("leads") or []:
            if grid.id in leaders:
                errors["leads"] = _("%(grid)s 的网格长与第 %(line)s 行重复：一个网格只有一位网格长",
                                    grid=grid.name, line=leaders[grid.id])
            leaders.setdefault(grid.id, line)
        for field_name, message in errors.items():
            problems.append((line, f"{labels.get(field_name, field_name)}：{message}"))
        if not errors:
            checked.append(result.values)
    return checked, problems
