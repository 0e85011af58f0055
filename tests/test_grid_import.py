"""Grids from GeoJSON (issue 12): export → import gives the same grids; a good file previews,
then saves, and point lookups use the new grids at once; each bad file is refused with a
message naming the feature and saves nothing; a gap is warned of; a grid is retired; the
CLI does the same; a dispatcher imports only into their own town."""
import copy
import io
import json
import re

from sqlalchemy import select

from audit.models import AuditEntry
from core.extensions import db
from grid.locate import locate_grid
from grid.models import Grid, GridMember

TOWN = "220221101000"
OTHER_TOWN = "220221102000"


def _export(client, town=TOWN):
    answer = client.get(f"/admin/grids/{town}.geojson")
    assert answer.status_code == 200 and answer.mimetype == "application/geo+json"
    return answer.get_json()


def _grids(world, town=TOWN):
    with world.app_context():
        return {g.code: (g.name, g.boundary, g.retired_at is None) for g in db.session.scalars(
            select(Grid).join(Grid.town).where(Grid.code.like(f"{town}%")))}


def _send(client, document, step="preview", town=TOWN):
    data = json.dumps(document, ensure_ascii=False).encode() if not isinstance(
        document, bytes) else document
    return client.post("/admin/grids/import", data={
        "town": town, "step": step, "file": (io.BytesIO(data), "grids.geojson")},
        content_type="multipart/form-data")


def _feature(document, code):
    return next(f for f in document["features"] if f["properties"]["code"] == code)


def _split(document, code, new_code):
    """`code`'s polygon cut in two down the middle: the west half keeps the code; returns a
    point inside the east half."""
    from shapely.geometry import box, mapping, shape
    feature = _feature(document, code)
    polygon = shape(feature["geometry"])
    west, south, east, north = polygon.bounds
    middle = (west + east) / 2
    halves = [polygon.intersection(box(west, south, middle, north)),
              polygon.intersection(box(middle, south, east, north))]
    as_json = [json.loads(json.dumps(mapping(half))) for half in halves]
    feature["geometry"] = as_json[0]
    document["features"].append({"type": "Feature", "geometry": as_json[1],
                                 "properties": {"code": new_code, "name": "新划第13网格"}})
    inside = halves[1].representative_point()
    return inside.y, inside.x


def test_export_then_import_gives_the_same_grids(world, login_as):
    admin = login_as("admin")
    before = _grids(world)
    document = _export(admin)
    assert len(document["features"]) == len(before) == 12
    assert document["features"][0]["properties"]["village"]
    preview = _send(admin, document)
    assert preview.status_code == 200 and "预览：12 个网格" in preview.get_data(as_text=True)
    saved = _send(admin, document, "save")
    assert saved.status_code == 303
    assert _grids(world) == before
    assert "新增 0 个，修改 0 个" in admin.get("/grids").get_data(as_text=True)


def test_a_good_file_is_previewed_then_saved_and_lookups_use_it_at_once(world, login_as,
                                                                        api):
    admin = login_as("admin")
    document = _export(admin)
    lat, lon = _split(document, f"{TOWN}012", f"{TOWN}013")
    with world.app_context():
        assert locate_grid(lat, lon).code == f"{TOWN}012"
    preview = _send(admin, document)
    page = preview.get_data(as_text=True)
    assert preview.status_code == 200, page[page.find("不能导入"):][:800]
    assert 'id="import-map"' in page and "新划第13网格" in page
    assert _grids(world).get(f"{TOWN}013") is None  # a preview saves nothing
    # the save sends back the text the preview checked
    text = page.split('<textarea name="geojson" hidden>', 1)[1].split("</textarea>", 1)[0]
    import html
    saved = admin.post("/admin/grids/import", data={"town": TOWN, "step": "save",
                                                    "geojson": html.unescape(text)})
    assert saved.status_code == 303
    assert _grids(world)[f"{TOWN}013"][0] == "新划第13网格"
    with world.app_context():
        assert locate_grid(lat, lon).code == f"{TOWN}013"
        entry = db.session.scalar(select(AuditEntry).where(AuditEntry.kind == "grid"))
        assert entry.action == "import" and entry.after["added"] == [f"{TOWN}013"]
        assert entry.after["changed"] == [f"{TOWN}012"]
    case = api("dispatcher").post("/api/v1/events", json={
        "category_code": "06010", "lat": lat, "lon": lon, "description": "新网格里的垃圾",
        "source": "hotline"})
    assert case.status_code == 201 and case.get_json()["grid_code"] == f"{TOWN}013"


