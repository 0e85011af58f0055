"""Security headers on every answer: pages, API, public pages, files (issue 7).

A small after-request hook rather than a library: the policy is one table, the same for
every blueprint. No inline script anywhere (templates load static/js files), so the CSP
needs no 'unsafe-inline' for scripts; no page may be framed (staff action forms included);
camera and geolocation are allowed to the app itself only (the report forms use both).
"""

from urllib.parse import urlsplit


def content_security_policy(tile_url: str = "") -> str:
    """The policy; a configured map tile server (MAP_TILE_URL) may serve images too."""
    parts = urlsplit(tile_url or "")
    host = parts.netloc.replace("{s}.", "*.")  # Leaflet's subdomain placeholder: any of them
    tiles = f" {parts.scheme}://{host}" if parts.scheme and host and "{" not in host else ""
    return "; ".join((
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        # photos shrunk in the browser are previewed from blob: and data: URLs
        f"img-src 'self' data: blob:{tiles}",
        "connect-src 'self'",
        "object-src 'none'",
        "base-uri 'self'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    ))

HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    # tracking codes and case ids are in our URLs: other sites learn nothing of them
    "Referrer-Policy": "same-origin",
    "Permissions-Policy": "camera=(self), geolocation=(self), microphone=(), payment=(), "
                          "usb=()",
    "Cross-Origin-Opener-Policy": "same-origin",
}


def init_app(app) -> None:
    hops = app.config["PROXY_FIX_HOPS"]
    if hops:  # behind nginx: the client's address and scheme from its X-Forwarded-* headers
        from werkzeug.middleware.proxy_fix import ProxyFix
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops, x_host=0, x_port=0)
    headers = {"Content-Security-Policy": content_security_policy(app.config["MAP_TILE_URL"]),
               **HEADERS}

    policy = tuple((name.lower(), name, value) for name, value in headers.items())

    @app.after_request
    def _security_headers(response):
        # a header the view set stands; the others are added in one pass over the answer's
        # headers (setdefault scanned them three times a header: ~20 µs an answer)
        present = {name.lower() for name in response.headers.keys()}
        for lowered, name, value in policy:
            if lowered not in present:
                response.headers.add(name, value)
        return response
