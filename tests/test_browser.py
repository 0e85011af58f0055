"""A real Chromium on a phone-sized screen walks one case round the 七步闭环.

Runs on both database backends like every other database test: the page flow is the same,
but the server answers from a second thread, which is where SQLite and PostgreSQL differ.
"""
import re
from pathlib import Path

import pytest
from PIL import Image, ImageDraw

from tests.support import DEMO_PASSWORD, POINT_GRID1

pytestmark = pytest.mark.browser

SHOTS = Path("/tmp/gridgov-shots")
PHONE = {"viewport": {"width": 390, "height": 844}, "device_scale_factor": 2,
         "is_mobile": True, "has_touch": True, "locale": "zh-CN"}
DESKTOP = {"viewport": {"width": 1280, "height": 800}, "locale": "zh-CN"}
#: Apple HIG / WCAG 2.5.5: touch targets at least 44 CSS px — our workers wear gloves
MIN_TARGET_PX = 44

#: every visible thing a thumb has to hit, with its label and height
TARGETS_JS = """() => [...document.querySelectorAll(
    '.topbar a, button, .button, summary, input:not([type=hidden]), select, textarea')]
  .filter(el => el.offsetParent !== null)
  // a radio button or a checkbox is hit through its label: the label is the target
  .map(el => (['radio', 'checkbox'].includes(el.type) && el.closest('label')) || el)
  .filter(el => el.getBoundingClientRect().height > 2)  // visually hidden inputs of tiles
  .map(el => ({label: (el.innerText || el.name || el.tagName).trim().slice(0, 20),
               height: el.getBoundingClientRect().height}))"""




@pytest.fixture
def photo(tmp_path):
    """A small real JPEG: a grey road with a heap of rubbish."""
    image = Image.new("RGB", (640, 480), (150, 155, 160))
    draw = ImageDraw.Draw(image)
    draw.rectangle((0, 330, 640, 480), fill=(90, 90, 95))
    draw.ellipse((220, 250, 420, 400), fill=(120, 80, 40))
    path = tmp_path / "rubbish.jpg"
    image.save(path, "JPEG", quality=85)
    return path


@pytest.fixture
def shot(request):
    SHOTS.mkdir(parents=True, exist_ok=True)
    backend = request.node.callspec.params.get("database_url", "db")

    def save(page, name):
        page.screenshot(path=str(SHOTS / f"{name}-{backend}.png"), full_page=True)
    return save


def log_in(context, base, username):
    page = context.new_page()
    page.goto(f"{base}/login")
    page.get_by_label("用户名").fill(username)
    page.get_by_label("密码").fill(DEMO_PASSWORD)
    page.get_by_role("button", name="登录").click()
    page.wait_for_url(re.compile(r"/(field/|events\?mine=1)$"))
    if page.url.endswith("/field/"):  # a grid worker lands on the field app; these walk the desk
        page.goto(f"{base}/events?mine=1")
    assert page.locator("h1").inner_text() == "我的待办"
    return page


def assert_fits_a_phone(page):
    """No sideways scrolling, and every button and field big enough for a thumb."""
    scroll_width, inner_width = page.evaluate(
        "() => [document.documentElement.scrollWidth, window.innerWidth]")
    assert scroll_width <= inner_width, f"page scrolls sideways: {scroll_width} > {inner_width}"
    # a phone's browser widens its layout to fit what overflows: hold it to the screen's width
    width = page.viewport_size["width"]
    assert scroll_width <= width, f"page wider than the phone: {scroll_width} > {width}"
    small = [t for t in page.evaluate(TARGETS_JS) if t["height"] < MIN_TARGET_PX]
    assert not small, f"touch targets under {MIN_TARGET_PX}px on {page.url}: {small}"


def action_form(page, action):
    return page.locator(f"form:has(input[name=action][value={action}])")


def open_action(page, label):
    """Unfold an action (a <details>) by its button, unless it is already open."""
    details = page.locator(".actions details").filter(
        has=page.locator("summary", has_text=re.compile(f"^{label}$")))
    if details.get_attribute("open") is None:
        details.locator("summary").click()
    return details


