"""Compressed answers (Flask-Compress): pages, JSON, styles and scripts go as zstd, br or
gzip, whichever the browser accepts — a grid worker's first visit to the patrol form is a
third of its size on a village signal.

A static file is sent by Flask as a stream from the open file, and Flask-Compress would
compress a stream without ever closing the file (and never as gzip). The files are small
(Leaflet, the largest, is 147 KB), so each is read whole first: the file is closed at once
and the answer compressed like a page, with its ETag kept for the browser's revalidation.
At once, not when the server closes the answer: a server may never do that — Werkzeug's
skips it when the browser drops the connection while it is written (a page left, a
service worker's fetch cut off), and the file stayed open until the garbage collector
found it. A static file is always sent whole (200): a Range asked of it is dropped, as HTTP
lets a server do, since a compressed answer cannot carry the byte range of the file."""
from flask import Flask, request

from core.extensions import compress


def _no_ranges():
    if request.endpoint == "static":
        request.environ.pop("HTTP_RANGE", None)
        request.environ.pop("HTTP_IF_RANGE", None)


def _static_whole(response):
    if request.endpoint == "static" and response.is_streamed:
        stream = response.response  # the file (a range of it for a 206)
        try:
            response.response = [b"".join(stream)]
        finally:
            stream.close()
        response.direct_passthrough = False
    return response


def init_app(app: Flask) -> None:
    compress.init_app(app)
    app.before_request(_no_ranges)
    # after_request hooks run last-registered first: this one before the compression
    app.after_request(_static_whole)
