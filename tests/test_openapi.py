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


def test_the_document_states_what_the_server_does(client):
    document = client.get("/api/v1/openapi.json").get_json()
    assert document["servers"] == [{"url": "/api/v1"}]  # wherever it was fetched from
    for path, operations in document["paths"].items():
        for method, operation in operations.items():
            if operation.get("security") != []:
                assert "401" in operation["responses"], (method, path)
            assert "422" in operation["responses"], (method, path)  # NUL is refused anywhere
    schemas = document["components"]["schemas"]
    assert {"allowed_actions", "clock", "history", "reporter"} <= set(
        schemas["EventDetailOut"]["properties"])
    assert "possible_duplicates" in schemas["EventCreatedOut"]["properties"]
    assert {"state", "allowed_actions", "current_version"} <= set(schemas["Error"]["properties"])
    nearby = {p["name"]: p for p in document["paths"]["/events/nearby"]["get"]["parameters"]}
    assert all(nearby[name]["required"] for name in ("category", "lat", "lon"))
    listing = {p["name"]: p for p in document["paths"]["/events"]["get"]["parameters"]}
    assert listing["limit"]["allowEmptyValue"] and listing["limit"]["schema"]["maximum"] == 100
