"""月度通报: what a county (or city, or town) office sends out for a month — the headline
figures against the month before, the towns' rankings with commendation and criticism, the
longest-overdue cases and who holds them, the categories and grids most reported. One set
of facts (`facts`), printed two ways: the page (`templates/dashboard/bulletin.html`, clean
on A4) and the PDF (`pdf`, reportlab with its built-in Chinese font)."""
import io
import re
from dataclasses import dataclass
from datetime import date

from flask_babel import gettext as _

from core.errors import InvalidInput
from dashboard import board, metrics
from dashboard.rankings import LEVELS, rank_towns, towns_of_level
from dashboard.stats import Moment, Period, figures
from events.labels import holder_label, time_left_label

_MONTH = re.compile(r"^(\d{4})-(0[1-9]|1[0-2])$")
#: the headline rows: figure, and whether a rise is good news
HEADLINE = ("reported", "filed", "due_to_close", "closed", "close_rate", "on_time_close_rate",
            "on_time_handle_rate", "rework_rate", "proactive_rate", "satisfaction_rate")
MARK_WORDS = {"commend": "通报表扬", "criticize": "通报批评", "eliminate_warning": "淘汰预警"}


@dataclass(frozen=True)
class RegionViewer:
    """Reads as a supervisor of `region` would: the bulletin of a region, for the CLI too."""
    region: object
    role: str = "supervisor"
    id: None = None


def parse_month(text: str) -> Period:
    found = _MONTH.match(text or "")
    if not found or not 2000 <= int(found.group(1)) <= 2200:
        raise InvalidInput(_("月份无效：如 2026-11"), fields={"month": ["expected YYYY-MM"]})
    year, month = int(found.group(1)), int(found.group(2))
    following = date(year + month // 12, month % 12 + 1, 1)
    return Period(date(year, month, 1), date.fromordinal(following.toordinal() - 1))


def _month_before(period: Period) -> Period:
    last = date.fromordinal(period.first.toordinal() - 1)
    return Period(last.replace(day=1), last)


def facts(region, month: str, now) -> dict:
    """Everything the bulletin says, as plain values."""
    viewer = RegionViewer(region)
    period = parse_month(month)
    before = _month_before(period)
    moment = Moment(viewer, {}, now)
    current, previous = (figures(viewer, {}, period, now, moment=moment),
                         figures(viewer, {}, before, now, moment=moment))
    headline = [{"key": key, "label": metrics.BY_KEY[key].label, "value": current[key],
                 "before": previous[key], "rate": bool(metrics.BY_KEY[key].of)}
                for key in HEADLINE]
    rankings = []
    for level in LEVELS:
        if towns_of_level(viewer, level):
            ranked = rank_towns(viewer, level, month, now)
            rankings.append({"level": LEVELS[level], "items": ranked["items"]})
    overdue = [{"number": row.number, "category": row.category_name, "grid": row.grid_name,
                "holder": holder_label(row), "late": time_left_label(row.due_at, now)}
               for row in board.overdue_board(viewer, {}, now, limit=10)]
    return {"title": f"{region.name}{period.first.year}年{period.first.month}月网格化治理工作通报",
            "region": region.name, "month": month, "period": period, "before": before,
            "score": current["score"], "grade": current["grade"],
            "headline": headline, "rankings": rankings, "overdue": overdue,
            "categories": board.top_categories(viewer, {}, period, now, 5),
            "grids": board.hot_grids(viewer, {}, period, now, 5)}


def shown(row: dict, value) -> str:
    if value is None:
        return "—"
    return f"{value * 100:.1f}%" if row["rate"] else str(value)


def change(row: dict) -> str:
    if row["value"] is None or row["before"] is None:
        return "—"
    delta = row["value"] - row["before"]
    if not delta:
        return "持平"
    arrow = "↑" if delta > 0 else "↓"
    return f"{arrow}{abs(delta) * 100:.1f}个百分点" if row["rate"] else f"{arrow}{abs(delta)}"


def pdf(made: dict) -> bytes:
    """The bulletin on A4 pages."""
    from reportlab.lib import colors
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.styles import ParagraphStyle
    from reportlab.lib.units import mm
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.cidfonts import UnicodeCIDFont
    from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

    from portal.posters import PDF_FONT
    if PDF_FONT not in pdfmetrics.getRegisteredFontNames():
        pdfmetrics.registerFont(UnicodeCIDFont(PDF_FONT))
    title = ParagraphStyle("title", fontName=PDF_FONT, fontSize=18, leading=26, alignment=1)
    heading = ParagraphStyle("heading", fontName=PDF_FONT, fontSize=13, leading=20,
                             spaceBefore=8, spaceAfter=4)
    body = ParagraphStyle("body", fontName=PDF_FONT, fontSize=10.5, leading=16,
                          wordWrap="CJK")

    def table(rows, widths):
        made_table = Table([[Paragraph(str(cell), body) for cell in row] for row in rows],
                           colWidths=[w * mm for w in widths], repeatRows=1)
        made_table.setStyle(TableStyle([
            ("GRID", (0, 0), (-1, -1), 0.5, colors.grey),
            ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#e8eaed")),
            ("VALIGN", (0, 0), (-1, -1), "MIDDLE")]))
        return made_table

    period = made["period"]
    story = [Paragraph(made["title"], title),
             Paragraph(f"统计期：{period.first.isoformat()} 至 {period.last.isoformat()}；"
                       f"综合指标值 {made['score'] if made['score'] is not None else '—'}"
                       f"{'（' + made['grade'] + '级）' if made['grade'] else ''}", body),
             Paragraph("一、总体情况", heading),
             table([["指标", "本月", "上月", "环比"]] + [
                 [row["label"], shown(row, row["value"]), shown(row, row["before"]), change(row)]
                 for row in made["headline"]], (55, 35, 35, 45))]
    story.append(Paragraph("二、考核排名", heading))
    if not made["rankings"]:
        story.append(Paragraph("辖区内没有示范镇。", body))
    for group in made["rankings"]:
        story.append(Paragraph(f"{group['level']}示范镇", body))
        story.append(table([["名次", "镇（街道）", "综合指标值", "等级", "考核结果"]] + [
            [item["rank"] or "—", item["town_name"],
             item["score"] if item["score"] is not None else "无数据", item["grade"] or "—",
             MARK_WORDS.get(item["mark"], "")] for item in group["items"]], (20, 50, 35, 25, 40)))
        story.append(Spacer(1, 4 * mm))
    story.append(Paragraph("三、超期未办结案件", heading))
    if made["overdue"]:
        story.append(table([["编号", "类别", "网格", "当前办理", "超期"]] + [
            [row["number"], row["category"], row["grid"], row["holder"], row["late"]]
            for row in made["overdue"]], (38, 30, 42, 32, 28)))
    else:
        story.append(Paragraph("没有超期案件。", body))
    story.append(Paragraph("四、问题类别与热点网格", heading))
    story.append(table([["上报最多的事项", "件数"]] + [list(row) for row in made["categories"]],
                       (110, 40)))
    story.append(Spacer(1, 3 * mm))
    story.append(table([["上报最多的网格", "镇（街道）", "件数"]] + [list(row) for row in made["grids"]],
                       (70, 50, 30)))
    out = io.BytesIO()
    document = SimpleDocTemplate(out, pagesize=A4, title=made["title"], leftMargin=20 * mm,
                                 rightMargin=20 * mm, topMargin=18 * mm, bottomMargin=18 * mm)
    document.build(story)
    return out.getvalue()
