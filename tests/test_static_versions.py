"""Static files: versioned URLs kept a year, anything else revalidated (issue 13)."""
import re

import pytest

from core.static import version

ASSET = re.compile(r'(?:href|src)="(/static/[^"#]+)"')


@pytest.fixture
def database_url(sqlite_url):
    """Files and headers: nothing here depends on the engine."""
    return sqlite_url


def test_pages_name_each_static_file_by_its_digest(world, login_as):
    page = login_as("worker").get("/field/report").get_data(as_text=True)
    assets = ASSET.findall(page)
    assert assets and all(re.search(r"\?v=[0-9a-f]{12}$", url) for url in assets), assets


def test_a_versioned_file_is_kept_a_year_and_a_plain_one_revalidated(world, login_as):
    worker = login_as("worker")
    page = worker.get("/field/report").get_data(as_text=True)
    url = next(u for u in ASSET.findall(page) if "leaflet.js" in u)
    with worker.get(url) as kept:
        assert kept.status_code == 200
        assert kept.headers["Cache-Control"] == "public, max-age=31536000, immutable"
        assert "Expires" not in kept.headers
        etag = kept.headers["ETag"]
    with worker.get(url.split("?")[0]) as plain:
        assert plain.headers["Cache-Control"] == "no-cache" and plain.headers["ETag"]
    # a digest that is not the file's (an old release's URL) is not pinned for a year
    with worker.get(url.split("?")[0] + "?v=000000000000") as stale:
        assert stale.headers["Cache-Control"] == "no-cache"
    with worker.get(url, headers={"If-None-Match": etag}) as again:
        assert again.status_code == 304

def test_a_changed_file_gets_a_new_url(tmp_path):
    (tmp_path / "app.css").write_text("body { color: red }")
    before = version(str(tmp_path), "app.css")
    (tmp_path / "app.css").write_text("body { color: blue; }")
    assert version(str(tmp_path), "app.css") != before
    assert version(str(tmp_path), "missing.css") is None
    assert version(str(tmp_path), "../etc/passwd") is None
