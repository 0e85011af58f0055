"""The field app as an installable web app: its manifest and its service worker, served
under /field/ so the worker's scope is the app (static/js/field-sw.js)."""
import hashlib
import json
from functools import lru_cache
from pathlib import Path

from flask import Response, current_app, url_for
from flask_babel import gettext as _

from field.views import bp

SW_SOURCE = "js/field-sw.js"


@lru_cache(maxsize=4)
def _worker(static_folder: str) -> str:
    """The worker's source with a version drawn from every static file, so a new release
    replaces the kept copies."""
    root = Path(static_folder)
    digest = hashlib.sha256()
    for path in sorted(p for p in root.rglob("*") if p.is_file()):
        digest.update(path.relative_to(root).as_posix().encode())
        digest.update(path.read_bytes())
    return (root / SW_SOURCE).read_text(encoding="utf-8").replace(
        "__VERSION__", digest.hexdigest()[:12])


@bp.get("/sw.js")
def service_worker():
    response = Response(_worker(current_app.static_folder), mimetype="text/javascript")
    response.headers["Cache-Control"] = "no-cache"  # the browser checks it on every visit
    # its scope is the whole site: a QR point (/q/…) scanned with no signal is answered too
    response.headers["Service-Worker-Allowed"] = "/"
    return response


@bp.get("/manifest.webmanifest")
def manifest():
    body = {
        "name": _("网格治理 · 网格员"), "short_name": _("网格治理"), "lang": "zh-CN",
        "start_url": url_for("field.home"), "scope": url_for("field.home"),
        "display": "standalone", "background_color": "#f4f6f9", "theme_color": "#13294b",
        "icons": [
            {"src": url_for("static", filename="icons/icon-192.png"), "sizes": "192x192",
             "type": "image/png"},
            {"src": url_for("static", filename="icons/icon-512.png"), "sizes": "512x512",
             "type": "image/png"},
            {"src": url_for("static", filename="icons/icon-maskable-512.png"),
             "sizes": "512x512", "type": "image/png", "purpose": "maskable"}],
    }
    return Response(json.dumps(body, ensure_ascii=False), mimetype="application/manifest+json")
