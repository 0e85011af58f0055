"""清雪作战 on the wall and on paper (issue 14): the wall's figures and pressing grids follow
the clearing (state.json); the summary as a PDF carries each town's figures, late points and
clearing photos; both only to those who may see the operation."""
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

CST = ZoneInfo("Asia/Shanghai")
BEGAN = datetime(2026, 12, 2, 20, 0, tzinfo=CST)
STOPPED = datetime(2026, 12, 3, 4, 0, tzinfo=CST)
TICKS = {"no_ice": True, "no_residual_snow": True, "ground_visible": True}


@pytest.fixture
def database_url(sqlite_url):
    """Pages over the services tested on both engines (tests/test_snow.py)."""
    return sqlite_url


@pytest.fixture
def operation(world, api, freeze):
    """清河镇 declared, the snow stopped; the first grid cleared by the worker at 07:30, and
    the clock then moved past every deadline (次干道 at 中雪: 24 h)."""
    freeze(STOPPED + timedelta(hours=3, minutes=30))
    dispatcher = api("dispatcher")
    made = dispatcher.post("/api/v1/snow-operations", json={
        "town_codes": ["220221101000"], "level": "中雪", "started_at": BEGAN.isoformat()})
    operation_id = made.get_json()["id"]
    dispatcher.post(f"/api/v1/snow-operations/{operation_id}/snow-stopped",
                    json={"at": STOPPED.isoformat()})
    worker = api("worker")
    point = made.get_json()["tasks"][0]["points"][0]["id"]
    cleared = worker.post(f"/api/v1/snow-operations/{operation_id}/points/{point}", json={
        "action": "clear", "photo_ids": [worker.upload_photo()], "checks": TICKS})
    assert cleared.status_code == 200, cleared.get_json()
    freeze(STOPPED + timedelta(hours=26))
    return operation_id


def test_the_wall_shows_the_towns_and_the_pressing_grids(world, login_as, operation,
                                                         monkeypatch):
    supervisor = login_as("supervisor")
    wall = supervisor.get(f"/snow/{operation}/wall")
    assert wall.status_code == 200
    page = wall.get_data(as_text=True)
    assert "清雪作战大屏" in page and 'data-town="220221101000"' in page
    assert '<span data-field="cleared">1</span>' in page and "超时 2.0 小时" in page
    state = supervisor.get(f"/snow/{operation}/state.json").get_json()
    assert state["towns"]["220221101000"]["cleared"] == 1
    assert state["towns"]["220221101000"]["late"] == state["tasks"] - 1
    pressing = state["pressing"]
    assert len(pressing) == 12 - 1 and all(row["late_hours"] == 2.0 for row in pressing)
    assert "清河镇第1网格" not in [row["grid"] for row in pressing]  # cleared: not pressing
    # the list is capped (at 12, the town's grids here: a shorter cap shows it)
    monkeypatch.setattr("snow.views.PRESSING", 4)
    assert len(supervisor.get(f"/snow/{operation}/state.json").get_json()["pressing"]) == 4
    # the other town's dispatcher does not see this operation; a worker has no wall
    assert login_as("dispatcher2").get(f"/snow/{operation}/wall").status_code == 404
    assert login_as("worker").get(f"/snow/{operation}/wall").status_code == 403


def test_the_summary_pdf_carries_the_figures_late_points_and_photos(world, login_as,
                                                                    operation):
    import pypdfium2
    answer = login_as("dispatcher").get(f"/snow/{operation}/summary.pdf")
    assert answer.status_code == 200 and answer.mimetype == "application/pdf"
    document = pypdfium2.PdfDocument(answer.get_data())
    text = "".join(page.get_textpage().get_text_range() for page in document)
    assert "清雪作战总结" in text and "清河镇" in text and "清雪及时率" in text
    assert "8.3%" in text  # 1 of 12 grids cleared by its deadline
    assert "清河镇第2网格" in text and "超时点位" in text
    images = sum(1 for page in document for obj in page.get_objects()
                 if obj.type == pypdfium2.raw.FPDF_PAGEOBJ_IMAGE)
    assert images == 1  # the first grid's clearing photo
    assert login_as("dispatcher2").get(f"/snow/{operation}/summary.pdf").status_code == 404
