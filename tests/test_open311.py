"""Open311 GeoReport v2: discovery, services, requests in JSON and XML; keys; errors."""
import xml.etree.ElementTree as ET
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from core.extensions import db
from events.models import Event
from tests.support import POINT_GRID1

BASE = "/open311/v2"


@pytest.fixture
def api_key(world, runner):
    result = runner.invoke(args=["open311", "create-key", "12345热线"])
    assert result.exit_code == 0
    return result.output.strip().splitlines()[-1]  # the key, alone on the last line


def _post(client, key, fmt="json", **fields):
    data = {"api_key": key, "service_code": "06010", "lat": str(POINT_GRID1[0]),
            "long": str(POINT_GRID1[1]), "description": "路边有垃圾", **fields}
    data = {k: v for k, v in data.items() if v is not None}
    return client.post(f"{BASE}/requests.{fmt}", data=data)


def _xml(response):
    assert response.data.startswith(b'<?xml version="1.0" encoding="UTF-8"?>')
    assert response.content_type == "text/xml; charset=utf-8"
    return ET.fromstring(response.data)


def test_discovery_in_both_formats(client, world):
    body = client.get(f"{BASE}/discovery.json").get_json()
    endpoint = body["endpoints"][0]
    assert endpoint["specification"] == "http://wiki.open311.org/GeoReport_v2"
    assert set(endpoint["formats"]) == {"text/xml", "application/json"}
    root = _xml(client.get(f"{BASE}/discovery.xml"))
    assert root.tag == "discovery" and root.find("endpoints/endpoint/url").text.endswith("/open311/v2")


def test_services_come_from_active_categories_grouped_by_major_class(client, world):
    services = client.get(f"{BASE}/services.json").get_json()
    garbage = next(s for s in services if s["service_code"] == "06010")
    assert garbage == {"service_code": "06010", "service_name": "暴露垃圾",
                       "description": garbage["description"], "metadata": False,
                       "type": "realtime", "keywords": "市容环境,暴露垃圾", "group": "市容环境"}
    assert next(s for s in services if s["service_code"] == "06001")["metadata"] is True
    root = _xml(client.get(f"{BASE}/services.xml"))
    assert len(root.findall("service")) == len(services)
    assert root.find("service/metadata").text in ("true", "false")


def test_service_definition_lists_attributes(client, world):
    body = client.get(f"{BASE}/services/06001.json").get_json()
    attribute = body["attributes"][0]
    assert attribute["code"] == "stage" and attribute["datatype"] == "singlevaluelist"
    assert {v["key"] for v in attribute["values"]} == {"building", "built"}
    root = _xml(client.get(f"{BASE}/services/06001.xml"))
    assert root.tag == "service_definition"
    assert root.find("attributes/attribute/values/value/key").text == "building"
    missing = client.get(f"{BASE}/services/99999.xml")
    assert missing.status_code == 404 and _xml(missing).find("error/code").text == "404"


def test_post_creates_a_case_awaiting_verification(client, api_key, world):
    response = _post(client, api_key, first_name="明", last_name="赵", phone="13900001111",
                     email="", address_string="人民大街 8 号")
    assert response.status_code == 200
    body = response.get_json()
    assert isinstance(body, list) and len(body) == 1
    assert body[0]["service_notice"] and "token" not in body[0]
    with world.app_context():
        event = db.session.get(Event, int(body[0]["service_request_id"]))
        assert (event.source, event.state) == ("open311", "reported")
        assert (event.reporter_name, event.reporter_phone) == ("赵 明", "13900001111")
        assert event.address == "人民大街 8 号" and event.grid.code == "220221101000001"


