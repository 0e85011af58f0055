"""Helpers for the staff-page tests: read what a person sees in the HTML."""
import io
import re
from html import unescape

from PIL import Image
from sqlalchemy import func, select

from core.extensions import db
from events.models import Event


def text_of(response) -> str:
    return unescape(response.get_data(as_text=True))


def list_rows(response) -> list[str]:
    """The workbench's rows as a person reads them: each row's text, tags removed."""
    page = text_of(response)
    body = page.split("<tbody>", 1)[1].split("</tbody>", 1)[0] if "<tbody>" in page else ""
    return [" ".join(re.sub(r"<[^>]+>", " ", row).split())
            for row in re.findall(r"<tr[^>]*>(.*?)</tr>", body, re.S)]


def action_buttons(response) -> set[str]:
    """The labels of the action buttons (<summary class="button…">) on a detail page."""
    return set(re.findall(r'<summary class="button[^"]*">([^<]+)</summary>',
                          response.get_data(as_text=True)))


def primary_action(response) -> str | None:
    """The highlighted next step (there is at most one)."""
    found = re.findall(r'<summary class="button primary">([^<]+)</summary>',
                       response.get_data(as_text=True))
    assert len(found) <= 1
    return found[0] if found else None


def timeline(response) -> list[str]:
    """Action labels in the 流转记录 section, newest first, as shown."""
    page = response.get_data(as_text=True)
    section = page.split('<section class="timeline">', 1)[1]
    return re.findall(r"<strong>([^<]+)</strong>", section)


def state_badge(response) -> str:
    match = re.search(r'<span class="state state-\w+">([^<]+)</span>',
                      response.get_data(as_text=True))
    return match.group(1)


def field_value(response, name: str) -> str:
    match = re.search(rf'name="{name}"[^>]*value="([^"]*)"', response.get_data(as_text=True))
    return unescape(match.group(1)) if match else ""


def jpeg_bytes(size=(64, 48), color=(200, 80, 40)) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", size, color).save(out, "JPEG")
    return out.getvalue()


def count_events(app) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count(Event.id)))
