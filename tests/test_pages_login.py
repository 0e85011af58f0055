"""Staff pages: logging in, sessions, CSRF and the language."""
import pytest

from core import create_app
from core.extensions import db
from tests.support import DEMO_PASSWORD, _config, writing
from tests.pagehelpers import field_value, state_badge, text_of


# --- logging in ------------------------------------------------------------------------

def test_login_page_is_in_chinese(client):
    response = client.get("/login")
    assert response.status_code == 200
    page = text_of(response)
    assert '<html lang="zh-CN">' in page
    assert "<h1>登录</h1>" in page
    assert "用户名" in page and "密码" in page


def test_pages_send_anonymous_visitors_to_login(world):
    response = world.test_client().get("/events?mine=1")
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/login?next=")


@pytest.mark.parametrize("username", ["worker", "nobody"])
def test_wrong_password_or_unknown_user_is_refused_with_one_message(world, username):
    client = world.test_client()
    response = client.post("/login", data={"username": username, "password": "wrong-password"})
    assert response.status_code == 401
    assert "用户名或密码错误" in text_of(response)
    assert client.get("/events").status_code == 302  # still not logged in


def test_five_failures_lock_the_account_even_for_the_right_password(world):
    client = world.test_client()
    for _ in range(5):
        response = client.post("/login", data={"username": "worker", "password": "wrong"})
        assert response.status_code == 401
        assert "用户名或密码错误" in text_of(response)
    response = client.post("/login", data={"username": "worker", "password": DEMO_PASSWORD})
    assert response.status_code == 429
    assert "锁定" in text_of(response)
    assert client.get("/events").status_code == 302
    # another account is not affected
    other = world.test_client().post("/login", data={"username": "dispatcher",
                                                      "password": DEMO_PASSWORD})
    assert other.status_code == 302


def test_an_admin_sees_and_lifts_a_lockout_on_a_page(world, login_as):
    attacker = world.test_client()
    attacker.environ_base["REMOTE_ADDR"] = "10.9.8.7"
    for _ in range(5):
        attacker.post("/login", data={"username": "worker", "password": "wrong"})
    assert attacker.post("/login", data={"username": "worker",
                                         "password": DEMO_PASSWORD}).status_code == 429
    admin = login_as("admin")
    page = admin.get("/admin/logins")
    assert page.status_code == 200
    text = text_of(page)
    assert "worker · 10.9.8.7" in text and "失败 5 次" in text
    done = admin.post("/admin/logins", data={"username": "worker", "ip": "10.9.8.7"},
                      follow_redirects=True)
    assert "已解除 worker · 10.9.8.7 的登录锁定" in text_of(done)
    assert "当前没有被锁定的账号或地址" in text_of(done)
    assert attacker.post("/login", data={"username": "worker",
                                         "password": DEMO_PASSWORD}).status_code == 302


def test_an_empty_unlock_is_an_error_and_others_may_not_unlock(world, login_as):
    admin = login_as("admin")
    page = admin.post("/admin/logins", data={}, follow_redirects=True)
    assert 'class="error"' in page.get_data(as_text=True) and "请指定用户名或 IP 地址" in text_of(page)
    assert login_as("dispatcher").get("/admin/logins").status_code == 403
    assert login_as("dispatcher").post("/admin/logins", data={"username": "x"}).status_code == 403


def test_login_lands_on_my_queue_with_a_safe_session_cookie(world):
    client = world.test_client()
    response = client.post("/login", data={"username": "worker", "password": DEMO_PASSWORD})
    assert response.status_code == 302
    cookie = next(c for c in response.headers.getlist("Set-Cookie") if c.startswith("session="))
    assert "HttpOnly" in cookie
    assert "SameSite=Lax" in cookie
    home = client.get(response.headers["Location"], follow_redirects=True)
    assert home.status_code == 200
    assert home.request.path == "/field/"  # a grid worker's home is the field app
    assert 'class="field-tabs"' in text_of(home)
    desk = world.test_client()
    desk.post("/login", data={"username": "dispatcher", "password": DEMO_PASSWORD})
    queue = desk.get("/", follow_redirects=True)
    assert "<h1>我的待办</h1>" in text_of(queue)
    assert queue.request.args.get("mine") == "1"