def test_post_with_attributes_and_key_in_query_string(client, api_key, world):
    response = client.post(f"{BASE}/requests.xml?api_key={api_key}", data={
        "service_code": "06001", "lat": str(POINT_GRID1[0]), "long": str(POINT_GRID1[1]),
        "attribute[stage]": "building", "description": ""})
    assert response.status_code == 200
    request_id = _xml(response).find("request/service_request_id").text
    with world.app_context():
        event = db.session.get(Event, int(request_id))
        assert event.description == "私搭乱建"  # no description posted: the service's name
        assert event.attributes == [{"code": "stage", "question": "建设进度",
                                     "value": "building", "label": "正在施工"}]
    bad = client.post(f"{BASE}/requests.json?api_key={api_key}", data={
        "service_code": "06001", "lat": str(POINT_GRID1[0]), "long": str(POINT_GRID1[1]),
        "attribute[stage]": "flying"})
    assert bad.status_code == 400 and "building" in bad.get_json()[0]["description"]


def test_the_description_comes_back_as_posted_and_staff_see_the_answers_beside_it(
        client, api_key, api, login_as):
    posted = client.post(f"{BASE}/requests.json", data={
        "api_key": api_key, "service_code": "09009", "lat": str(POINT_GRID1[0]),
        "long": str(POINT_GRID1[1]), "description": "路口有车堵住消防通道",
        "attribute[plate]": "吉B12345"}).get_json()
    ident = int(posted[0]["service_request_id"])
    api("worker").act(ident, "verify", note="属实")
    public = client.get(f"{BASE}/requests/{ident}.json").get_json()[0]
    assert public["description"] == "路口有车堵住消防通道"
    case = api("dispatcher").get(f"/api/v1/events/{ident}").get_json()
    assert case["description"] == "路口有车堵住消防通道"
    assert case["attributes"] == [{"code": "plate", "question": "车牌号（如能看清）",
                                   "value": "吉B12345", "label": "吉B12345"}]
    page = login_as("dispatcher").get(f"/events/{ident}").get_data(as_text=True)
    assert "<dt>车牌号（如能看清）</dt><dd>吉B12345</dd>" in page


def _jpeg(width=800, height=600) -> bytes:
    import io
    from PIL import Image
    out = io.BytesIO()
    Image.new("RGB", (width, height), (120, 90, 30)).save(out, "JPEG")
    return out.getvalue()


def test_a_photo_posted_as_multipart_media_is_stored_and_published_as_media_url(
        live_server, api_key, api, world):
    import requests
    response = requests.post(f"{live_server}{BASE}/requests.json", data={
        "api_key": api_key, "service_code": "06010", "lat": str(POINT_GRID1[0]),
        "long": str(POINT_GRID1[1]), "description": "路边有垃圾"},
        files={"media": ("photo.jpg", _jpeg(), "image/jpeg")}, timeout=30)
    assert response.status_code == 200, response.text
    ident = int(response.json()[0]["service_request_id"])
    api("worker").act(ident, "verify", note="属实")
    public = requests.get(f"{live_server}{BASE}/requests/{ident}.json", timeout=10).json()[0]
    assert "/p/" in public["media_url"]
    photo = requests.get(live_server + public["media_url"].split("127.0.0.1:5000", 1)[-1],
                         timeout=10)
    assert photo.status_code == 200 and photo.headers["Content-Type"] == "image/jpeg"
    with world.app_context():
        event = db.session.get(Event, ident)
        assert event.media_url is None and len(event.attachments) == 1
        assert (event.attachments[0].width, event.attachments[0].height) == (800, 600)


def test_a_bad_media_file_is_a_400_and_leaves_nothing(client, api_key, world):
    import io
    response = client.post(f"{BASE}/requests.json", content_type="multipart/form-data", data={
        "api_key": api_key, "service_code": "06010", "lat": str(POINT_GRID1[0]),
        "long": str(POINT_GRID1[1]), "description": "路边有垃圾",
        "media": (io.BytesIO(b"not an image at all"), "photo.jpg")})
    assert response.status_code == 400 and "media" in response.get_json()[0]["description"]
    both = client.post(f"{BASE}/requests.json", content_type="multipart/form-data", data={
        "api_key": api_key, "service_code": "06010", "lat": str(POINT_GRID1[0]),
        "long": str(POINT_GRID1[1]), "media_url": "http://127.0.0.1:5000/a.jpg",
        "media": (io.BytesIO(_jpeg()), "photo.jpg")})
    assert both.status_code == 400
    with world.app_context():
        assert db.session.scalar(select(func.count()).select_from(Event)
                                 .where(Event.source == "open311")) == 0


