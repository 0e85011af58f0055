"""系统管理 in a real Chromium (issue 12): an admin at 1920×1080 creates a user (a refused
form first, its errors beside the fields), reads the one-time password, finds the change in
the audit log and names a department's head; the grids and a grid's QR page at 390×844.
Screenshots go to /tmp/gridgov-shots."""
import io
import re

import pytest
from PIL import Image

from tests.support import DEMO_PASSWORD
from tests.test_qr_posters import decode
from tests.test_browser import PHONE, SHOTS, assert_fits_a_phone

DESK = {"viewport": {"width": 1920, "height": 1080}, "locale": "zh-CN"}


@pytest.fixture
def database_url(sqlite_url):
    """The pages in a browser on SQLite only: what the admin pages do on each engine is
    tested on both by the tests of the same names without a browser (test_admin_*.py)."""
    return sqlite_url


def _logged_in(open_context, live_server, options, username="admin"):
    page = open_context(options).new_page()
    errors = []
    # a refused form is answered 422, which the console reports: any other error counts
    page.on("console", lambda message: errors.append(message.text)
            if message.type == "error" and "status of 422" not in message.text else None)
    page.goto(f"{live_server}/login")
    page.get_by_label("用户名").fill(username)
    page.get_by_label("密码").fill(DEMO_PASSWORD)
    page.get_by_role("button", name="登录").click()
    page.wait_for_load_state()
    return page, errors


def test_an_admin_creates_a_user_and_finds_it_in_the_audit_log(world, open_context,
                                                               live_server):
    from playwright.sync_api import expect
    page, errors = _logged_in(open_context, live_server, DESK)
    page.get_by_role("link", name="系统管理").click()
    page.screenshot(path=str(SHOTS / "admin-1-home-desk.png"), full_page=True)
    page.locator(".admin-tabs").get_by_role("link", name="用户").click()
    page.get_by_role("link", name="新建用户").click()
    page.get_by_label("用户名（登录用，英文字母或数字）").fill("wang.xm")
    # the role chooses which scope shows: a grid worker's grids, not a department
    expect(page.locator("fieldset[data-for=grid_worker]")).to_be_visible()
    expect(page.locator("fieldset[data-for=handler]")).to_be_hidden()
    page.get_by_role("button", name="创建用户").click()
    expect(page.locator("p.error").first).to_contain_text("有 2 处需要修改")
    expect(page.locator(".field-error", has_text="请填写姓名")).to_be_visible()
    expect(page.locator(".field-error", has_text="网格员至少要负责一个网格")).to_be_visible()
    page.screenshot(path=str(SHOTS / "admin-2-user-errors-desk.png"), full_page=True)
    page.get_by_label("姓名").fill("王小明")
    page.locator("details.grid-choice summary", has_text="清河镇").click()  # a town's grids
    page.get_by_label("负责 清河镇第3网格").check()
    page.get_by_label("任 清河镇第3网格 网格长").check()
    page.get_by_role("button", name="创建用户").click()
    expect(page.locator(".password-once")).to_contain_text("临时密码（只显示这一次）")
    assert re.fullmatch(r"\S{8,}", page.locator(".temp-password code").inner_text())
    page.screenshot(path=str(SHOTS / "admin-3-user-created-desk.png"), full_page=True)
    page.goto(f"{live_server}/admin/users?q=wang")
    expect(page.locator("table.admin-table")).to_contain_text("清河镇第3网格")
    expect(page.locator("table.admin-table")).to_contain_text("待改密码")
    page.screenshot(path=str(SHOTS / "admin-4-users-desk.png"), full_page=True)
    page.locator(".admin-tabs").get_by_role("link", name="审计日志").click()
    entry = page.locator(".audit-entries li").first
    expect(entry).to_contain_text("新建用户 · wang.xm")
    expect(entry).to_contain_text("220221101000003")
    page.screenshot(path=str(SHOTS / "admin-5-audit-desk.png"), full_page=True)
    page.locator(".admin-tabs").get_by_role("link", name="责任单位").click()
    page.get_by_role("link", name="环卫所").first.click()
    page.get_by_label("部门负责人（接收一级超期提醒）").select_option(index=0)
    page.get_by_role("button", name="保存").click()
    expect(page.locator("p.flash")).to_contain_text("已保存 环卫所")
    page.screenshot(path=str(SHOTS / "admin-6-department-desk.png"), full_page=True)
    assert not errors, errors


def test_the_grids_and_a_grids_qr_page_on_a_phone(world, open_context, live_server):
    from playwright.sync_api import expect
    page, errors = _logged_in(open_context, live_server, PHONE, "dispatcher")
    page.goto(f"{live_server}/admin")
    assert_fits_a_phone(page)
    page.screenshot(path=str(SHOTS / "admin-7-home-phone.png"), full_page=True)
    page.locator(".admin-tabs").get_by_role("link", name="网格与二维码").click()
    expect(page.locator(".grid-town")).to_have_count(1)  # the dispatcher's own town
    assert_fits_a_phone(page)
    page.screenshot(path=str(SHOTS / "admin-8-grids-phone.png"), full_page=True)
    page.get_by_role("link", name="清河镇第1网格").click()
    expect(page.locator("h1")).to_contain_text("清河镇第1网格")
    # the preview is the point's real code: it scans to the URL printed beside it
    first = page.locator(".qr-point").first
    preview = Image.open(io.BytesIO(first.locator(".qr-preview img").screenshot()))
    assert decode(preview) == [first.locator(".qr-url").inner_text().strip()]
    asked = []
    page.once("dialog", lambda dialog: (asked.append(dialog.message), dialog.dismiss()))
    first.get_by_role("button", name="停用").click()
    assert asked and "停用「" in asked[0] and "已停用的提示" in asked[0]
    expect(first.locator(".state-rejected")).to_have_count(0)  # dismissed: nothing stopped
    assert_fits_a_phone(page)
    page.screenshot(path=str(SHOTS / "admin-9-qr-page-phone.png"), full_page=True)
    page.goto(f"{live_server}/admin/users")
    assert_fits_a_phone(page)
    page.screenshot(path=str(SHOTS / "admin-10-users-phone.png"), full_page=True)
    assert not errors, errors


