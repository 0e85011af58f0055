import re
import pytest
from tests.test_pages import login, new_case_form, field_value, text_of, count_events
from tests.conftest import POINT_GRID2

@pytest.fixture
def database_url(sqlite_url):
    return sqlite_url

def test_probe(login, new_case_form, report, world):
    case = report("worker")
    d = login("dispatcher")
    pass

    w = login("worker")
    for lat in ("nan", "500", "inf"):
        r = new_case_form(w, lat=lat, confirm_not_duplicate="1", grid_code="220221101000001"); print(re.findall(r"class=.error[^>]*>([^<]+)", text_of(r)))
        print("lat", lat, "->", r.status_code, r.headers.get("Location"))
    r = new_case_form(w, point=POINT_GRID2, confirm_not_duplicate="1", grid_code="220221101000001")
    print("grid2 point ->", r.status_code, r.headers.get("Location"))
    if r.status_code == 302:
        page = text_of(w.get(r.headers["Location"]))
        import re; print(re.search(r"<dt>网格</dt><dd>([^<]+)</dd>", page).group(1))
    print(count_events(world))
    r = d.post(f"/events/{case['id']}/actions", data={"action": "request_extension", "hours": "abc", "note": "x"})
    print("dispatcher req ext ->", r.status_code, re.findall(r'class="error"[^>]*>([^<]+)', text_of(r)))
    r = d.post(f"/events/{case['id']}/actions", data={"action": "dispatch", "hours": "", "note": ""})
    print("dispatch w/o dept->", r.status_code)
    r = d.post(f"/events/{case['id']}/actions", data={"action": "bogus"})
    print("bogus ->", r.status_code, re.findall(r'class="error"[^>]*>([^<]+)', text_of(r)))
    r = d.get("/events?cursor=zzz")
    print("cursor ->", r.status_code)
    r = d.get("/events?state=nonsense")
    print("state ->", r.status_code)
    assert 0
