"""The programme pages' form fields read once (registry, ledger): blank is None, anything
else a number, a 4-digit year or a date — or a 422 naming the field."""
from datetime import date

from flask import request
from flask_babel import gettext as _

from core.errors import InvalidInput

#: no figure in the registry or a ledger is larger (people, km², 万元)
LARGEST = 10_000_000


def _text(name: str) -> str:
    return (request.form.get(name) or "").strip()


def year(name: str) -> int | None:
    text = _text(name)
    if not text:
        return None
    if not (text.isascii() and text.isdigit() and len(text) == 4):
        raise InvalidInput(_("年份须为 4 位数字"), fields={name: [_("年份须为 4 位数字")]})
    return int(text)


def number(name: str, kind=int):
    text = _text(name)
    if not text:
        return None
    try:
        value = kind(text)
    except ValueError:
        raise InvalidInput(_("须为数字"), fields={name: [_("须为数字")]}) from None
    if not 0 <= value <= LARGEST:  # NaN fails this too
        raise InvalidInput(_("数值超出范围"), fields={name: [_("数值超出范围")]})
    return value


def day(name: str) -> date | None:
    text = _text(name)
    if not text:
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise InvalidInput(_("请填写日期"), fields={name: [_("请填写日期")]}) from None
