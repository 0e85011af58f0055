"""Security headers on every kind of answer, and pages that work under the policy (issue 7)."""
import re
from pathlib import Path

import pytest
from sqlalchemy import select

from core.extensions import db
from portal.models import QrPoint

EXPECTED = {"X-Content-Type-Options": "nosniff", "X-Frame-Options": "DENY",
            "Referrer-Policy": "same-origin"}


def _check(response):
    for name, value in EXPECTED.items():
        assert response.headers.get(name) == value, (name, response.request.path)
    csp = response.headers["Content-Security-Policy"]
    assert "frame-ancestors 'none'" in csp and "script-src 'self'" in csp
    assert "unsafe-inline" not in csp and "unsafe-eval" not in csp
    policy = response.headers["Permissions-Policy"]
    assert "camera=(self)" in policy and "geolocation=(self)" in policy


def test_pages_api_public_pages_and_errors_carry_the_headers(world, login_as, api, client):
    with world.app_context():
        token = db.session.scalar(select(QrPoint.token).order_by(QrPoint.id))
    staff = login_as("dispatcher")
    answers = [staff.get("/events"), staff.get("/events/new"), client.get("/login"),
               api("worker").get("/api/v1/events"), client.get("/api/v1/events"),
               client.get(f"/q/{token}"), client.get("/t/AAAAAAAAAA"), client.get("/healthz/web"),
               client.get("/open311/v2/services.json"), client.get("/static/css/app.css")]
    assert [a.status_code for a in answers] == [200, 200, 200, 200, 401, 200, 404, 200, 200, 200]
    for answer in answers:
        _check(answer)
        answer.close()  # the static file's handle


def test_no_template_carries_inline_script_or_handlers():
    root = Path(__file__).resolve().parent.parent / "templates"
    for template in root.rglob("*.html"):
        text = template.read_text()
        assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", text), template
        assert not re.search(r"\son[a-z]+=", text), template
        assert "javascript:" not in text, template


@pytest.mark.browser
def test_the_phone_pages_run_under_the_policy(world, live_server, open_context, login_as):
    """Chromium reports nothing refused by the policy on the report and case forms."""
    with world.app_context():
        token = db.session.scalar(select(QrPoint.token).order_by(QrPoint.id))
    context = open_context({"viewport": {"width": 390, "height": 844}, "locale": "zh-CN"})
    refused = []
    page = context.new_page()
    page.on("console", lambda message: refused.append(message.text)
            if "Content Security Policy" in message.text else None)
    page.goto(f"{live_server}/q/{token}")
    page.goto(f"{live_server}/login")
    page.fill("input[name=username]", "worker")
    page.fill("input[name=password]", "demo-password")
    page.click("button[type=submit]")
    page.goto(f"{live_server}/events/new")
    context.grant_permissions(["geolocation"])
    context.set_geolocation({"latitude": 43.603, "longitude": 126.485})
    page.click("#locate")
    # polled by Playwright itself: a string predicate would be eval'd in the page, which the
    # policy (rightly) forbids
    from playwright.sync_api import expect
    expect(page.locator("#new-event input[name=lat]")).not_to_have_value("")
    assert page.eval_on_selector("#new-event", "f => f.lat.value") == "43.603000"
    assert refused == []


@pytest.mark.parametrize("url, allowed", [
    ("", "img-src 'self' data: blob:;"),
    ("https://tiles.example:8443/{z}/{x}/{y}.png", "img-src 'self' data: blob: https://tiles.example:8443;"),
    ("https://{s}.tiles.example/{z}/{x}/{y}.png", "img-src 'self' data: blob: https://*.tiles.example;"),
    ("not a url", "img-src 'self' data: blob:;"),
])
def test_a_configured_tile_server_may_serve_map_images_and_nothing_else(url, allowed):
    from core.security import content_security_policy
    assert allowed in content_security_policy(url) + ";"