def state_of(page):
    return page.locator(".case-head .state")


def timeline_actions(page):
    return page.locator(".timeline li strong").all_inner_texts()


def test_a_case_goes_round_the_loop_on_phones(open_context, live_server, photo, shot):
    from playwright.sync_api import expect

    # 1. The grid worker reports from the street.
    worker = log_in(open_context(PHONE), live_server, "worker")
    assert_fits_a_phone(worker)
    worker.get_by_role("link", name="上报", exact=True).click()
    worker.wait_for_url(re.compile(r"/events/new$"))
    worker.get_by_label("类别").select_option("06010")
    worker.get_by_label("纬度").fill(str(POINT_GRID1[0]))
    worker.get_by_label("经度").fill(str(POINT_GRID1[1]))
    worker.get_by_label("地址").fill("清河镇幸福路 12 号东侧")
    worker.get_by_label("问题描述").fill("路边堆放生活垃圾约两平方米，未入桶")
    worker.locator("input[name=photos]").set_input_files(photo)
    assert_fits_a_phone(worker)
    shot(worker, "1-new-case")
    worker.get_by_role("button", name="提交").click()
    worker.wait_for_url(re.compile(r"/events/\d+$"))
    case_url = worker.url
    # A case opened from the list carries the way back to it (?back=…).
    case_page = re.compile(re.escape(case_url) + r"(\?.*)?$")
    expect(state_of(worker)).to_have_text("已立案")
    assert re.fullmatch(r"案件 清河-\d{4}-\d{6} 已上报", worker.locator(".flash").inner_text())
    number = worker.locator("h1 small").inner_text()
    picture = worker.locator(".photos img").first
    picture.scroll_into_view_if_needed()
    expect(picture).to_be_visible()
    worker.wait_for_function("img => img.complete && img.naturalWidth > 0",
                             arg=picture.element_handle())
    assert_fits_a_phone(worker)
    shot(worker, "2-filed")

    # 2. The command centre dispatches it from the desk.
    dispatcher = log_in(open_context(DESKTOP), live_server, "dispatcher")
    dispatcher.locator(".workbench td.number a", has_text=number).click()
    dispatcher.wait_for_url(case_page)
    dispatch = open_action(dispatcher, "派遣")
    department = dispatch.locator("select[name=department_code] option:checked").inner_text()
    assert department.endswith("（建议）")
    department = department.removesuffix("（建议）")
    shot(dispatcher, "3-dispatcher")
    dispatch.get_by_role("button", name="确认派遣").click()
    # the case has left the desk: back to the list it was opened from, saying what was done
    dispatcher.wait_for_url(re.compile(r"/events\?mine=1"))
    expect(dispatcher.locator(".flash")).to_have_text(f"已派遣：{number}")
    dispatcher.goto(case_url)
    expect(state_of(dispatcher)).to_have_text("已派遣")
    assert department in dispatcher.locator(".facts").inner_text()

    # 3. The department's handler signs for it and reports back, on a phone.
    handler = log_in(open_context(PHONE), live_server, "handler")
    handler.locator(".workbench td.number a", has_text=number).click()
    handler.wait_for_url(case_page)
    assert_fits_a_phone(handler)
    open_action(handler, "签收").get_by_role("button", name="确认签收").click()
    expect(state_of(handler)).to_have_text("处置中")
    handle = open_action(handler, "处置反馈")
    handle.get_by_label("说明").fill("已清运完毕，现场已清扫")
    handle.locator("input[name=photos]").set_input_files(photo)
    expect(handle.locator(".photo-picker .held img")).to_have_count(1)
    assert_fits_a_phone(handler)
    shot(handler, "4-handler")
    handle.get_by_role("button", name="确认处置反馈").click()
    expect(handler.locator(".flash")).to_have_text(f"已处置反馈：{number}")  # back on the list
    handler.goto(case_url)
    expect(state_of(handler)).to_have_text("待核查")

    # 4. The worker checks on site and closes it.
    worker.goto(f"{live_server}/events?mine=1")
    worker.locator(".workbench td.number a", has_text=number).click()
    worker.wait_for_url(case_page)
    close = open_action(worker, "核查结案")
    confirm = close.get_by_role("button", name="确认核查结案")
    confirm.click()  # without a note the browser keeps the form and says why
    assert case_page.match(worker.url)
    expect(state_of(worker)).to_have_text("待核查")
    assert close.locator("textarea[name=note]").evaluate("el => !el.validity.valid")
    close.get_by_label("说明").fill("现场核查已整改到位")
    # the handler's photo is there to compare with; the worker's own is required
    expect(close.locator(".compare img")).to_have_count(1)
    confirm.click()
    expect(worker.locator("p.error[role=alert]:not(.upload-error)")).to_contain_text(
        "核查结案需附现场照片")
    close = open_action(worker, "核查结案")
    assert close.locator("textarea[name=note]").input_value() == "现场核查已整改到位"
    close.locator("input[name=photos]").set_input_files(photo)
    expect(close.locator(".photo-picker .held img")).to_have_count(1)
    close.get_by_role("button", name="确认核查结案").click()
    expect(worker.locator(".flash")).to_have_text(f"已核查结案：{number}")
    worker.goto(case_url)
    expect(state_of(worker)).to_have_text("已结案")
    history = timeline_actions(worker)
    assert history == ["核查结案", "处置反馈", "签收", "派遣", "上报"]
    assert "已清运完毕，现场已清扫" in worker.locator(".timeline").inner_text()
    assert worker.locator(".actions").count() == 0  # nothing left to do
    assert_fits_a_phone(worker)
    shot(worker, "5-closed")