def _bowtie(document, code):
    ring = _feature(document, code)["geometry"]["coordinates"][0]
    (a, b, c, d) = ring[:4]
    _feature(document, code)["geometry"]["coordinates"] = [[a, c, b, d, a]]


def _shift(document, code, dlon):
    for point in _feature(document, code)["geometry"]["coordinates"][0]:
        point[0] += dlon


def _overlap(document, code, other):
    _feature(document, code)["geometry"] = copy.deepcopy(_feature(document, other)["geometry"])


#: each way a file goes wrong, and the message that names it
SPOILED = [
    (lambda d: _bowtie(d, f"{TOWN}003"), "第 3 个网格 220221101000003：边界自相交"),
    (lambda d: _overlap(d, f"{TOWN}004", f"{TOWN}005"), "与第 5 个网格 220221101000005重叠约"),
    (lambda d: _feature(d, f"{TOWN}006")["properties"].update(code=f"{TOWN}007"),
     "代码 220221101000007 与第 6 个网格重复"),
    (lambda d: _shift(d, f"{TOWN}008", 0.2), "第 8 个网格 220221101000008：超出本镇范围约"),
    (lambda d: _feature(d, f"{TOWN}009")["properties"].update(code=f"{OTHER_TOWN}009"),
     "代码须以本镇区划代码 220221101000 开头"),
    (lambda d: _feature(d, f"{TOWN}010")["properties"].update(name=""), "名称须为 1–64 个字符"),
    (lambda d: _feature(d, f"{TOWN}011")["properties"].update(village="不存在村"),
     "本镇没有名为（或代码为）不存在村 的村（社区）"),
    (lambda d: _feature(d, f"{TOWN}001").update(geometry={"type": "Point",
                                                          "coordinates": [126.4, 43.6]}),
     "边界须为 Polygon（单个多边形）"),
    (lambda d: d.update(type="Feature"), "须为 GeoJSON FeatureCollection"),
]


def test_each_bad_file_is_refused_naming_the_feature_and_saves_nothing(world, login_as):
    admin = login_as("admin")
    before = _grids(world)
    for spoil, message in SPOILED:
        document = _export(admin)
        _split(document, f"{TOWN}012", f"{TOWN}013")  # with a good change that must not land
        spoil(document)
        for step in ("preview", "save"):
            answer = _send(admin, document, step)
            assert answer.status_code == 422, message
            page = answer.get_data(as_text=True)
            assert "不能导入" in page and message in page, page[page.find("不能导入"):][:600]
            assert "保存这" not in page  # no save button under a refusal
        assert _grids(world) == before, message


def test_not_json_and_empty_uploads_are_refused(world, login_as):
    admin = login_as("admin")
    assert "不是有效的 GeoJSON" in _send(admin, b"{not json").get_data(as_text=True)
    empty = admin.post("/admin/grids/import", data={"town": TOWN, "step": "preview"})
    assert empty.status_code == 422 and "请选择要导入的 GeoJSON 文件" in empty.get_data(as_text=True)


def test_a_gap_in_a_tiled_town_is_warned_of(world, login_as):
    admin = login_as("admin")
    document = _export(admin)
    ring = _feature(document, f"{TOWN}012")["geometry"]["coordinates"][0]
    lats = sorted({p[1] for p in ring})
    middle = (lats[0] + lats[-1]) / 2
    for point in ring:  # the grid's north half left out
        point[1] = min(point[1], middle)
    page = _send(admin, document).get_data(as_text=True)
    assert "平方米不在任何网格内" in page and "保存这 12 个网格" in page


