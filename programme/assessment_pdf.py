"""年度考核报告 as a PDF (issue 15): the level's towns of the year in order with their three
parts, score, grade and mark, the weights they were scored with, and the 递补 proposed."""
import io
from zoneinfo import ZoneInfo

from programme.assessment import PARTS


def pdf(level: str, year: int, result, rows: list[dict], marks: dict, zone: str) -> bytes:
    from reportlab.lib import colors
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.styles import ParagraphStyle
    from reportlab.lib.units import mm
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.cidfonts import UnicodeCIDFont
    from reportlab.platypus import Paragraph, SimpleDocTemplate, Table, TableStyle

    from portal.posters import PDF_FONT
    if PDF_FONT not in pdfmetrics.getRegisteredFontNames():
        pdfmetrics.registerFont(UnicodeCIDFont(PDF_FONT))
    title = ParagraphStyle("title", fontName=PDF_FONT, fontSize=18, leading=26, alignment=1)
    heading = ParagraphStyle("heading", fontName=PDF_FONT, fontSize=13, leading=20,
                             spaceBefore=10, spaceAfter=4)
    body = ParagraphStyle("body", fontName=PDF_FONT, fontSize=10, leading=15, wordWrap="CJK")

    def shown(value):
        return "—" if value is None else f"{value:.1f}"

    done = result.published
    state = (f"已发布 · 文号 {done.document_no} · "
             f"{done.published_at.astimezone(ZoneInfo(zone)):%Y-%m-%d}" if done
             else "试算（尚未发布，数据变化时结果随之变化）")
    weights = "，".join(f"{part.label} {result.weights[part.key]}" for part in PARTS
                       if result.weights.get(part.key))
    story = [Paragraph(f"{year} 年度{level}示范镇考核报告", title),
             Paragraph(f"{state}。权重：{weights}；得分为有数据各部分的加权平均（0–100）。", body),
             Paragraph("考核结果", heading)]
    table = [["名次", "示范镇", *[part.label for part in PARTS], "总分", "等级", "考核结果"]]
    for row in rows:
        table.append([row["rank"] or "—", row["town_name"],
                      *[shown(row["parts"].get(part.key)) for part in PARTS],
                      shown(row["score"]), row["grade"] or "—", marks.get(row["mark"], "")])
    if len(table) == 1:
        table.append(["—", "辖区内没有这一级别的示范镇", "", "", "", "", "", ""])
    made = Table([[Paragraph(str(cell), body) for cell in line] for line in table],
                 colWidths=[w * mm for w in (13, 34, 20, 20, 20, 17, 13, 23)], repeatRows=1)
    made.setStyle(TableStyle([("GRID", (0, 0), (-1, -1), 0.5, colors.grey),
                              ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#e8eaed")),
                              ("VALIGN", (0, 0), (-1, -1), "MIDDLE")]))
    story.append(made)
    warned = [row["town_name"] for row in rows if row["mark"] == "eliminate_warning"]
    if warned:
        story.append(Paragraph("淘汰与递补", heading))
        candidate = result.candidate.name if result.candidate is not None else "暂无"
        story.append(Paragraph(f"连续两年考核靠后、给予淘汰预警：{'、'.join(warned)}；"
                               f"拟由考核优秀的市级示范镇递补：{candidate}。", body))
    out = io.BytesIO()
    SimpleDocTemplate(out, pagesize=A4, title=f"{year}年{level}示范镇考核报告",
                      leftMargin=15 * mm, rightMargin=15 * mm).build(story)
    return out.getvalue()