def test_the_login_page_and_case_list_fit_a_phone(open_context, live_server, report, shot):
    for index in range(3):
        report("worker", description=f"第 {index + 1} 处垃圾",
               address="清河镇幸福路与建设街交汇处西北角")
    page = open_context(PHONE).new_page()
    page.goto(f"{live_server}/login")
    assert_fits_a_phone(page)
    shot(page, "0-login")

    page = log_in(open_context(PHONE), live_server, "dispatcher")
    page.goto(f"{live_server}/events")
    assert page.locator(".workbench tbody tr").count() == 3
    assert_fits_a_phone(page)
    shot(page, "6-list")

    # English labels are longer than Chinese ones; the detail page must still fit.
    page.get_by_role("link", name="English").click()
    page.locator(".workbench td.number a").first.click()
    page.wait_for_url(re.compile(r"/events/\d+(\?.*)?$"))
    assert page.locator("html").get_attribute("lang") == "en"
    assert page.locator(".actions summary.primary").inner_text() == "Dispatch"
    assert_fits_a_phone(page)
    shot(page, "7-detail-en")


def test_a_refused_report_keeps_its_photo_shrunk_in_the_browser(open_context, live_server,
                                                                tmp_path, configure, shot):
    from playwright.sync_api import expect
    configure(WTF_CSRF_ENABLED=True)  # the upload carries the page's token, as in production
    big = tmp_path / "big.jpg"
    Image.new("RGB", (3200, 2400), (120, 130, 90)).save(big, "JPEG", quality=90)
    worker = log_in(open_context(PHONE), live_server, "worker")
    worker.goto(f"{live_server}/events/new")
    worker.get_by_label("类别").select_option("06010")
    worker.get_by_label("纬度").fill("四十三")  # not a number: refused by the server
    worker.get_by_label("经度").fill(str(POINT_GRID1[1]))
    worker.get_by_label("问题描述").fill("桥头垃圾无人清运")
    worker.locator("input[name=photos]").set_input_files(big)
    held = worker.locator(".photo-picker .held img")
    expect(held).to_have_count(1)
    worker.get_by_role("button", name="提交").click()
    expect(worker.locator(".error[role=alert]").first).to_contain_text("纬度")
    # the photo and the typed text are still there, the photo as the form's own
    expect(held).to_have_count(1)
    assert worker.get_by_label("问题描述").input_value() == "桥头垃圾无人清运"
    assert worker.locator("input[name=photo_ids]").count() == 1
    assert_fits_a_phone(worker)
    shot(worker, "8-photo-kept")
    worker.get_by_label("纬度").fill(str(POINT_GRID1[0]))
    worker.get_by_role("button", name="提交").click()
    worker.wait_for_url(re.compile(r"/events/\d+$"))
    expect(worker.locator(".flash")).to_contain_text("已上报")
    full = worker.locator(".photos a").first.get_attribute("href")
    width = worker.evaluate("""async url => {
        const image = new Image(); image.src = url; await image.decode();
        return Math.max(image.naturalWidth, image.naturalHeight); }""", full)
    assert width == 1600  # shrunk in the browser before it was sent


