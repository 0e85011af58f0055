"""GET /metrics for Prometheus, behind METRICS_ENABLED (issue 13); the gunicorn
multi-process sums are in tests/test_production.py."""
from prometheus_client.parser import text_string_to_metric_families

from tests.support import another_app


def _samples(text):
    return {(s.name, tuple(sorted(s.labels.items()))): s.value
            for family in text_string_to_metric_families(text) for s in family.samples}


def test_metrics_are_off_unless_enabled(world, client):
    assert client.get("/metrics").status_code == 404


def test_requests_cases_outbox_and_the_last_round_are_counted(world, report, token_for):
    from core.scheduler import run_cycle
    report("worker")
    report("worker")
    run_cycle(world)
    token = token_for("worker")
    with another_app(world, METRICS_ENABLED=True) as app:
        client = app.test_client()
        before = _samples(client.get("/metrics").get_data(as_text=True))
        key = ("gridgov_http_requests_total", (("endpoint", "events_api.list_events"),
                                               ("method", "GET"), ("status", "200")))
        for _ in range(3):
            client.get("/api/v1/events", headers={"Authorization": f"Bearer {token}"})
        client.get("/no/such/page")
        answer = client.get("/metrics")
        assert answer.status_code == 200
        assert answer.mimetype == "text/plain"
        after = _samples(answer.get_data(as_text=True))
    assert after[key] - before.get(key, 0) == 3
    assert after[("gridgov_http_requests_total", (("endpoint", "unmatched"), ("method", "GET"),
                                                  ("status", "404")))] >= 1
    assert after[("gridgov_http_request_duration_seconds_count",
                  (("endpoint", "events_api.list_events"),))] >= 3
    states = {labels[0][1]: value for (name, labels), value in after.items()
              if name == "gridgov_cases"}
    assert sum(states.values()) == 2
    assert after[("gridgov_scheduler_last_round_timestamp_seconds", ())] > 1.7e9
    assert ("gridgov_outbox_oldest_pending_seconds", ()) in after


def test_metrics_are_refused_to_an_address_not_allowed(world):
    with another_app(world, METRICS_ENABLED=True, METRICS_ALLOW_FROM=("10.0.0.9",)) as app:
        assert app.test_client().get("/metrics").status_code == 404
