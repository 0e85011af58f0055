from marshmallow import Schema, fields


class GridOut(Schema):
    code = fields.String()
    name = fields.String()
    town_code = fields.String(attribute="town.code")
    town_name = fields.String(attribute="town.name")
    centroid_lat = fields.Float()
    centroid_lon = fields.Float()


class GridListOut(Schema):
    items = fields.List(fields.Nested(GridOut))