def test_categories_routing_and_the_calendar_on_a_desk_and_a_phone(world, open_context,
                                                                   live_server):
    """事项类别, a category's form (a refused limit beside its field), 责任清单 beside the
    plan's items, and the calendar's month grids — on a desk and on a phone."""
    from playwright.sync_api import expect
    for options, name in ((DESK, "desk"), (PHONE, "phone")):
        page, errors = _logged_in(open_context, live_server, options)
        page.goto(f"{live_server}/admin/categories")
        expect(page.locator("table.admin-table")).to_contain_text("暴露垃圾")
        shots = [f"admin-11-categories-{name}.png"]
        page.screenshot(path=str(SHOTS / shots[0]), full_page=True)
        page.get_by_role("link", name="暴露垃圾", exact=True).click()
        page.get_by_label("处置时限").fill("0")
        page.get_by_role("button", name="保存").click()
        expect(page.locator(".field-error")).to_have_text("处置时限须为 0.1–1000 的数")
        page.screenshot(path=str(SHOTS / f"admin-12-category-error-{name}.png"), full_page=True)
        page.goto(f"{live_server}/admin/routing")
        expect(page.locator("table.routing-table")).to_contain_text("第 14 项")
        page.screenshot(path=str(SHOTS / f"admin-13-routing-{name}.png"), full_page=True)
        page.goto(f"{live_server}/admin/calendar?year=2026")
        expect(page.locator("table.cal-month")).to_have_count(12)
        page.screenshot(path=str(SHOTS / f"admin-14-calendar-{name}.png"), full_page=True)
        page.goto(f"{live_server}/admin/regions")
        expect(page.locator(".region-tree")).to_contain_text("220221101000")
        page.screenshot(path=str(SHOTS / f"admin-17-regions-{name}.png"), full_page=True)
        page.get_by_role("link", name="清河镇").first.click()
        page.get_by_label("工作时段").fill("8点到12点")
        page.get_by_role("button", name="保存").click()
        expect(page.locator(".field-error")).to_contain_text("工作时段格式如")
        page.screenshot(path=str(SHOTS / f"admin-18-town-error-{name}.png"), full_page=True)
        if options is PHONE:
            for url in ("/admin/categories", "/admin/routing", "/admin/calendar?year=2026",
                        "/admin/regions", "/admin/audit", "/admin/departments"):
                page.goto(f"{live_server}{url}")
                assert_fits_a_phone(page)
        assert not errors, errors


def test_a_grid_import_is_previewed_on_the_map_then_saved(world, open_context, live_server,
                                                          tmp_path):
    """导入网格: the town's export with one grid split in two, previewed on Leaflet (the file's
    grids over the town's, no tile server), then saved; a broken file's grid drawn red."""
    import json as json_

    from playwright.sync_api import expect

    from tests.test_grid_import import TOWN, _bowtie, _split
    for options, name in ((DESK, "desk"), (PHONE, "phone")):
        page, errors = _logged_in(open_context, live_server, options)
        document = page.request.get(f"{live_server}/admin/grids/{TOWN}.geojson").json()
        if name == "desk":
            _split(document, f"{TOWN}012", f"{TOWN}013")
        else:
            _bowtie(document, f"{TOWN}003")
        path = tmp_path / f"{name}.geojson"
        path.write_text(json_.dumps(document), encoding="utf-8")
        page.goto(f"{live_server}/grids")
        page.locator(".grid-town").first.get_by_role("link", name="导入 GeoJSON").click()
        page.get_by_label("GeoJSON 文件").set_input_files(str(path))
        page.get_by_role("button", name="预览").click()
        shapes = page.locator("#import-map path.leaflet-interactive")
        expect(shapes).to_have_count(len(document["features"]))  # a refused one drawn red
        if name == "desk":
            expect(page.locator("h2", has_text="预览：13 个网格")).to_be_visible()
            page.screenshot(path=str(SHOTS / "admin-15-grid-import-desk.png"), full_page=True)
            page.get_by_role("button", name="保存这 13 个网格").click()
            expect(page.locator("p.flash")).to_contain_text("新增 1 个，修改 1 个")
            expect(page.locator(".grid-list").first).to_contain_text("新划第13网格")
        else:
            expect(page.locator("div.error")).to_contain_text("边界自相交")
            expect(page.get_by_role("button", name="保存这")).to_have_count(0)
            assert_fits_a_phone(page)
            page.screenshot(path=str(SHOTS / "admin-16-grid-import-error-phone.png"),
                            full_page=True)
        assert not errors, errors
