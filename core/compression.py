"""Compressed answers (Flask-Compress): pages, JSON, styles and scripts go as zstd, br or
gzip, whichever the browser accepts — a grid worker's first visit to the patrol form is a
third of its size on a village signal.

A static file is sent by Flask as a stream from the open file, and Flask-Compress would
compress a stream without ever closing the file (and never as gzip). The files are small
(Leaflet, the largest, is 147 KB), so each is read whole first: the file is closed at once
and the answer compressed like a page, with its ETag kept for the browser's revalidation."""
from flask import Flask, request

from core.extensions import compress


def _static_whole(response):
    if request.endpoint == "static" and response.is_streamed and response.status_code == 200:
        response.direct_passthrough = False
        response.make_sequence()  # reads the file and closes it
    return response


def init_app(app: Flask) -> None:
    compress.init_app(app)
    # after_request hooks run last-registered first: this one before the compression
    app.after_request(_static_whole)
