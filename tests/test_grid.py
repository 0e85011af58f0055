"""Grids tile their town, and a point finds its grid."""
import json

from shapely.geometry import shape
from shapely.ops import unary_union
from sqlalchemy import select

from core.extensions import db
from grid.locate import grid_by_code, locate_grid
from grid.models import Grid, Region


def test_demo_grids_tile_each_town_without_gaps_or_overlaps(world):
    with world.app_context():
        for town in db.session.scalars(select(Region).where(Region.level == "town")):
            grids = db.session.scalars(select(Grid).where(Grid.town_id == town.id)).all()
            assert 8 <= len(grids) <= 12
            shapes = [shape(json.loads(g.boundary)) for g in grids]
            union = unary_union(shapes)
            assert union.geom_type == "Polygon"  # one piece, no holes between grids
            assert not list(union.interiors)
            assert abs(sum(s.area for s in shapes) - union.area) < 1e-12  # no overlaps
            assert all(g.code.startswith(town.code) and len(g.code) == 15 for g in grids)


def test_locate_finds_the_grid_whose_polygon_holds_the_point(world):
    with world.app_context():
        for grid in db.session.scalars(select(Grid)):
            assert locate_grid(grid.centroid_lat, grid.centroid_lon).id == grid.id
        assert locate_grid(0.0, 0.0) is None
        # inside the bounding box of grid 1 but outside its jittered polygon: a neighbour
        grid1 = db.session.scalar(select(Grid).where(Grid.code == "220221101000001"))
        polygon = shape(json.loads(grid1.boundary))
        corner = (grid1.max_lat - 1e-6, grid1.max_lon - 1e-6)
        found = locate_grid(*corner)
        from shapely.geometry import Point
        if not polygon.covers(Point(corner[1], corner[0])):
            assert found is not None and found.id != grid1.id
        else:
            assert found.id == grid1.id


def test_a_located_grid_comes_with_its_town_and_is_the_sessions_own(world):
    """locate_grid and grid_by_code read plain rows (core.rows): the grid they give is the
    session's, loaded column for column with its town, as the ORM would load them."""
    from sqlalchemy import event as sa_event
    with world.app_context():
        grid = db.session.scalar(select(Grid).where(Grid.code == "220221101000001"))
        known = {column.key: getattr(grid, column.key) for column in Grid.__mapper__.column_attrs}
        town_name = db.session.get(Region, known["town_id"]).name
    with world.app_context():
        statements = []

        def count(*_args):
            statements.append(1)
        db.session.connection()
        sa_event.listen(db.engine, "before_cursor_execute", count)
        try:
            found = locate_grid(43.605, 126.488)
            assert len(statements) == 1
            assert {key: getattr(found, key) for key in known} == known
            assert found.town.name == town_name and len(statements) == 1
            assert db.session.get(Grid, found.id) is found
            assert grid_by_code(found.code) is found and len(statements) == 2
            assert grid_by_code("000000000000000") is None
        finally:
            sa_event.remove(db.engine, "before_cursor_execute", count)
