"""QR points and printable posters: the code on the poster carries the point's URL."""
import io

import pypdfium2
import pytest
import zxingcpp
from PIL import Image
from sqlalchemy import select

from core.extensions import db
from portal.models import QrPoint

GRID = "220221101000001"


def decode(image: Image.Image) -> list[str]:
    return [result.text for result in zxingcpp.read_barcodes(image)]


def pdf_pages(data: bytes, dpi: int = 150) -> list[Image.Image]:
    document = pypdfium2.PdfDocument(data)
    try:
        return [page.render(scale=dpi / 72).to_pil() for page in document]
    finally:
        document.close()


@pytest.fixture
def points(world):
    with world.app_context():
        return [(p.id, p.token) for p in db.session.scalars(
            select(QrPoint).join(QrPoint.grid).where(QrPoint.grid.has(code=GRID))
            .order_by(QrPoint.id))]


def test_png_poster_is_a4_and_its_code_scans_to_the_point_url(login_as, points):
    point_id, token = points[0]
    response = login_as("worker").get(f"/qr-points/{point_id}/poster.png")
    assert response.status_code == 200 and response.mimetype == "image/png"
    image = Image.open(io.BytesIO(response.data))
    assert image.size == (1240, 1754)  # A4 at 150 dpi
    assert decode(image) == [f"http://127.0.0.1:5000/q/{token}"]
    # scanned from about a metre: the same page shrunk to a phone camera's view of it
    assert decode(image.resize((310, 438))) == [f"http://127.0.0.1:5000/q/{token}"]


def test_pdf_poster_renders_and_scans(login_as, points):
    point_id, token = points[0]
    response = login_as("worker").get(f"/qr-points/{point_id}/poster.pdf")
    assert response.mimetype == "application/pdf"
    pages = pdf_pages(response.data)
    assert len(pages) == 1
    width_mm = pages[0].width / 150 * 25.4
    assert abs(width_mm - 210) < 1
    assert decode(pages[0]) == [f"http://127.0.0.1:5000/q/{token}"]


def test_batch_pdf_for_a_grid_and_a_town(login_as, points):
    dispatcher = login_as("dispatcher")
    grid_pages = pdf_pages(dispatcher.get(f"/grids/{GRID}/posters.pdf").data, dpi=72)
    assert len(grid_pages) == len(points) == 2
    scanned = {text for page in grid_pages for text in decode(page)}
    assert scanned == {f"http://127.0.0.1:5000/q/{token}" for _, token in points}
    town = dispatcher.get("/towns/220221101000/posters.pdf")
    assert len(pdf_pages(town.data, dpi=36)) == 24  # 12 grids × 2 points


def test_dispatcher_manages_points_and_reissue_changes_the_poster(login_as, points, world):
    dispatcher = login_as("dispatcher")
    created = dispatcher.post(f"/grids/{GRID}/qr-points", data={
        "label": "幸福路口", "kind": "路口", "lat": "43.6031", "lon": "126.4851"},
        follow_redirects=True)
    assert "已新增二维码点位" in created.get_data(as_text=True)
    bad = dispatcher.post(f"/grids/{GRID}/qr-points", data={"label": "", "kind": "天上"},
                          follow_redirects=True)
    assert "二维码点位信息有误" in bad.get_data(as_text=True)
    point_id, old = points[0]
    dispatcher.post(f"/qr-points/{point_id}/reissue")
    with world.app_context():
        new = db.session.get(QrPoint, point_id).token
    assert new != old and len(new) >= 22  # ≥128 random bits, URL-safe
    image = Image.open(io.BytesIO(dispatcher.get(f"/qr-points/{point_id}/poster.png").data))
    assert decode(image) == [f"http://127.0.0.1:5000/q/{new}"]