def test_a_retired_grid_takes_no_report_and_keeps_its_cases(world, login_as, api, report):
    case = report("worker")  # in 清河镇第1网格
    admin = login_as("admin")
    page = admin.get(f"/grids/{TOWN}001").get_data(as_text=True)
    assert "撤销网格" in page and "data-confirm=" in page
    assert admin.post(f"/admin/grids/{TOWN}001/retire").status_code == 303
    listing = admin.get("/grids").get_data(as_text=True)
    assert "已撤销" in listing
    refused = api("worker").post("/api/v1/events", json={
        "category_code": "06010", "lat": 43.603, "lon": 126.485, "description": "垃圾"})
    assert refused.status_code == 422
    assert api("worker").get(f"/api/v1/events/{case['id']}").status_code == 200
    with world.app_context():
        assert locate_grid(43.603, 126.485) is None
        assert db.session.scalar(select(AuditEntry.action).where(
            AuditEntry.kind == "grid")) == "retire"


def test_a_dispatcher_imports_into_their_own_town_only(world, login_as):
    dispatcher = login_as("dispatcher")
    document = _export(dispatcher)
    assert _send(dispatcher, document).status_code == 200
    assert dispatcher.get(f"/admin/grids/{OTHER_TOWN}.geojson").status_code == 403
    assert _send(dispatcher, document, town=OTHER_TOWN).status_code == 403
    assert login_as("worker").get("/admin/grids/import").status_code == 403


def test_the_cli_exports_and_imports(world, runner, tmp_path):
    out = tmp_path / "grids.geojson"
    result = runner.invoke(args=["grids", "export", "--town", TOWN, "--output", str(out)])
    assert result.exit_code == 0, result.output
    document = json.loads(out.read_text(encoding="utf-8"))
    assert len(document["features"]) == 12
    _split(document, f"{TOWN}012", f"{TOWN}013")
    out.write_text(json.dumps(document), encoding="utf-8")
    result = runner.invoke(args=["grids", "import", str(out), "--town", TOWN])
    assert result.exit_code == 0, result.output
    assert "1 added, 1 changed" in result.output
    _bowtie(document, f"{TOWN}003")
    out.write_text(json.dumps(document), encoding="utf-8")
    result = runner.invoke(args=["grids", "import", str(out), "--town", TOWN])
    assert result.exit_code != 0 and "not imported" in result.output
    assert "feature 3 220221101000003" in result.output


def test_a_rename_from_a_stale_page_is_refused(world, login_as):
    one, two = login_as("admin"), login_as("dispatcher")
    assert one.post(f"/admin/grids/{TOWN}002/name", data={
        "name": "东岭网格", "original": "清河镇第2网格"}).status_code == 303
    late = two.post(f"/admin/grids/{TOWN}002/name", data={
        "name": "别的名字", "original": "清河镇第2网格"}, follow_redirects=True)
    assert "网格名称已被他人改为 东岭网格：本次修改没有保存" in late.get_data(as_text=True)
    assert _grids(world)[f"{TOWN}002"][0] == "东岭网格"
    with world.app_context():
        entry = db.session.scalar(select(AuditEntry).where(AuditEntry.kind == "grid"))
        assert (entry.before, entry.after) == ({"name": "清河镇第2网格"}, {"name": "东岭网格"})


def test_a_grids_page_names_its_workers_and_leader(world, login_as):
    admin = login_as("admin")
    with world.app_context():
        from auth.models import User
        worker = db.session.scalar(select(User).where(User.username == "worker"))
        member = db.session.scalar(select(GridMember).where(GridMember.user_id == worker.id))
        grid_code = member.grid.code
    page = admin.get(f"/grids/{grid_code}").get_data(as_text=True)
    assert f'href="/admin/users/{worker.id}">{worker.display_name}</a>' in page
    form = {"display_name": worker.display_name, "role": "grid_worker",
            "grids": [str(member.grid_id)], "leads": [str(member.grid_id)]}
    page = admin.get(f"/admin/users/{worker.id}").get_data(as_text=True)
    form["version"] = re.search(r'name="version" value="(\d+)"', page).group(1)
    assert admin.post(f"/admin/users/{worker.id}", data=form).status_code == 303
    page = admin.get(f"/grids/{grid_code}").get_data(as_text=True)
    assert f'{worker.display_name}</a><span class="tag">网格长</span>' in page
