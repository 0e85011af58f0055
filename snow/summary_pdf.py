"""清雪作战总结 as a PDF (issue 14): the summary page's figures per town, the late points and
each grid's clearing photos (thumbnails, at most PHOTOS_PER_GRID a grid and MAX_PHOTOS in
all: a big county's file stays small enough to mail)."""
import io
from zoneinfo import ZoneInfo

PHOTOS_PER_GRID = 3
MAX_PHOTOS = 60


def _local(moment, zone: str) -> str:
    return moment.astimezone(ZoneInfo(zone)).strftime("%m-%d %H:%M") if moment else "—"


def pdf(operation, towns: list[dict], *, zone: str, read_photo) -> bytes:
    """`towns` as services.summary gives them; `read_photo(attachment)` → JPEG bytes."""
    from reportlab.lib import colors
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.styles import ParagraphStyle
    from reportlab.lib.units import mm
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.cidfonts import UnicodeCIDFont
    from reportlab.platypus import (Image, Paragraph, SimpleDocTemplate, Spacer, Table,
                                    TableStyle)

    from portal.posters import PDF_FONT
    if PDF_FONT not in pdfmetrics.getRegisteredFontNames():
        pdfmetrics.registerFont(UnicodeCIDFont(PDF_FONT))
    title = ParagraphStyle("title", fontName=PDF_FONT, fontSize=18, leading=26, alignment=1)
    heading = ParagraphStyle("heading", fontName=PDF_FONT, fontSize=14, leading=20,
                             spaceBefore=10, spaceAfter=4)
    small_heading = ParagraphStyle("small", fontName=PDF_FONT, fontSize=11.5, leading=18,
                                   spaceBefore=6, spaceAfter=2)
    body = ParagraphStyle("body", fontName=PDF_FONT, fontSize=10.5, leading=16, wordWrap="CJK")

    def table(rows, widths):
        made = Table([[Paragraph(str(cell), body) for cell in row] for row in rows],
                     colWidths=[w * mm for w in widths], repeatRows=1)
        made.setStyle(TableStyle([
            ("GRID", (0, 0), (-1, -1), 0.5, colors.grey),
            ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#e8eaed")),
            ("VALIGN", (0, 0), (-1, -1), "MIDDLE")]))
        return made

    stopped = f"；雪停 {_local(operation.stopped_at, zone)}" if operation.stopped_at else "；降雪中"
    ended = f"；结束 {_local(operation.ended_at, zone)}" if operation.ended_at else "；进行中"
    story = [Paragraph(f"清雪作战总结（{operation.level} · #{operation.id}）", title),
             Paragraph(f"降雪开始 {_local(operation.started_at, zone)}{stopped}{ended}。"
                       "标准：以无积冰、无残雪、露出地面为标准。", body)]
    photos_left = MAX_PHOTOS
    for number, town in enumerate(towns, 1):
        story.append(Paragraph(f"{number}. {town['town'].name}", heading))
        timeliness = f"{town['timeliness']}%" if town["timeliness"] is not None else "—"
        hours = (f"{town['median_hours']} / {town['longest_hours']} 小时"
                 if town["median_hours"] is not None else "—")
        story.append(table([["网格任务", "已清除", "按时清除", "清雪及时率", "超时", "雪停后用时（中位 / 最长）"],
                            [town["tasks"], town["cleared"], town["on_time"], timeliness,
                             town["late"], hours]], (22, 20, 22, 26, 18, 62)))
        story.append(Paragraph("超时点位", small_heading))
        if town["late_points"]:
            story.append(table([["网格", "点位", "时限", "清除", "超时"]] + [
                [task.grid.name, f"{point.label}（{point.road_class}）",
                 _local(point.due_at, zone),
                 _local(point.cleared_at, zone) if point.cleared_at else "未清除",
                 f"{late} 小时"] for task, point, late in town["late_points"]],
                (38, 50, 28, 28, 26)))
        else:
            story.append(Paragraph("没有超时点位。", body))
        story.append(Paragraph("清除照片", small_heading))
        shown = 0
        for task, photos in town["photos"].items():
            cells = []
            for photo in photos[:PHOTOS_PER_GRID]:
                if photos_left <= 0:
                    break
                cells.append(Image(io.BytesIO(read_photo(photo)), width=45 * mm,
                                   height=34 * mm, kind="proportional"))
                photos_left -= 1
            if cells:
                story.append(Paragraph(task.grid.name, body))
                story.append(Table([cells], colWidths=[50 * mm] * len(cells), hAlign="LEFT"))
                shown += len(cells)
        if not shown:
            story.append(Paragraph("没有清除照片。" if photos_left > 0 else
                                   f"照片较多，PDF 中最多收录 {MAX_PHOTOS} 张，其余请在系统中查看。",
                                   body))
        story.append(Spacer(1, 4 * mm))
    out = io.BytesIO()
    SimpleDocTemplate(out, pagesize=A4, title=f"清雪作战总结 #{operation.id}",
                      leftMargin=18 * mm, rightMargin=18 * mm, topMargin=16 * mm,
                      bottomMargin=16 * mm).build(story)
    return out.getvalue()
