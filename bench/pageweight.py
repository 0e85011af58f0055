"""Page weight (issue 10): what a phone downloads for a page on its first visit — the HTML
and every stylesheet, script and image the page names — as sent today (no compression in
`make run`) and gzip-compressed (what a reverse proxy or WhiteNoise would send).

    .venv/bin/python bench/pageweight.py

Builds a scratch SQLite demo (120 cases) in a temporary directory, logs in as the demo
users in process (Flask's test client: no server, no network) and prints one row a page.
A second visit downloads only the HTML: the assets are cached by the browser.
"""
import gzip
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
    print(f"| page | HTML | assets | first visit | gzip | gzip, cached (HTML only) |")
    print("|---|---|---|---|---|---|")
    for username, path, name in PAGES:
        client = app.test_client()
        client.post("/login", data={"username": username, "password": PASSWORD})
        page = client.get(path)
        assert page.status_code == 200, (path, page.status_code)
        html = page.get_data()
        assets = sorted(set(ASSET.findall(html.decode())))
        bodies = [client.get(url).get_data() for url in assets]
        raw = len(html) + sum(map(len, bodies))
        packed = [len(gzip.compress(body, 6)) for body in [html, *bodies]]
        print(f"| {name} `{path}` | {len(html) / 1024:.1f} KB | {len(assets)} files, "
              f"{sum(map(len, bodies)) / 1024:.1f} KB | {raw / 1024:.1f} KB | "
              f"{sum(packed) / 1024:.1f} KB | {packed[0] / 1024:.1f} KB |")


if __name__ == "__main__":
    main()
