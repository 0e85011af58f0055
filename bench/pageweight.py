"""Page weight (issue 10): what a phone downloads for a page on its first visit — the HTML
and every stylesheet, script and image the page names — uncompressed, and as the app itself
sends it to Chromium (Flask-Compress, `Accept-Encoding: gzip, deflate, br, zstd`).

    .venv/bin/python bench/pageweight.py

Builds a scratch SQLite demo (120 cases) in a temporary directory, logs in as the demo
users in process (Flask's test client: no server, no network) and prints one row a page.
A second visit downloads only the HTML: the assets are cached by the browser.
"""
import os
import re
import sys
import tempfile
from datetime import datetime, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

PAGES = (("worker", "/field/", "我的网格"), ("worker", "/field/report", "巡查上报"),
         ("worker", "/field/map", "网格地图"), ("worker", "/field/checkins", "打卡记录"),
         ("dispatcher", "/events", "案件列表"), ("dispatcher", "/hotline", "热线受理"))
ASSET = re.compile(r'(?:href|src)="(/static/[^"?#]+)"')
PASSWORD = "bench-pass-1"


def main() -> None:
    scratch = Path(tempfile.mkdtemp(prefix="gridgov-weight-"))
    os.environ.update(DATABASE_URL=f"sqlite:///{scratch / 'demo.sqlite3'}",
                      GRIDGOV_INSTANCE=str(scratch / "instance"), UPLOAD_DIR=str(scratch / "up"))
    from flask_migrate import upgrade

    from core import create_app
    from core.database import write_transaction
    from demo.seed import seed_demo
    from workcal.calendar import enter_year, package_years
    app = create_app({"WTF_CSRF_ENABLED": False})  # the test client logs in without a form
    with app.app_context():
        upgrade(directory=str(ROOT / "migrations"))
        with write_transaction():
            for year in package_years():
                enter_year(year)
        with write_transaction():
            seed_demo(datetime.now(timezone.utc), password=PASSWORD, cases=120)
    print("| page | HTML | assets | uncompressed | as sent | as sent, cached (HTML only) |")
    print("|---|---|---|---|---|---|")
    chromium = {"Accept-Encoding": "gzip, deflate, br, zstd"}
    for username, path, name in PAGES:
        client = app.test_client()
        client.post("/login", data={"username": username, "password": PASSWORD})
        page = client.get(path)
        assert page.status_code == 200, (path, page.status_code)
        html = page.get_data()
        assets = sorted(set(ASSET.findall(html.decode())))
        bodies = [client.get(url).get_data() for url in assets]
        raw = len(html) + sum(map(len, bodies))
        sent = [client.get(url, headers=chromium) for url in (path, *assets)]
        sizes = [len(answer.get_data()) for answer in sent]  # the test client does not decode
        print(f"| {name} `{path}` | {len(html) / 1024:.1f} KB | {len(assets)} files, "
              f"{sum(map(len, bodies)) / 1024:.1f} KB | {raw / 1024:.1f} KB | "
              f"{sum(sizes) / 1024:.1f} KB | {sizes[0] / 1024:.1f} KB "
              f"({sent[0].headers.get('Content-Encoding', 'identity')}) |")

if __name__ == "__main__":
    main()