@pytest.mark.parametrize("fields,status,words", [
    ({"api_key": None}, 403, "api_key"),
    ({"api_key": "wrong"}, 403, "invalid"),
    ({"api_key": ""}, 403, "api_key"),  # empty counts as absent
    ({"service_code": None}, 400, "service_code"),
    ({"service_code": "99999"}, 404, "not found"),
    ({"lat": None, "long": None}, 400, "location"),
    ({"lat": None, "long": None, "address_string": "人民大街"}, 400, "lat and long"),
    ({"lat": "north"}, 400, "number"),
    ({"lat": "10", "long": "10"}, 400, "网格"),
    ({"phone": "555-1234"}, 400, "手机号"),
    ({"media_url": "javascript:alert(1)"}, 400, "media_url"),
])
def test_post_errors_are_the_specs_error_list(client, api_key, world, fields, status, words):
    for fmt in ("json", "xml"):
        response = _post(client, api_key, fmt=fmt, **fields)
        assert response.status_code == status
        if fmt == "json":
            errors = response.get_json()
            assert errors[0]["code"] == status and words in errors[0]["description"]
        else:
            root = _xml(response)
            assert root.tag == "errors" and root.find("error/code").text == str(status)
    with world.app_context():
        assert db.session.scalars(select(Event)).first() is None


def test_a_revoked_key_is_refused(client, api_key, runner, world):
    assert _post(client, api_key).status_code == 200
    assert "revoked key 1" in runner.invoke(args=["open311", "revoke-key", "1"]).output
    assert _post(client, api_key).status_code == 403


def test_admins_create_and_revoke_keys_on_a_page(login_as, client, world):
    admin = login_as("admin")
    page = admin.post("/admin/open311-keys", data={"name": "市 12345"}).get_data(as_text=True)
    key = page.split('<code class="key">')[1].split("</code>")[0]
    assert _post(client, key).status_code == 200
    admin.post("/admin/open311-keys", data={"revoke": "1"})
    assert _post(client, key).status_code == 403
    assert login_as("dispatcher").get("/admin/open311-keys").status_code == 403


@pytest.fixture
def three_requests(client, api_key, report, api, freeze, now):
    freeze(now)
    ids = [int(_post(client, api_key).get_json()[0]["service_request_id"]) for _ in range(2)]
    ids.append(int(_post(client, api_key, service_code="09006").get_json()[0][
        "service_request_id"]))
    api("worker").act(ids[0], "reject", note="重复")
    for ident in ids[1:]:
        api("worker").act(ident, "verify", note="属实")
    return ids


def test_get_requests_filters(client, three_requests, freeze, now):
    """Only verified cases are listed: the rejected first one never is."""
    first, second, third = three_requests
    freeze(now + timedelta(hours=1))
    def ids(query=""):
        return [int(r["service_request_id"]) for r in client.get(
            f"{BASE}/requests.json{query}").get_json()]
    assert sorted(ids()) == [second, third]
    assert sorted(ids("?service_code=06010")) == [second]
    assert sorted(ids("?service_code=06010,09006&status=open")) == [second, third]
    assert ids("?status=closed") == []
    assert ids("?status=") != []  # empty means absent
    assert sorted(ids(f"?service_request_id={first},{third}&status=open")) == [third]
    assert ids("?start_date=2026-03-11T00:00:00Z") == []
    assert len(ids("?start_date=2026-03-01T00:00:00%2B08:00&end_date=2026-03-31T00:00:00Z")) == 2
    assert len(ids("?page_size=1")) == 1 and len(ids("?page_size=1&page=2")) == 1
    for bad in ("?start_date=yesterday", "?start_date=2026-01-01T00:00:00Z&end_date=2026-06-01T00:00:00Z",
                "?status=lost", "?page_size=0", "?service_request_id=abc"):
        response = client.get(f"{BASE}/requests.json{bad}")
        assert response.status_code == 400, bad
        assert response.get_json()[0]["code"] == 400