def test_login_does_not_redirect_to_another_site(world):
    client = world.test_client()
    response = client.post("/login?next=//evil.example/steal",
                           data={"username": "worker", "password": DEMO_PASSWORD})
    assert response.status_code == 302
    assert "evil.example" not in response.headers["Location"]


def test_login_follows_a_local_next(world):
    client = world.test_client()
    response = client.post("/login?next=/events/new",
                           data={"username": "worker", "password": DEMO_PASSWORD})
    assert response.headers["Location"] == "/events/new"


def test_logout_ends_the_session(login_as):
    client = login_as("worker")
    response = client.post("/logout", follow_redirects=True)
    assert "已退出登录" in text_of(response)
    assert client.get("/events").status_code == 302


def test_forms_without_csrf_token_are_refused(world, database_url, tmp_path, report):
    case = report("worker")
    config = _config(database_url, tmp_path / "csrf-uploads")
    config["WTF_CSRF_ENABLED"] = True
    app = create_app(config)
    try:
        client = app.test_client()
        refused = client.post("/login", data={"username": "worker", "password": DEMO_PASSWORD})
        assert refused.status_code == 400
        assert client.get("/events").status_code == 302  # not logged in

        page = client.get("/login")
        token = field_value(page, "csrf_token")
        assert token
        accepted = client.post("/login", data={"username": "dispatcher",
                                               "password": DEMO_PASSWORD, "csrf_token": token})
        assert accepted.status_code == 302

        forged = client.post(f"/events/{case['id']}/actions",
                             data={"action": "dispatch", "version": case["version"]})
        assert forged.status_code == 400
        assert state_badge(client.get(f"/events/{case['id']}")) == "已立案"
    finally:
        with app.app_context():
            db.engine.dispose()


# --- language ------------------------------------------------------------------------------

def test_switching_to_english_translates_the_pages(login_as, report):
    case = report("worker")
    worker = login_as("worker")
    response = worker.get(f"/lang/en?next=/events/{case['id']}")
    assert response.status_code == 302
    assert response.headers["Location"] == f"/events/{case['id']}"
    detail = worker.get(f"/events/{case['id']}")
    page = text_of(detail)
    assert '<html lang="en">' in page
    # a grid worker reads the case inside the field app: its bar in English too
    assert "My grid" in page and "All cases" in page
    assert "History" in page
    assert state_badge(detail) == "Filed"
    assert "流转记录" not in page and "我的待办" not in page
    assert "<h1>My queue</h1>" in text_of(worker.get("/events?mine=1"))

    worker.get("/lang/zh_CN")
    assert "我的待办" in text_of(worker.get("/events?mine=1"))


def test_the_language_chosen_on_the_login_page_is_kept_after_login(world):
    client = world.test_client()
    client.get("/lang/en?next=/login")
    assert "Log in" in text_of(client.get("/login"))
    client.post("/login", data={"username": "worker", "password": DEMO_PASSWORD})
    assert "<h1>My queue</h1>" in text_of(client.get("/events?mine=1"))


def test_a_session_cookie_copied_before_logout_no_longer_works(world, login_as):
    first = login_as("dispatcher")
    second = login_as("dispatcher")  # the same user on another phone
    copied = first.get_cookie("session").value
    assert first.get("/events").status_code == 200
    assert first.post("/logout").status_code == 302
    thief = world.test_client()
    thief.set_cookie("session", copied)
    assert thief.get("/events").status_code == 302
    assert second.get("/events").status_code == 302  # every session of the user ended
    assert login_as("dispatcher").get("/events").status_code == 200


def test_a_password_change_ends_the_users_sessions(world, login_as):
    from sqlalchemy import select
    from auth.models import User
    from auth.services import set_password
    from core.extensions import db
    client = login_as("worker")
    with writing(world):
        user = db.session.scalar(select(User).where(User.username == "worker"))
        set_password(user, "a-new-password-1")
    assert client.get("/events").status_code == 302


def test_demo_users_each_have_their_own_salt(world):
    from sqlalchemy import select
    from werkzeug.security import check_password_hash
    from auth.models import User
    from core.extensions import db
    from tests.support import DEMO_PASSWORD
    with world.app_context():
        hashes = db.session.scalars(select(User.password_hash)).all()
    assert len(hashes) > 10 and len(set(hashes)) == len(hashes)
    assert all(check_password_hash(h, DEMO_PASSWORD) for h in hashes)
