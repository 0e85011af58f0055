"""A town's grids as GeoJSON, out and in (issue 12). An import is checked whole before
anything is saved: each feature's polygon (valid, not self-intersecting, inside the town's
extent), its code and name, codes used twice, grids overlapping each other — errors, each
naming its feature; the gaps an import would leave in a town that was tiled — a warning.
Plain data in, plain data out (shapely for the geometry; messages in the request's
language); grid/admin.py saves."""
import json
import math
import re
from dataclasses import dataclass, field

from flask_babel import gettext as _
from shapely.geometry import mapping, shape
from shapely.ops import unary_union
from shapely.strtree import STRtree
from shapely.validation import explain_validity

MAX_BYTES = 5_000_000
MAX_FEATURES = 2_000
MAX_VERTICES = 20_000
#: two grids may share a border drawn a little differently: up to this many m² of overlap
#: (or this share of the smaller grid) is a drawing tolerance, not an overlap
OVERLAP_M2 = 50.0
OVERLAP_SHARE = 0.01
#: a town's extent (its grids today) grown by this many metres: a new grid outside it is
#: refused as "outside the town"
EXTENT_MARGIN_M = 500.0
GAP_M2 = 100.0


def _m2(geometry, latitude: float) -> float:
    """Square metres of a lon/lat geometry, near enough for tolerances (equirectangular)."""
    return geometry.area * (111_320.0 ** 2) * math.cos(math.radians(latitude))


@dataclass
class Feature:
    index: int  # 1-based, as a person counts them
    code: str
    name: str
    village: str | None
    geometry: object = None
    polygon: dict | None = None


@dataclass
class Plan:
    features: list[Feature] = field(default_factory=list)
    errors: list[tuple[int, str, str]] = field(default_factory=list)  # (feature, code, message)
    warnings: list[str] = field(default_factory=list)
    #: features refused for their polygon's shape, still drawn (in red) on the preview
    refused: list[Feature] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.errors and bool(self.features)


