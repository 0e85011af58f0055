"""Compressed answers (issue 10's page weight): a grid worker's phone on a village signal
downloads the patrol form — page, styles, scripts, the map library — in well under 150 KB,
and what arrives decodes to exactly what was served."""
import gc
import re
import warnings
import zlib

import brotli
from backports import zstd
import pytest
from werkzeug.test import EnvironBuilder

CHROMIUM = {"Accept-Encoding": "gzip, deflate, br, zstd"}
ASSET = re.compile(r'(?:href|src)="(/static/[^"#]+)"')


def _decoded(answer) -> bytes:
    body, coding = answer.get_data(), answer.headers.get("Content-Encoding")
    if coding == "gzip":
        return zlib.decompress(body, 16 + zlib.MAX_WBITS)
    if coding == "br":
        return brotli.decompress(body)
    if coding == "zstd":
        return zstd.decompress(body)
    if coding == "deflate":
        return zlib.decompress(body)
    assert coding is None, coding
    return body


@pytest.mark.parametrize("coding", ["gzip", "br", "zstd"])
def test_pages_arrive_compressed_and_whole(world, login_as, coding):
    worker = login_as("worker")
    plain = worker.get("/field/report")
    packed = worker.get("/field/report", headers={"Accept-Encoding": coding})
    assert packed.headers["Content-Encoding"] == coding
    assert "Accept-Encoding" in packed.headers["Vary"]
    assert len(packed.get_data()) < len(plain.get_data()) / 2
    assert _decoded(packed).decode().count("巡查上报") == plain.get_data().decode().count("巡查上报")


@pytest.mark.parametrize("coding", ["gzip", "br", "zstd"])
def test_static_files_arrive_compressed_and_whole(world, login_as, coding):
    """A file is compressed like a page, and its ETag still spares the browser a second copy."""
    worker = login_as("worker")
    leaflet = "/static/vendor/leaflet/leaflet.js"
    with worker.get(leaflet) as whole:
        original = whole.get_data()
    with worker.get(leaflet, headers={"Accept-Encoding": coding}) as sent:
        assert sent.headers["Content-Encoding"] == coding
        assert len(sent.get_data()) < len(original) / 2
        assert _decoded(sent) == original
        etag = sent.headers["ETag"]
    with worker.get(leaflet, headers={"Accept-Encoding": coding, "If-None-Match": etag}) as again:
        assert again.status_code == 304  # a cached copy is not sent again


def test_the_patrol_form_loads_in_under_150_kb_on_a_first_visit(world, login_as):
    worker = login_as("worker")
    page = worker.get("/field/report", headers=CHROMIUM)
    assets = sorted(set(ASSET.findall(_decoded(page).decode())))
    assert any(url.startswith("/static/vendor/leaflet/leaflet.js?v=") for url in assets)
    weight = len(page.get_data())
    for url in assets:
        with worker.get(url, headers=CHROMIUM) as sent:
            assert sent.status_code == 200, url
            weight += len(sent.get_data())
    assert weight < 150 * 1024, weight


def test_photos_and_small_answers_are_sent_as_they_are(world, api, report, login_as):
    """A JPEG is compressed already, and an answer under a kilobyte is not worth the work."""
    api("worker").upload_photo()
    photo_id = api("worker").upload_photo()
    case = report("worker", photo_ids=[photo_id])
    photo = case["attachments"][0]["url"] if case.get("attachments") else f"/attachments/{photo_id}"
    worker = login_as("worker")
    with worker.get(photo, headers=CHROMIUM) as sent:
        assert sent.status_code == 200 and sent.mimetype == "image/jpeg"
        assert "Content-Encoding" not in sent.headers
    health = worker.get("/healthz/web", headers=CHROMIUM)
    assert len(health.get_data()) < 1024 and "Content-Encoding" not in health.headers


@pytest.mark.parametrize("ranged", [{}, {"Range": "bytes=0-4999"}])
def test_a_static_file_is_closed_before_the_server_sends_it(world, ranged):
    """A browser that drops the connection while a script is written: Werkzeug's server
    then never closes the answer. The file must not stay open for the collector to find."""
    environ = EnvironBuilder(path="/static/js/field.js",
                             headers={"Accept-Encoding": "gzip", **ranged}).get_environ()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", ResourceWarning)
        answer = world(environ, lambda status, headers, exc_info=None: None)
        body = b"".join(answer)  # written, then the connection drops: no close()
        del answer
        gc.collect()
    assert body
    assert not [w for w in caught if issubclass(w.category, ResourceWarning)], caught


@pytest.mark.parametrize("coding", ["gzip", "br", "zstd"])
def test_a_range_of_a_static_file_is_answered_with_the_whole_file(world, login_as, coding):
    """A compressed answer cannot carry the file's byte range: a Range is ignored and the
    whole file sent, as HTTP allows — never a compressed body under Content-Range."""
    from pathlib import Path
    whole = (Path(world.static_folder) / "vendor/leaflet/leaflet.js").read_bytes()
    answer = login_as("worker").get("/static/vendor/leaflet/leaflet.js", headers={
        "Range": "bytes=0-4999", "Accept-Encoding": coding})
    assert answer.status_code == 200
    assert "Content-Range" not in answer.headers
    assert _decoded(answer) == whole
