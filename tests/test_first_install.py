"""A county installs gridgov on an empty database, as README "Running in production" tells
it to (issue 13): migrate, calendar, categories, the top of its division tree, the first
admin — who logs in and adds the first town on the regions page."""
import re

from sqlalchemy import select

from core import create_app
from core.extensions import db
from grid.models import Region
from tests.support import _config


def test_from_an_empty_database_to_the_first_town(empty_database_url, tmp_path):
    app = create_app({**_config(empty_database_url, tmp_path / "uploads"),
                      "WTF_CSRF_ENABLED": False})
    runner = app.test_cli_runner()

    def run(*args, input=None):
        result = runner.invoke(args=list(args), input=input)
        assert result.exit_code == 0, (args, result.output)
        return result.output

    try:
        run("db", "upgrade")
        run("calendar", "seed")
        run("load-categories")
        run("regions", "add", "220000000000", "吉林省", "--level", "province")
        run("regions", "add", "220200000000", "吉林市", "--level", "city", "--parent", "220000000000")
        run("regions", "add", "220221000000", "永吉县", "--level", "county",
            "--parent", "220200000000")
        refused = runner.invoke(args=["regions", "add", "220222000000", "磐石", "--level",
                                      "county", "--parent", "220000000000"])
        assert refused.exit_code != 0 and "belongs under a city" in refused.output
        refused = runner.invoke(args=["regions", "add", "220221100000", "某镇", "--level",
                                      "county", "--parent", "220200000000"])
        assert refused.exit_code != 0 and "ends in 6 zeros" in refused.output
        created = run("users", "create", "county-admin", "--role", "admin",
                      "--name", "县管理员")
        password = re.search(r"password: (\S+)", created).group(1)
        assert "吉林省" in run("regions", "list")

        browser = app.test_client()
        login = browser.post("/login", data={"username": "county-admin", "password": password})
        assert login.status_code == 302
        with app.app_context():
            county_id = db.session.scalar(select(Region.id).where(Region.code == "220221000000"))
        made = browser.post(f"/admin/regions/{county_id}/children",
                            data={"code": "220221101000", "name": "清河镇"})
        assert made.status_code == 303, made.get_data(as_text=True)
        tree = browser.get("/admin/regions").get_data(as_text=True)
        assert "永吉县" in tree and "清河镇" in tree
        audit = browser.get("/admin/audit").get_data(as_text=True)
        assert "220221000000" in audit and "220221101000" in audit
    finally:
        with app.app_context():
            db.session.remove()
            db.engine.dispose()