def test_default_window_is_the_last_90_days(client, three_requests, freeze, now):
    freeze(now + timedelta(days=91))
    assert client.get(f"{BASE}/requests.json").get_json() == []


def test_request_fields_and_privacy(client, three_requests, api, freeze, now):
    first, second, _third = three_requests
    api("worker").act(second, "verify", note="属实")
    api("dispatcher").act(second, "dispatch")
    one = client.get(f"{BASE}/requests/{second}.json").get_json()
    assert isinstance(one, list) and len(one) == 1
    request = one[0]
    assert request["status"] == "open" and request["agency_responsible"] == "环卫所"
    assert request["status_notes"] == "已交由环卫所办理"
    assert request["requested_datetime"].endswith("+00:00")
    assert request["lat"] == POINT_GRID1[0] and request["long"] == POINT_GRID1[1]
    rejected = client.get(f"{BASE}/requests/{first}.xml")  # 不予立案: never public
    assert rejected.status_code == 404 and _xml(rejected).find("error/description").text
    text = client.get(f"{BASE}/requests.json").get_data(as_text=True)
    assert "13900001111" not in text and "phone" not in text
    missing = client.get(f"{BASE}/requests/424242.xml")
    assert missing.status_code == 404 and _xml(missing).find("error/description").text
    assert client.get(f"{BASE}/tokens/abc.json").status_code == 404


@pytest.mark.parametrize("fmt", ["json", "xml"])
def test_a_real_open311_client_reads_the_running_server(live_server, three_requests, fmt,
                                                        freeze, now):
    """georeport (PyPI) against the app served on loopback."""
    import requests
    from georeport import GeoReport
    freeze(now + timedelta(hours=1))
    client = GeoReport(live_server + BASE, output_format=fmt)
    services = client.get_service_list()
    assert "06010" in {s["service_code"] for s in services}
    definition = client.get_service_definition("06001")
    assert definition["service_code"] == "06001"
    listed = client.get_service_requests(service_code="06010", status="open")
    listed = listed if isinstance(listed, list) else [listed]
    assert [r["service_request_id"] for r in listed] == [str(three_requests[1])]
    single = client.get_service_request(str(three_requests[1]))
    assert single["status"] == "open" and single["service_name"] == "暴露垃圾"
    with pytest.raises(requests.HTTPError):
        client.get_service_definition("99999")


def test_unverified_and_rejected_reports_stay_private_and_positions_are_rounded(
        client, api_key, api):
    posted = _post(client, api_key, lat="43.6031234", long="126.4851234").get_json()
    ident = posted[0]["service_request_id"]
    waiting = client.get(f"{BASE}/requests/{ident}.json").get_json()[0]
    assert waiting["status"] == "open" and "description" not in waiting and "lat" not in waiting
    assert client.get(f"{BASE}/requests.json").get_json() == []
    api("worker").act(int(ident), "verify", note="属实")
    public = client.get(f"{BASE}/requests/{ident}.json").get_json()[0]
    assert (public["lat"], public["long"]) == (43.603, 126.485)
    other = _post(client, api_key).get_json()[0]["service_request_id"]
    api("worker").act(int(other), "reject", note="不属实")
    assert client.get(f"{BASE}/requests/{other}.json").status_code == 404


def test_service_definition_answers_at_the_singular_path_too(client, world):
    for fmt in ("json", "xml"):
        plural = client.get(f"{BASE}/services/06001.{fmt}")
        singular = client.get(f"{BASE}/service/06001.{fmt}")
        assert singular.status_code == plural.status_code == 200
        assert singular.data == plural.data
