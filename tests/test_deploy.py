"""deploy/ tells the truth (issue 13): the example environment names every setting the app
and gunicorn read, the app and gunicorn start with it, and nginx bounds uploads where the
app does."""
import os
import re
import subprocess
import sys

from core.config import Config
from tests.appservers import BIN, ROOT

DEPLOY = ROOT / "deploy"
READ = re.compile(r'environ\.get\(\s*"([A-Z][A-Z0-9_]*)"')


def _example() -> dict[str, str]:
    settings = {}
    for line in (DEPLOY / "gridgov.env.example").read_text().splitlines():
        if line and not line.startswith("#"):
            name, _, value = line.partition("=")
            assert re.fullmatch(r"[A-Z][A-Z0-9_]*", name), line
            # systemd and a shell read it alike: spaces only inside quotes
            assert " " not in value or (value[0] == value[-1] == '"'), line
            settings[name] = value.strip('"')
    return settings


def test_the_example_environment_names_every_setting_read():
    read = set()
    for path in [ROOT / "core" / "config.py", DEPLOY / "gunicorn.conf.py",
                 *(ROOT / "ops").glob("*.py")]:
        read |= set(READ.findall(path.read_text()))
    assert read - set(_example()) == set()
    assert {"DATABASE_URL", "SECRET_KEY", "PROXY_FIX_HOPS", "RATELIMIT_STORAGE_URI"} <= read


def test_a_shell_reads_the_example_as_systemd_does(tmp_path):
    shown = subprocess.run(["bash", "-c", f"set -a; . {DEPLOY / 'gridgov.env.example'}; "
                            "set +a; echo \"$HOTLINE_TEXT|$OPEN311_READ_LIMIT_PER_IP\""],
                           capture_output=True, text=True, timeout=30)
    assert shown.returncode == 0 and shown.stderr == "", shown.stderr
    example = _example()
    assert shown.stdout.strip() == f"{example['HOTLINE_TEXT']}|{example['OPEN311_READ_LIMIT_PER_IP']}"


def test_the_app_and_gunicorn_start_with_the_example_environment(tmp_path):
    env = {**os.environ, **_example(), "DATABASE_URL": f"sqlite:///{tmp_path / 'db.sqlite3'}",
           "GRIDGOV_INSTANCE": str(tmp_path), "UPLOAD_DIR": str(tmp_path / "uploads"),
           "PROMETHEUS_MULTIPROC_DIR": str(tmp_path / "prom"), "PYTHONPATH": str(ROOT)}
    shown = subprocess.run([sys.executable, "-c", (
        "from core import create_app; app = create_app(); c = app.config; "
        "print(c['LOG_FORMAT'], c['METRICS_ENABLED'], c['PROXY_FIX_HOPS'], "
        "c['SESSION_COOKIE_SECURE'], c['SQLALCHEMY_ENGINE_OPTIONS']['pool_size'])")],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=60)
    assert shown.returncode == 0, shown.stderr
    assert shown.stdout.split() == ["json", "True", "1", "True", "2"]
    checked = subprocess.run([str(BIN / "gunicorn"), "--check-config", "-c",
                              str(DEPLOY / "gunicorn.conf.py"), "wsgi:app"],
                             cwd=ROOT, env=env, capture_output=True, text=True, timeout=60)
    assert checked.returncode == 0, checked.stderr + checked.stdout


def test_nginx_takes_the_bodies_the_app_takes():
    site = (DEPLOY / "nginx-gridgov.conf").read_text()
    megabytes = int(re.search(r"client_max_body_size (\d+)m;", site).group(1))
    assert megabytes * 1024 * 1024 == Config.UPLOAD_MAX_BYTES + 1024 * 1024
    assert f"UPLOAD_MAX_BYTES={Config.UPLOAD_MAX_BYTES}" in (
        DEPLOY / "gridgov.env.example").read_text()


def test_the_units_start_what_the_repository_has():
    web = (DEPLOY / "gridgov-web.service").read_text()
    scheduler = (DEPLOY / "gridgov-scheduler.service").read_text()
    assert "-c deploy/gunicorn.conf.py wsgi:app" in web
    assert "flask --app wsgi scheduler" in scheduler
    for unit in (web, scheduler):
        assert "EnvironmentFile=/etc/gridgov/gridgov.env" in unit
        assert "Restart=always" in unit
