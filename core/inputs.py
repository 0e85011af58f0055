"""Hostile input refused at the edge, before any work (issue 7): each a 4xx naming what is
wrong, never a 500 from deep inside the database driver.

- ids: every `<int:…>` URL part and every id in a body is a positive 32-bit integer, the
  range of the id columns on PostgreSQL (SQLite's are 64-bit; the narrower rule holds for
  both). A larger one cannot name a row: 404 in a URL, 422 in a body.
- NUL bytes: PostgreSQL text cannot hold them, and no real input carries one: a request with
  NUL in its path, query or form is refused with 422.
- JSON: at most MAX_JSON_DEPTH levels, no lone UTF-16 surrogates (a "\\ud800" escape decodes
  to a string no database can store): refused like any other malformed body.
"""
import json

import orjson
from flask.json.provider import DefaultJSONProvider
from flask_babel import gettext as _
from marshmallow import EXCLUDE, Schema, fields, pre_load, validate
from werkzeug.routing import IntegerConverter

from core.errors import InvalidInput

MAX_ID = 2**31 - 1
MAX_JSON_DEPTH = 32


class IdConverter(IntegerConverter):
    """`<int:…>` in every route: 1 … MAX_ID, else the URL matches nothing (404)."""

    def __init__(self, map, *args, **kwargs):
        kwargs.setdefault("min", 0)
        kwargs.setdefault("max", MAX_ID)
        super().__init__(map, *args, **kwargs)


def Id(**kwargs) -> fields.Integer:
    """A marshmallow field for a row id in a body."""
    kwargs.setdefault("error_messages", {"invalid": N_("须为正整数")})
    return fields.Integer(strict=True, validate=validate.Range(
        min=1, max=MAX_ID, error=N_("超出范围")), **kwargs)


def is_id(text: str) -> bool:
    return text.isascii() and text.isdigit() and 0 < int(text) <= MAX_ID


class BadJSON(ValueError):
    pass


def _check(value, depth: int = 0) -> None:
    if depth > MAX_JSON_DEPTH:
        raise BadJSON(f"nested deeper than {MAX_JSON_DEPTH} levels")
    if isinstance(value, str):
        try:
            value.encode("utf-8")
        except UnicodeEncodeError:
            raise BadJSON("a string holds a lone surrogate") from None
        if "\x00" in value:
            raise BadJSON("a string holds a NUL character")
    elif isinstance(value, dict):
        for key, item in value.items():
            _check(key, depth + 1)
            _check(item, depth + 1)
    elif isinstance(value, list):
        for item in value:
            _check(item, depth + 1)


#: what orjson leaves to Flask's `default` (dates as HTTP dates, dataclasses as dicts), so an
#: answer reads exactly as with the standard library
_ORJSON_OPTIONS = (orjson.OPT_SORT_KEYS | orjson.OPT_NON_STR_KEYS
                   | orjson.OPT_PASSTHROUGH_DATETIME | orjson.OPT_PASSTHROUGH_DATACLASS)


class SafeJSONProvider(DefaultJSONProvider):
    """Flask's JSON, refusing bodies too deep or holding strings no database can store, and
    encoding answers with orjson (a list page's JSON in a tenth of the time)."""

    def dumps(self, obj, **kwargs):
        if kwargs.get("indent") is not None or set(kwargs) - {"separators"}:
            return super().dumps(obj, **kwargs)  # pretty-printed (debug) or tuned
        try:
            return orjson.dumps(obj, default=self.default, option=_ORJSON_OPTIONS).decode()
        except TypeError:  # what orjson refuses (e.g. integers beyond 64 bits) json may not
            return super().dumps(obj)

    def loads(self, s, **kwargs):
        try:
            value = json.loads(s, **kwargs)
        except RecursionError:  # C's parser gives up on ~1,000 levels in microseconds
            raise BadJSON(f"nested deeper than {MAX_JSON_DEPTH} levels") from None
        _check(value)  # refuses anything deeper than MAX_JSON_DEPTH that did parse
        return value


def _has_nul(values) -> bool:
    # a multipart part without a name reaches the form as a None key
    return any(value is not None and "\x00" in value for value in values)


def init_app(app) -> None:
    app.url_map.converters["int"] = IdConverter
    app.json_provider_class = SafeJSONProvider
    app.json = SafeJSONProvider(app)
    app.json.ensure_ascii = False  # Chinese stays readable in API responses

    @app.before_request
    def _refuse_nul():
        from flask import request
        query = request.environ.get("QUERY_STRING", "")
        # a NUL reaches the arguments only as %00 or itself: a query string without either
        # is not parsed here (most requests; ~10 µs each)
        queried = "%00" in query or "\x00" in query
        if "\x00" in request.path or (queried and (
                _has_nul(request.args.keys()) or _has_nul(request.args.values()))) or (
                    request.mimetype in ("application/x-www-form-urlencoded",
                                         "multipart/form-data")
                    and (_has_nul(request.form.keys()) or _has_nul(request.form.values()))):
            raise InvalidInput(_("请求中含有非法字符（NUL）"), fields={"_request": ["NUL byte"]})


class QuerySchema(Schema):
    """A query string's schema: unknown parameters ignored, and a blank one (`?limit=&state=`,
    as a form with empty fields sends it) counts as absent, so the defaults apply."""
    class Meta:
        unknown = EXCLUDE

    @pre_load
    def _blank_means_absent(self, data, **_kwargs):
        return {key: value for key, value in data.items() if value != ""}


def N_(text: str) -> str:
    """Marks a schema's message for the catalogue (`make extract` reads N_); it is stored
    as written and translated where a page shows it (load_form)."""
    return text


def _texts(messages) -> list[str]:
    """A field's messages, flat (a list field's are keyed by the item's index)."""
    if isinstance(messages, dict):
        return [text for value in messages.values() for text in _texts(value)]
    return messages if isinstance(messages, list) else [messages]


def load_form(schema, form, labels: dict) -> dict:
    """A submitted HTML form read by the same schema as the API's JSON: the same limits, the
    same refusals (a description over the limit is refused, not cut). Blank fields count as
    absent. A bad field is an InvalidInput naming it by its label on the page (`labels`:
    field → 中文名) with the schema's message; `fields` marks the inputs to highlight."""
    from marshmallow import ValidationError
    lists = {name for name in labels if isinstance(schema.fields.get(name), fields.List)}
    data = {name: form.get(name) for name in labels
            if name not in lists and form.get(name) not in (None, "")}
    # a textarea's line breaks arrive as CRLF: count them as the API's one character each
    data = {name: value.replace("\r\n", "\n") for name, value in data.items()}
    for name, value in data.items():  # a form sends text: "12" is the number a JSON body sends
        if isinstance(schema.fields.get(name), fields.Integer) and is_id(value):
            data[name] = int(value)
    getlist = getattr(form, "getlist", lambda name: [form[name]] if name in form else [])
    for name in lists:  # repeated inputs (photo_ids): ids as numbers, the rest as sent
        values = [value for value in getlist(name)[:100] if value != ""]
        if values:
            data[name] = [int(value) if is_id(value) else value for value in values]
    try:
        return schema.load(data)
    except ValidationError as error:
        messages = {name: [_(text) for text in _texts(texts)]
                    for name, texts in error.messages.items()}
        parts = [f"「{labels.get(name, name)}」{texts[0]}" for name, texts in messages.items()]
        raise InvalidInput(_("请检查：%(problems)s", problems="；".join(parts)),
                           fields=messages) from None
