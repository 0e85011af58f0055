"""Draw the app's PNG icons (the home-screen icons of the field app's web manifest) from
the same design as static/icon.svg. Run once after changing the design:
    .venv/bin/python scripts/icons.py"""
from pathlib import Path

from PIL import Image, ImageDraw

OUT = Path(__file__).resolve().parent.parent / "static" / "icons"


def icon(size: int, maskable: bool) -> Image.Image:
    image = Image.new("RGB", (size, size), "#13294b")
    draw = ImageDraw.Draw(image)
    unit = size / 64
    inset = 6 * unit if maskable else 0  # a maskable icon keeps its drawing in the safe zone
    def box(x0, y0, x1, y1):
        scale = (size - 2 * inset) / size
        return [inset + x0 * unit * scale, inset + y0 * unit * scale,
                inset + x1 * unit * scale, inset + y1 * unit * scale]
    draw.rectangle(box(14, 14, 50, 50), outline="#ffffff", width=max(2, round(4 * unit)))
    draw.line(box(32, 14, 32, 50), fill="#7fb0ff", width=max(2, round(3 * unit)))
    draw.line(box(14, 32, 50, 32), fill="#7fb0ff", width=max(2, round(3 * unit)))
    draw.ellipse(box(36, 18, 46, 28), fill="#ff6b5b")
    return image


if __name__ == "__main__":
    OUT.mkdir(parents=True, exist_ok=True)
    for size in (192, 512):
        icon(size, maskable=False).save(OUT / f"icon-{size}.png", optimize=True)
    icon(512, maskable=True).save(OUT / "icon-maskable-512.png", optimize=True)
    print("icons written to", OUT)
