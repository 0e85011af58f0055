def test_healthz_answers_ok_when_database_answers(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.get_json() == {"status": "ok"}


def test_healthz_is_503_when_database_is_gone(tmp_path):
    from core import create_app
    from tests.support import _config
    broken = _config("postgresql+psycopg://nobody@127.0.0.1:1/none", tmp_path)
    app = create_app(broken)
    response = app.test_client().get("/healthz")
    assert response.status_code == 503
    assert response.get_json()["status"] == "unavailable"
