"""示范镇名录 in a real Chromium (issue 15): the registry and its quotas on a desk at
1920×1080 and on a phone at 390×844 (one column, nothing wider than the screen), a
decision recorded through the page. Screenshots go to /tmp/gridgov-shots."""
import pytest
from playwright.sync_api import expect

from tests.support import DEMO_PASSWORD
from tests.test_browser import PHONE, SHOTS, assert_fits_a_phone
from tests.test_snow_browser import DESK

pytestmark = pytest.mark.browser


@pytest.fixture
def database_url(sqlite_url):
    """The pages in a browser on SQLite: the services are tested on both engines."""
    return sqlite_url


def _log_in(open_context, live_server, options, username):
    page = open_context(options).new_page()
    page.goto(f"{live_server}/login")
    page.get_by_label("用户名").fill(username)
    page.get_by_label("密码").fill(DEMO_PASSWORD)
    page.get_by_role("button", name="登录").click()
    page.wait_for_load_state()
    return page


def _plan(town, live_server) -> None:
    """清河镇's town office plans 供水管网改造 under item 4 with one milestone, 管网铺设."""
    town.goto(f"{live_server}/programme/220221101000/ledger")
    item = town.locator("#item-4")
    item.locator("summary", has_text="添加项目").click()
    item.get_by_label("项目名称").fill("供水管网改造")
    item.get_by_label("责任单位").fill("镇规划建设办")
    item.get_by_label("建设目标").fill("改造管网 3.2 公里")
    item.get_by_role("button", name="添加项目").click()
    expect(town.locator("p.flash")).to_have_text("已添加项目")
    item = town.locator("#item-4")
    item.locator("summary", has_text="添加节点").click()
    item.get_by_label("节点名称").fill("管网铺设")
    item.get_by_label("日期", exact=True).fill("2027-06-30")
    item.get_by_role("button", name="添加节点").click()
    expect(town.locator("p.flash")).to_have_text("已添加节点")


def test_the_registry_on_a_desk_and_a_phone(world, open_context, live_server):
    SHOTS.mkdir(exist_ok=True)
    admin = _log_in(open_context, live_server, DESK, "admin")
    admin.goto(f"{live_server}/programme")
    expect(admin.locator("table.programme-list tbody tr")).to_have_count(2)
    expect(admin.locator(".programme-quotas")).to_contain_text("永吉县")
    admin.get_by_role("link", name="柳湾镇").click()
    admin.get_by_label("状态").select_option(label="淘汰")
    admin.get_by_label("决定文号").fill("吉市住建〔2026〕30 号")
    admin.get_by_role("button", name="记录决定").click()
    expect(admin.locator("p.flash")).to_have_text("已记录决定")
    expect(admin.locator(".programme-history li").first).to_contain_text("吉市住建〔2026〕30 号")
    admin.screenshot(path=str(SHOTS / "programme-town-desk.png"), full_page=True)
    admin.goto(f"{live_server}/programme")
    admin.screenshot(path=str(SHOTS / "programme-desk.png"), full_page=True)
    phone = _log_in(open_context, live_server, PHONE, "supervisor")
    phone.goto(f"{live_server}/programme")
    expect(phone.locator("table.programme-list tbody tr")).to_have_count(2)
    expect(phone.locator(".programme-list")).to_contain_text("淘汰")
    assert_fits_a_phone(phone)
    phone.screenshot(path=str(SHOTS / "programme-phone.png"), full_page=True)


def test_the_ledger_charts_the_items_and_takes_progress_on_a_phone(world, open_context,
                                                                   live_server):
    SHOTS.mkdir(exist_ok=True)
    town = _log_in(open_context, live_server, PHONE, "dispatcher")
    _plan(town, live_server)
    town.locator("#item-4").get_by_label("管网铺设 完成比例").fill("60")
    town.locator("#item-4").get_by_role("button", name="更新").click()
    expect(town.locator("#item-4 h2 .ledger-pct")).to_have_text("60%")
    expect(town.locator(".ledger-total strong")).to_have_text("60%")
    expect(town.locator("#ledger-chart svg")).to_be_attached()
    assert_fits_a_phone(town)
    town.screenshot(path=str(SHOTS / "ledger-phone.png"), full_page=True)
    desk = _log_in(open_context, live_server, DESK, "supervisor")
    desk.goto(f"{live_server}/programme/220221101000/ledger")
    expect(desk.locator("#ledger-chart svg")).to_be_attached()
    expect(desk.locator("details.ledger-add")).to_have_count(0)  # supervisors read it
    desk.screenshot(path=str(SHOTS / "ledger-desk.png"), full_page=True)


