"""Tables as Excel (openpyxl: Chinese headers, real number, percent and date
cells, the header row frozen) or CSV (UTF-8 with a BOM, so Excel reads the Chinese)."""
import csv
import io
from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from flask import current_app

#: how a column's cells are written: text, whole numbers, fractions shown as per cent,
#: decimals, and local date-times
KINDS = ("text", "int", "rate", "float", "datetime")
FORMATS = {"int": "0", "rate": "0.0%", "float": "0.0", "datetime": "yyyy-mm-dd hh:mm"}


@dataclass(frozen=True)
class Column:
    header: str
    key: str
    kind: str = "text"


#: a text starting so is a formula to a spreadsheet (CSV injection): kept as text
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def _cell(value, kind: str):
    if value is None:
        return None
    if kind == "text" and isinstance(value, str) and value.startswith(FORMULA_START):
        return "'" + value
    if kind == "datetime":  # Excel has no zones: the towns' wall-clock time
        zone = ZoneInfo(current_app.config["LOCAL_TIMEZONE"])
        return value.astimezone(zone).replace(tzinfo=None)
    return value


def xlsx(title: str, columns: list[Column], rows: list[dict]) -> bytes:
    # openpyxl (~19 MiB) is imported by the first export, not by every web worker
    from openpyxl import Workbook
    from openpyxl.styles import Font
    from openpyxl.utils import get_column_letter
    book = Workbook()
    sheet = book.active
    sheet.title = title[:31]  # Excel's limit on a sheet's name
    sheet.append([column.header for column in columns])
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    for row in rows:
        sheet.append([_cell(row.get(column.key), column.kind) for column in columns])
    for index, column in enumerate(columns, start=1):
        letter = get_column_letter(index)
        width = max([len(str(column.header)) * 2] + [len(str(row.get(column.key) or ""))
                                                    for row in rows[:200]])
        sheet.column_dimensions[letter].width = min(max(width + 2, 8), 40)
        if column.kind in FORMATS:
            for cell in sheet[letter][1:]:
                cell.number_format = FORMATS[column.kind]
    sheet.freeze_panes = "A2"
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def to_csv(columns: list[Column], rows: list[dict]) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow([column.header for column in columns])
    for row in rows:
        values = []
        for column in columns:
            value = _cell(row.get(column.key), column.kind)
            if isinstance(value, datetime):
                value = value.strftime("%Y-%m-%d %H:%M")
            elif column.kind == "rate" and value is not None:
                value = f"{value * 100:.1f}%"
            values.append("" if value is None else value)
        writer.writerow(values)
    return ("\ufeff" + out.getvalue()).encode("utf-8")
