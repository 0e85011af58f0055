"""deploy/nginx-gridgov.conf in front of a gunicorn app server, as a county runs it (issue
13): TLS, HTTP sent to HTTPS, uploads bounded where the app bounds them, /metrics kept
inside, and the client's address believed only as nginx reports it."""
import http.client
import re
import shutil
import ssl
import socket
import subprocess
import time
import uuid
from pathlib import Path
from urllib.parse import urlencode

import pytest
import requests
import urllib3
from sqlalchemy import select

from core.config import Config
from core.extensions import db
from portal.models import QrPoint
from tests.appservers import ROOT, AppServer
from tests.pgserver import _free_port
from tests.support import missing_part


@pytest.fixture
def database_url(sqlite_url):
    """nginx's part does not depend on the engine."""
    return sqlite_url


def _site(app_port: int, http: int, https: int, tls) -> str:
    """The deploy file with this machine's ports and a test certificate: nothing else."""
    text = (ROOT / "deploy" / "nginx-gridgov.conf").read_text()
    text = text.replace("127.0.0.1:8000", f"127.0.0.1:{app_port}")
    text = re.sub(r"\n\s*listen \[::\]:\d+[^;]*;", "", text)  # no IPv6 in every sandbox
    text = text.replace("listen 80;", f"listen 127.0.0.1:{http};")
    text = text.replace("listen 443 ssl http2;", f"listen 127.0.0.1:{https} ssl http2;")
    text = text.replace("/etc/gridgov/tls/fullchain.pem", str(tls / "cert.pem"))
    return text.replace("/etc/gridgov/tls/privkey.pem", str(tls / "key.pem"))


@pytest.fixture
def behind_nginx(world, tmp_path):
    nginx = shutil.which("nginx") or "/usr/sbin/nginx"
    if not Path(nginx).exists():
        missing_part("nginx not found (make system-deps installs it)")
    tls = tmp_path / "tls"
    tls.mkdir()
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
                    "-subj", "/CN=127.0.0.1", "-keyout", str(tls / "key.pem"),
                    "-out", str(tls / "cert.pem")], check=True, capture_output=True)
    app = AppServer({"DATABASE_URL": world.config["SQLALCHEMY_DATABASE_URI"],
                     "GRIDGOV_INSTANCE": str(tmp_path / "instance"),
                     "UPLOAD_DIR": str(tmp_path / "uploads"), "PROXY_FIX_HOPS": "1",
                     "METRICS_ENABLED": "1", "SECRET_KEY": "behind-nginx"}).start()
    http, https = _free_port(), _free_port()
    (tmp_path / "site.conf").write_text(_site(app.port, http, https, tls))
    temp = tmp_path / "nginx"
    temp.mkdir()
    (tmp_path / "nginx.conf").write_text(f"""
user root;
worker_processes 1;
pid {temp}/nginx.pid;
error_log {temp}/error.log;
events {{ worker_connections 64; }}
http {{
    access_log off;
    client_body_temp_path {temp}/body;
    proxy_temp_path {temp}/proxy;
    fastcgi_temp_path {temp}/fastcgi;
    uwsgi_temp_path {temp}/uwsgi;
    scgi_temp_path {temp}/scgi;
    include {tmp_path}/site.conf;
}}""")
    check = subprocess.run([nginx, "-t", "-c", str(tmp_path / "nginx.conf")],
                           capture_output=True, text=True)
    assert check.returncode == 0, check.stderr
    server = subprocess.Popen([nginx, "-c", str(tmp_path / "nginx.conf"), "-g", "daemon off;"],
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.time() + 20
    while True:
        try:
            socket.create_connection(("127.0.0.1", https), timeout=1).close()
            break
        except OSError:
            assert time.time() < deadline, (temp / "error.log").read_text()
            time.sleep(0.1)
    urllib3.disable_warnings(urllib3.exceptions.InsecureRequestWarning)
    try:
        yield {"http": f"http://127.0.0.1:{http}", "https": f"https://127.0.0.1:{https}",
               "app": app.base}
    finally:
        server.terminate()
        server.wait(timeout=20)
        app.stop()


def test_tls_in_front_and_plain_http_sent_there(behind_nginx):
    answer = requests.get(f"{behind_nginx['https']}/healthz/web", verify=False, timeout=15)
    assert answer.status_code == 200 and answer.json()["database"] == "ok"
    # nginx's own $request_id went through to the app and came back
    assert re.fullmatch(r"[0-9a-f]{32}", answer.headers["X-Request-Id"])
    assert "max-age=31536000" in answer.headers["Strict-Transport-Security"]
    moved = requests.get(f"{behind_nginx['http']}/events", allow_redirects=False, timeout=15)
    assert moved.status_code == 301 and moved.headers["Location"].startswith("https://")


def test_uploads_are_bounded_where_the_app_bounds_them(behind_nginx):
    limit = Config.UPLOAD_MAX_BYTES
    too_big = requests.post(f"{behind_nginx['https']}/api/v1/uploads", verify=False,
                            timeout=60, data=b"x" * (limit + 2 * 1024 * 1024))
    assert too_big.status_code == 413  # nginx's answer: the app never reads it
    # a photo at the limit passes nginx and is judged by the app (here: not a photo)
    at_limit = requests.post(f"{behind_nginx['https']}/api/v1/uploads", verify=False,
                             timeout=60, files={"file": ("big.jpg", b"x" * limit, "image/jpeg")})
    assert at_limit.status_code == 401  # the app's answer: no token


def test_metrics_stay_inside(behind_nginx):
    assert requests.get(f"{behind_nginx['https']}/metrics", verify=False,
                        timeout=15).status_code == 404
    assert requests.get(f"{behind_nginx['app']}/metrics", timeout=15).status_code == 200


def test_a_resident_cannot_dodge_the_limit_with_a_forged_address(world, behind_nginx):
    with world.app_context():
        token = db.session.scalar(select(QrPoint.token).order_by(QrPoint.id))
    statuses = [requests.post(
        f"{behind_nginx['https']}/q/{token}", verify=False, allow_redirects=False, timeout=15,
        headers={"X-Forwarded-For": f"10.0.0.{n}"},  # a new "address" each time
        data={"form_token": uuid.uuid4().hex, "category_code": "06010",
              "description": "垃圾站旁堆满了垃圾"}).status_code for n in range(12)]
    assert statuses == [303] * 10 + [429, 429]
    # another phone (another address reaching nginx) has its own count: the app believes
    # the address nginx reports (PROXY_FIX_HOPS=1), not the one nginx itself connects from
    https = behind_nginx["https"].rsplit(":", 1)[1]
    other = http.client.HTTPSConnection("127.0.0.1", int(https), timeout=15,
                                        source_address=("127.0.0.2", 0),
                                        context=ssl._create_unverified_context())
    other.request("POST", f"/q/{token}", headers={
        "Content-Type": "application/x-www-form-urlencoded"}, body=urlencode({
            "form_token": uuid.uuid4().hex, "category_code": "06010",
            "description": "垃圾站旁堆满了垃圾"}))
    assert other.getresponse().status == 303
    other.close()