def test_a_monthly_report_from_a_phone(world, open_context, live_server):
    SHOTS.mkdir(exist_ok=True)
    town = _log_in(open_context, live_server, PHONE, "dispatcher")
    _plan(town, live_server)
    town.get_by_role("link", name="建设进展报送").click()
    town.get_by_label("管网铺设 完成比例").fill("35")
    town.get_by_label("管网铺设 已完成投资").fill("210")
    town.get_by_label("存在问题及需协调事项").fill("管材到货延迟")
    assert_fits_a_phone(town)
    town.screenshot(path=str(SHOTS / "reports-form-phone.png"), full_page=True)
    town.get_by_role("button", name="报送", exact=True).click()
    expect(town.locator("p.flash")).to_contain_text("建设进展")
    expect(town.locator(".report-row")).to_have_count(1)
    expect(town.locator(".report-row")).to_contain_text("管网铺设 35%")
    assert_fits_a_phone(town)
    town.screenshot(path=str(SHOTS / "reports-phone.png"), full_page=True)
    desk = _log_in(open_context, live_server, DESK, "supervisor")
    desk.goto(f"{live_server}/programme/220221101000/reports")
    expect(desk.locator(".report-row")).to_contain_text("管材到货延迟")
    desk.screenshot(path=str(SHOTS / "reports-desk.png"), full_page=True)


def test_the_assessment_published_and_a_replacement_carried_out(world, county, freeze,
                                                                open_context, live_server):
    """The county's four 省级 towns in January 2027: P4 two years at the bottom; an admin
    publishes 2026's result and carries out the 递补 from the page; on a phone too."""
    from datetime import datetime, timezone

    from programme import services
    from tests.support import writing
    SHOTS.mkdir(exist_ok=True)
    freeze(datetime(2027, 1, 15, 2, 0, tzinfo=timezone.utc))
    with writing(world):
        services.enter_marked_towns(datetime(2027, 1, 15, 2, 0, tzinfo=timezone.utc), "测试")
    admin = _log_in(open_context, live_server, DESK, "admin")
    admin.goto(f"{live_server}/programme")
    admin.get_by_role("link", name="年度考核").click()
    admin.get_by_label("考核年度").select_option(label="2026 年")
    admin.get_by_role("button", name="查看").click()
    rows = admin.locator("table.assessment tbody tr")
    expect(rows).to_have_count(5)  # P1–P4 and the demo's 清河镇 (no data: unranked)
    expect(rows.nth(3)).to_contain_text("淘汰预警")
    expect(admin.locator("p.warning")).to_contain_text("C2镇")
    admin.get_by_label("发布文号").fill("吉政办〔2027〕3 号")
    admin.get_by_role("button", name="发布 2026 年度考核结果").click()
    expect(admin.locator("p.flash")).to_contain_text("已发布 2026 年省级示范镇考核结果")
    expect(admin.locator("h1 + p.meta")).to_contain_text("吉政办〔2027〕3 号")
    admin.screenshot(path=str(SHOTS / "assessment-desk.png"), full_page=True)
    admin.get_by_label("递补决定文号").fill("吉政〔2027〕5 号")
    admin.get_by_role("button", name="执行递补").click()
    expect(admin.locator("p.flash")).to_have_text("已递补：P4镇 淘汰，C2镇 递补入选省级示范镇")
    expect(rows.nth(3)).to_contain_text("淘汰预警")  # the published result stays as it was
    admin.get_by_role("link", name="考核办法与权重").click()
    expect(admin.locator("p.formula")).to_contain_text("建设进度×40 + 治理成效×40 + 环境责任×20")
    admin.screenshot(path=str(SHOTS / "assessment-formula-desk.png"), full_page=True)
    phone = _log_in(open_context, live_server, PHONE, "admin")
    phone.goto(f"{live_server}/programme/assessment?level=省级&year=2026")
    expect(phone.locator("table.assessment tbody tr")).to_have_count(5)
    assert_fits_a_phone(phone)
    phone.screenshot(path=str(SHOTS / "assessment-phone.png"), full_page=True)
    phone.goto(f"{live_server}/programme/assessment/formula")
    assert_fits_a_phone(phone)
    phone.screenshot(path=str(SHOTS / "assessment-formula-phone.png"), full_page=True)
