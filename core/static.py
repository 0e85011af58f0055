"""Static files with versioned URLs (issue 13): url_for("static", …) adds ?v=<the file's
digest>, and an answer to a URL whose v is the file's digest may be kept for a year
without asking again (immutable) — a new release changes the digest, so the URL, so the
browser fetches it anew. Any other static answer is revalidated (no-cache + ETag). The
digest is read again when the file's size or time changes (`make run` while editing)."""
import hashlib
import os
from stat import S_ISREG
from functools import lru_cache

from flask import request

FOREVER = "public, max-age=31536000, immutable"


@lru_cache(maxsize=1024)
def _digest(path: str, _mtime_ns: int, _size: int) -> str:
    with open(path, "rb") as handle:
        return hashlib.sha256(handle.read()).hexdigest()[:12]


@lru_cache(maxsize=16)
def _real(folder: str) -> str:
    return os.path.realpath(folder) + os.sep  # the static folder does not move


@lru_cache(maxsize=1024)
def _resolved(folder: str, filename: str) -> str | None:
    """`filename`'s real path, or None when it leads out of `folder`: resolved once per name
    (realpath looks at every part of the path: most of a page's static URL's cost)."""
    path = os.path.realpath(os.path.join(folder, filename))
    return path if path.startswith(_real(folder)) else None


def version(folder: str, filename: str) -> str | None:
    """The file's digest, or None for a name that is not a file under `folder`."""
    path = _resolved(folder, filename)
    if path is None:
        return None
    try:
        stat = os.stat(path)
    except OSError:
        return None
    if not S_ISREG(stat.st_mode):  # a folder named as a prefix (Leaflet's images/)
        return None
    return _digest(path, stat.st_mtime_ns, stat.st_size)


def init_app(app) -> None:
    folder = app.static_folder

    @app.url_defaults
    def _versioned(endpoint, values):
        if endpoint == "static" and "v" not in values and values.get("filename"):
            digest = version(folder, values["filename"])
            if digest:
                values["v"] = digest

    @app.after_request
    def _far_future(response):
        if request.endpoint == "static" and response.status_code in (200, 304):
            wanted = request.args.get("v")
            if wanted and wanted == version(folder, request.view_args.get("filename", "")):
                response.headers["Cache-Control"] = FOREVER
                response.headers.pop("Expires", None)  # max-age rules; no stale date
        return response