WALL = {"viewport": {"width": 1920, "height": 1080}, "locale": "zh-CN"}


def test_a_hotline_call_is_recorded_at_the_desk_in_one_screen(open_context, live_server,
                                                              api, shot):
    from playwright.sync_api import expect
    earlier = api("dispatcher").post("/api/v1/events", json={
        "category_code": "09009", "lat": POINT_GRID1[0], "lon": POINT_GRID1[1],
        "source": "hotline", "description": "上周反映的乱停车", "caller_phone": "13812341234"})
    assert earlier.status_code == 201
    desk = log_in(open_context(WALL), live_server, "dispatcher")
    refused = []  # the map library runs under the page's Content-Security-Policy
    desk.on("console", lambda m: refused.append(m.text) if m.type == "error" else None)
    desk.on("pageerror", lambda error: refused.append(str(error)))
    desk.get_by_role("link", name="热线受理").click()
    desk.wait_for_url(re.compile(r"/hotline$"))
    phone = desk.get_by_label("来电号码")
    expect(phone).to_be_focused()  # the call starts with the number
    phone.fill("138 1234 1234")
    history = desk.locator("#earlier")
    expect(history).to_contain_text(earlier.get_json()["number"])  # a repeat caller
    desk.get_by_label("姓名（可不填）").fill("王大爷")
    search = desk.get_by_label("搜索全部类别")
    search.fill("井盖")
    expect(desk.locator(".all-categories label.line:visible")).to_have_count(1)
    desk.locator(".tiles label.tile", has_text="暴露垃圾").click()
    desk.get_by_label("3. 问题描述").fill("幸福路口垃圾两天没人清")
    # the place: a click inside the first grid's polygon on the map
    desk.locator("#pick-map path.leaflet-interactive").first.click()
    expect(desk.locator("#picked")).to_contain_text("清河镇第1网格")
    assert desk.locator("select[name=grid_code]").input_value() == "220221101000001"
    assert desk.locator("input[name=lat]").input_value()
    # the whole form fits one desk screen: nothing to scroll to before 受理
    button = desk.get_by_role("button", name="受理并生成查询码")
    box = button.bounding_box()
    assert box["y"] + box["height"] <= 1080, box
    shot(desk, "9-hotline")
    button.click()
    desk.wait_for_url(re.compile(r"/hotline\?done=\d+$"))
    code = desk.locator(".received .code").get_attribute("data-code")
    assert re.fullmatch(r"[2-9A-Z]{10}", code)
    expect(desk.locator(".received .code")).to_be_visible()
    assert desk.locator(".received .code").evaluate(
        "el => parseFloat(getComputedStyle(el).fontSize)") >= 32  # large, to read aloud
    shot(desk, "10-hotline-received")
    desk.locator(".received a").first.click()
    expect(desk.locator(".facts")).to_contain_text(code)
    expect(desk.locator(".facts")).to_contain_text("王大爷 13812341234")
    expect(state_of(desk)).to_have_text("待核实")
    assert refused == []