def read(data: bytes, town_code: str, existing: dict[str, object], villages: set[str],
         kept: dict[str, object] | None = None, tiled: bool = False) -> Plan:
    """Check an upload for the town `town_code`. `existing`: code → shapely geometry of the
    town's grids now; `kept`: those the upload does not replace (all of `existing` minus
    the codes it names, when None); `villages`: the names and codes of the town's villages;
    `tiled`: the town's grids cover its extent without gaps (then a gap is warned of)."""
    plan = Plan()
    if len(data) > MAX_BYTES:
        plan.errors.append((0, "", _("文件过大：最多 %(num)s MB", num=MAX_BYTES // 1_000_000)))
        return plan
    try:
        document = json.loads(data.decode("utf-8-sig"))
    except (UnicodeDecodeError, ValueError):
        plan.errors.append((0, "", _("不是有效的 GeoJSON（JSON 格式有误或不是 UTF-8 编码）")))
        return plan
    if not isinstance(document, dict) or document.get("type") != "FeatureCollection" \
            or not isinstance(document.get("features"), list):
        plan.errors.append((0, "", _("须为 GeoJSON FeatureCollection（type 为 FeatureCollection，含 features）")))
        return plan
    if not document["features"]:
        plan.errors.append((0, "", _("文件里没有网格")))
        return plan
    if len(document["features"]) > MAX_FEATURES:
        plan.errors.append((0, "", _("网格过多：一次最多 %(num)s 个", num=MAX_FEATURES)))
        return plan
    seen: dict[str, int] = {}
    for index, raw in enumerate(document["features"], start=1):
        feature = _feature(index, raw, town_code, villages, plan)
        if feature is None:
            continue
        if feature.code in seen:
            plan.errors.append((index, feature.code,
                                _("代码 %(code)s 与第 %(num)s 个网格重复", code=feature.code,
                                  num=seen[feature.code])))
            continue
        seen[feature.code] = index
        plan.features.append(feature)
    if plan.errors:
        return plan
    if kept is None:
        kept = {code: g for code, g in existing.items() if code not in seen}
    _check_extent(plan, existing)
    _check_overlaps(plan, kept)
    if tiled and existing and not plan.errors:
        _check_gaps(plan, existing, kept)
    return plan


def _feature(index, raw, town_code, villages, plan) -> Feature | None:
    def refuse(code, message):
        plan.errors.append((index, code, message))

    if not isinstance(raw, dict) or raw.get("type") != "Feature":
        return refuse("", _("不是 GeoJSON Feature"))
    props = raw.get("properties") if isinstance(raw.get("properties"), dict) else {}
    code = str(props.get("code") or "").strip()
    name = str(props.get("name") or "").strip()
    village = str(props.get("village") or "").strip() or None
    if not (len(code) == 15 and code.isascii() and code.isdigit()):
        return refuse(code, _("代码须为 15 位数字（镇的 12 位区划代码 + 3 位网格序号）"))
    if not code.startswith(town_code):
        return refuse(code, _("代码须以本镇区划代码 %(code)s 开头", code=town_code))
    if not name or len(name) > 64:
        return refuse(code, _("名称须为 1–64 个字符"))
    if village is not None and village not in villages:
        return refuse(code, _("本镇没有名为（或代码为）%(village)s 的村（社区）", village=village))
    geometry_json = raw.get("geometry")
    if not isinstance(geometry_json, dict) or geometry_json.get("type") != "Polygon":
        return refuse(code, _("边界须为 Polygon（单个多边形）"))
    rings = geometry_json.get("coordinates")
    try:
        vertices = sum(len(ring) for ring in rings)
        if vertices > MAX_VERTICES:
            return refuse(code, _("边界顶点过多：最多 %(num)s 个", num=MAX_VERTICES))
        for ring in rings:
            for lon, lat, *_rest in ring:
                if not (-180 <= float(lon) <= 180 and -90 <= float(lat) <= 90):
                    return refuse(code, _("坐标超出经纬度范围：须为 [经度, 纬度]（WGS-84）"))
        geometry = shape(geometry_json)
    except (TypeError, ValueError, AttributeError):
        return refuse(code, _("边界坐标格式有误"))
    if geometry.is_empty or geometry.area == 0:
        return refuse(code, _("边界是空的或面积为零"))
    if not geometry.is_valid:
        plan.refused.append(Feature(index, code, name, village, geometry))
        why = explain_validity(geometry)  # e.g. "Self-intersection[126.52 43.60]"
        found = re.search(r"\[(-?[\d.]+) (-?[\d.]+)\]", why)
        where = _("约在经度 %(lon)s、纬度 %(lat)s", lon=f"{float(found.group(1)):.5f}",
                  lat=f"{float(found.group(2)):.5f}") if found else ""
        if "Self-intersection" in why or "Ring Self" in why:
            return refuse(code, _("边界自相交（%(where)s）", where=where))
        return refuse(code, _("边界无效（%(where)s）", where=where))
    polygon = {"type": "Polygon", "coordinates": [[[float(p[0]), float(p[1])] for p in ring]
                                                  for ring in rings]}
    return Feature(index, code, name, village, geometry, polygon)


def _check_extent(plan: Plan, existing: dict) -> None:
    """A town that has grids: a new polygon must lie within their extent (grown by a margin)."""
    if not existing:
        return
    extent = unary_union(list(existing.values()))
    latitude = extent.centroid.y
    margin = EXTENT_MARGIN_M / 111_320.0
    grown = extent.buffer(margin)
    for feature in plan.features:
        if not grown.covers(feature.geometry):
            outside = feature.geometry.difference(grown)
            plan.errors.append((feature.index, feature.code,
                                _("超出本镇范围约 %(m2)s 平方米",
                                  m2=f"{_m2(outside, latitude):,.0f}")))


def _check_overlaps(plan: Plan, kept: dict) -> None:
    shapes = [(f.code, f.index, f.geometry) for f in plan.features] + \
        [(code, 0, geometry) for code, geometry in kept.items()]
    tree = STRtree([g for _c, _i, g in shapes])
    reported = set()
    for i, (code, index, geometry) in enumerate(shapes):
        if not index:
            continue  # overlaps among grids already saved are not this upload's doing
        for j in tree.query(geometry):
            j = int(j)
            if j == i or (j, i) in reported:
                continue
            other_code, other_index, other = shapes[j]
            if other_index and j < i:
                continue  # each pair of new grids once
            shared = geometry.intersection(other)
            if shared.is_empty:
                continue
            latitude = geometry.centroid.y
            area = _m2(shared, latitude)
            smaller = min(_m2(geometry, latitude), _m2(other, latitude))
            if area > OVERLAP_M2 and area > OVERLAP_SHARE * smaller:
                reported.add((i, j))
                where = _("第 %(num)s 个网格 %(code)s", num=other_index, code=other_code) \
                    if other_index else _("现有网格 %(code)s", code=other_code)
                plan.errors.append((index, code, _("与%(where)s重叠约 %(m2)s 平方米", where=where,
                                                   m2=f"{area:,.0f}")))


def _check_gaps(plan: Plan, existing: dict, kept: dict) -> None:
    before = unary_union(list(existing.values()))
    after = unary_union([f.geometry for f in plan.features] + list(kept.values()))
    gap = before.difference(after)
    latitude = before.centroid.y
    if not gap.is_empty and _m2(gap, latitude) > GAP_M2:
        plan.warnings.append(_("导入后本镇约有 %(m2)s 平方米不在任何网格内（原来是连续覆盖的）："
                               "请确认是否有网格遗漏", m2=f"{_m2(gap, latitude):,.0f}"))


def export(grids, village_names: dict) -> dict:
    """A FeatureCollection of `grids` (Grid rows) with code, name and village: what `read`
    takes back."""
    return {"type": "FeatureCollection", "features": [
        {"type": "Feature", "geometry": json.loads(grid.boundary),
         "properties": {"code": grid.code, "name": grid.name,
                        **({"village": village_names[grid.village_id]}
                           if grid.village_id in village_names else {})}}
        for grid in grids]}


def as_collection(plan: Plan) -> dict:
    """The checked features as the preview map draws them."""
    return {"type": "FeatureCollection", "features": [
        {"type": "Feature", "geometry": mapping(f.geometry),
         "properties": {"code": f.code, "name": f.name}}
        for f in plan.features + plan.refused]}
