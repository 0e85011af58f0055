"""The OpenAPI document describes every /api/v1 route the app serves."""
import re


def test_openapi_lists_every_api_route(client, app):
    document = client.get("/api/v1/openapi.json").get_json()
    assert document["openapi"].startswith("3.")
    documented = {(path, method) for path, ops in document["paths"].items() for method in ops}
    served = set()
    for rule in app.url_map.iter_rules():
        if rule.rule.startswith("/api/v1/"):
            path = re.sub(r"<(?:\w+:)?(\w+)>", r"{\1}", rule.rule.removeprefix("/api/v1"))
            served |= {(path, m.lower()) for m in rule.methods - {"HEAD", "OPTIONS"}}
    assert documented == served
    create = document["components"]["schemas"]["EventCreateIn"]
    assert set(create["required"]) == {"category_code", "lat", "lon", "description"}
    assert document["paths"]["/events/{event_id}/actions"]["post"]["responses"]["409"]
