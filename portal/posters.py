"""Printable A4 posters for QR points: PDF (reportlab) and PNG (Pillow).

The QR code uses error correction level Q (25 % of the code may be dirty or torn) and is
15 cm wide on the page: a phone reads it from well beyond 1 m.

qrcode and reportlab are imported where a poster is made, not with the module: the web
workers that never print one do not hold them (issue 8, memory).
"""
import io
from pathlib import Path

from flask import current_app

QR_WIDTH_MM = 150
STEPS = ("① 手机扫码（微信或相机均可）", "② 选择问题、拍照、提交", "③ 记下查询码，随时查看办理进度")
#: reportlab's built-in Adobe CID font for simplified Chinese: no font file needed
PDF_FONT = "STSong-Light"


def point_url(point) -> str:
    return f"{current_app.config['PUBLIC_BASE_URL'].rstrip('/')}/q/{point.token}"


def qr_image(url: str, box_size: int = 20):
    """The code as a Pillow RGB image."""
    import qrcode
    code = qrcode.QRCode(error_correction=qrcode.constants.ERROR_CORRECT_Q, box_size=box_size,
                         border=4)
    code.add_data(url)
    code.make(fit=True)
    return code.make_image(fill_color="black", back_color="white").get_image().convert("RGB")


def qr_svg(url: str) -> bytes:
    """The code as an SVG path (a few kilobytes whatever the size it is shown at)."""
    import qrcode
    from qrcode.image.svg import SvgPathImage
    code = qrcode.QRCode(error_correction=qrcode.constants.ERROR_CORRECT_Q, border=2,
                         image_factory=SvgPathImage)
    code.add_data(url)
    code.make(fit=True)
    out = io.BytesIO()
    code.make_image().save(out)
    return out.getvalue()


def _texts(point) -> dict:
    grid = point.grid
    return {"title": "随手拍 · 有问题 扫一扫", "where": f"{grid.town.name} · {grid.name}",
            "label": f"{point.label}（{point.kind}）",
            "hotline": current_app.config["HOTLINE_TEXT"]}


def _draw_pdf_page(pdf, point) -> None:
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.units import mm
    from reportlab.lib.utils import ImageReader
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.cidfonts import UnicodeCIDFont
    if PDF_FONT not in pdfmetrics.getRegisteredFontNames():
        pdfmetrics.registerFont(UnicodeCIDFont(PDF_FONT))
    width, height = A4
    texts = _texts(point)
    pdf.setFont(PDF_FONT, 30)
    pdf.drawCentredString(width / 2, height - 30 * mm, texts["title"])
    pdf.setFont(PDF_FONT, 18)
    pdf.drawCentredString(width / 2, height - 45 * mm, texts["where"])
    pdf.drawCentredString(width / 2, height - 55 * mm, texts["label"])
    side = QR_WIDTH_MM * mm
    image = ImageReader(qr_image(point_url(point)))
    pdf.drawImage(image, (width - side) / 2, height - 65 * mm - side, side, side)
    pdf.setFont(PDF_FONT, 16)
    for index, step in enumerate(STEPS):
        pdf.drawString(30 * mm, height - 230 * mm - index * 10 * mm, step)
    pdf.setFont(PDF_FONT, 14)
    pdf.drawCentredString(width / 2, 20 * mm, texts["hotline"])
    pdf.showPage()


def poster_pdf(points) -> bytes:
    """One A4 page per point."""
    from reportlab.lib.pagesizes import A4
    from reportlab.pdfgen import canvas
    out = io.BytesIO()
    pdf = canvas.Canvas(out, pagesize=A4)
    pdf.setTitle("二维码海报")
    for point in points:
        _draw_pdf_page(pdf, point)
    pdf.save()
    return out.getvalue()


def _font(size: int):
    from PIL import ImageFont
    for candidate in current_app.config["POSTER_FONTS"]:
        if Path(candidate).exists():
            return ImageFont.truetype(candidate, size)
    raise RuntimeError("no CJK font for PNG posters: install fonts-wqy-zenhei "
                       "or set POSTER_FONTS")


def poster_png(point, dpi: int = 150) -> bytes:
    """A4 at `dpi` (150: 1240 × 1754 px)."""
    from PIL import Image, ImageDraw
    width, height = round(210 / 25.4 * dpi), round(297 / 25.4 * dpi)
    page = Image.new("RGB", (width, height), "white")
    draw = ImageDraw.Draw(page)
    px = dpi / 25.4
    texts = _texts(point)

    def centred(text, y_mm, size_pt):
        font = _font(round(size_pt / 72 * dpi))
        draw.text((width / 2, y_mm * px), text, font=font, fill="black", anchor="mm")

    centred(texts["title"], 30, 30)
    centred(texts["where"], 45, 18)
    centred(texts["label"], 55, 18)
    side = round(QR_WIDTH_MM * px)
    code = qr_image(point_url(point)).resize((side, side), Image.NEAREST)
    page.paste(code, ((width - side) // 2, round(65 * px)))
    font = _font(round(16 / 72 * dpi))
    for index, step in enumerate(STEPS):
        draw.text((30 * px, (230 + index * 10) * px), step, font=font, fill="black")
    centred(texts["hotline"], 277, 14)
    out = io.BytesIO()
    page.save(out, "PNG", dpi=(dpi, dpi), optimize=True)
    return out.getvalue()
