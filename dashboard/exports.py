"""Every dashboard table as Excel or CSV (core/sheets.py: Chinese headers, real number,
percent and date cells, the header row frozen; CSV in UTF-8 with a BOM)."""
from flask_babel import gettext as _

from core.sheets import Column, to_csv, xlsx

__all__ = ["COLUMNS", "Column", "to_csv", "xlsx"]


def _unit_columns() -> list[Column]:
    from dashboard.metrics import BY_KEY
    columns = [Column(_("名称"), "name"), Column(_("代码"), "code")]
    for key in ("reported", "filed", "due_to_close", "closed", "closed_on_time", "close_rate",
                "on_time_close_rate", "on_time_handle_rate", "rework_rate", "extension_rate",
                "return_rate", "proactive_rate", "satisfaction_rate", "valid_report_rate",
                "overdue_now", "avg_handle_hours", "snow_on_time_rate", "care_coverage_rate"):
        kind = "rate" if BY_KEY[key].of else ("float" if key == "avg_handle_hours" else "int")
        columns.append(Column(_(BY_KEY[key].label), key, kind))
    return columns + [Column(_("综合指标值"), "score", "float"), Column(_("等级"), "grade")]


#: each table's columns, made in the request (their headers in the user's language)
COLUMNS = {
    "units": _unit_columns,
    "overdue": lambda: [Column(_("编号"), "number"), Column(_("类别"), "category"),
                        Column(_("网格"), "grid"), Column(_("当前办理"), "holder"),
                        Column(_("处置时限"), "due_at", "datetime"),
                        Column(_("超期小时"), "late_hours", "float")],
    "rankings": lambda: [Column(_("名次"), "rank", "int"), Column(_("名称"), "name"),
                         Column(_("代码"), "code"), Column(_("综合指标值"), "score", "float"),
                         Column(_("等级"), "grade"), Column(_("考核结果"), "mark")],
}