def test_workers_see_points_but_cannot_manage_them(login_as, points):
    worker = login_as("worker")
    page = worker.get(f"/grids/{GRID}").get_data(as_text=True)
    assert "海报 PDF" in page and "换发新码" not in page
    point_id, _ = points[0]
    # the worker sees the point: managing it is refused (403), not hidden
    assert worker.post(f"/qr-points/{point_id}/reissue").status_code == 403
    assert worker.post(f"/grids/{GRID}/qr-points", data={"label": "x", "kind": "路口"}
                       ).status_code == 403
    assert worker.post(f"/qr-points/{point_id}/active", data={"active": "0"}).status_code == 403
    # a dispatcher of another town does not see it at all
    assert login_as("dispatcher2").post(f"/qr-points/{point_id}/reissue").status_code == 404
    assert worker.get("/grids/220221101000002").status_code == 404
    assert login_as("dispatcher2").get(f"/grids/{GRID}").status_code == 404


def test_api_lists_a_grids_points(api, points):
    body = api("dispatcher").get(f"/api/v1/qr-points?grid={GRID}").get_json()
    assert [item["id"] for item in body["items"]] == [p for p, _ in points]
    item = body["items"][0]
    assert set(item) >= {"id", "grid_code", "label", "kind", "lat", "lon", "url"}
    assert item["url"] == f"http://127.0.0.1:5000/q/{points[0][1]}"
    assert api("dispatcher").get("/api/v1/qr-points").status_code == 422
    assert api("w101002").get(f"/api/v1/qr-points?grid={GRID}").status_code == 404


def test_cli_lists_creates_and_prints_posters(runner, world, tmp_path):
    listed = runner.invoke(args=["qr", "list", "--grid", GRID]).output.strip().splitlines()
    assert len(listed) == 2 and all("/q/" in line for line in listed)
    created = runner.invoke(args=["qr", "create", GRID, "村委会门口", "--kind", "公示栏"])
    assert created.exit_code == 0 and "/q/" in created.output
    assert runner.invoke(args=["qr", "create", "999", "x"]).exit_code != 0
    out = tmp_path / "posters.pdf"
    result = runner.invoke(args=["qr", "posters", "--grid", GRID, "--out", str(out)])
    assert result.exit_code == 0 and "3 posters" in result.output
    assert len(pdf_pages(out.read_bytes(), dpi=36)) == 3


def test_reissue_and_stop_are_audited(login_as, points, world):
    from audit.models import AuditEntry
    point_id, _ = points[0]
    admin = login_as("admin")
    assert admin.post(f"/qr-points/{point_id}/reissue").status_code == 303
    assert admin.post(f"/qr-points/{point_id}/active", data={"active": "0"}).status_code == 303
    assert admin.post(f"/qr-points/{point_id}/active", data={"active": "0"}).status_code == 303
    with world.app_context():
        rows = db.session.execute(select(AuditEntry.kind, AuditEntry.action, AuditEntry.after)
                                  .order_by(AuditEntry.id)).all()
    assert [(kind, action) for kind, action, _after in rows] == [
        ("qr_point", "reissue"), ("qr_point", "deactivate")]  # stopping twice: once
    assert rows[1].after == {"is_active": False}
    page = admin.get("/admin/audit?kind=qr_point").get_data(as_text=True)
    assert "换发二维码点位" in page and "停用二维码点位" in page


def test_the_grid_page_previews_each_code_and_asks_before_reissue_and_stop(login_as, points):
    dispatcher = login_as("dispatcher")
    page = dispatcher.get(f"/grids/{GRID}").get_data(as_text=True)
    point_id, _ = points[0]
    assert f'src="/qr-points/{point_id}/qr.svg"' in page
    assert 'data-confirm="为「' in page and "旧海报上的二维码将停用" in page
    assert "群众扫码将看到已停用的提示" in page
    svg = dispatcher.get(f"/qr-points/{point_id}/qr.svg")
    assert svg.status_code == 200 and svg.mimetype == "image/svg+xml"
    assert svg.data.lstrip().startswith(b"<?xml") and b"<path" in svg.data
    assert len(svg.data) < 20_000
    assert login_as("dispatcher2").get(f"/qr-points/{point_id}/qr.svg").status_code == 404
