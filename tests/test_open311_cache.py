"""Open311's public lists are kept a short while (issue 13's load found them the costliest
public answer: up to a thousand cases, ~120 ms a call): the same query is answered from
the cache until it expires, another query is built afresh, refusals are never kept, and
one address cannot make the server build lists without end."""
import pytest

from tests.support import another_app

LIST = "/open311/v2/requests.json"


@pytest.fixture
def database_url(sqlite_url):
    """The cache sits above the database."""
    return sqlite_url


def test_the_same_list_is_kept_until_it_expires(world, report, freeze):
    with another_app(world, CACHE_TYPE="SimpleCache", CACHE_DEFAULT_TIMEOUT=30) as app:
        public = app.test_client()
        first = public.get(LIST)
        assert first.status_code == 200
        assert first.headers["Cache-Control"] == "public, max-age=30"
        report("worker")  # a new case: the kept list does not show it yet
        assert public.get(LIST).get_json() == first.get_json()
        fresh = public.get(LIST + "?status=open")  # another query: built afresh
        assert len(fresh.get_json()) == len(first.get_json()) + 1
        with app.app_context():
            from core.extensions import cache
            cache.clear()  # what expiry does
        assert len(public.get(LIST).get_json()) == len(first.get_json()) + 1


def test_a_refusal_is_not_kept(world):
    with another_app(world, CACHE_TYPE="SimpleCache") as app:
        public = app.test_client()
        assert public.get(LIST + "?status=bogus").status_code == 400
        assert public.get(LIST + "?status=bogus").status_code == 400
        assert public.get(LIST + "?status=open").status_code == 200


def test_one_address_cannot_build_lists_without_end(world):
    with another_app(world, CACHE_TYPE="SimpleCache",
                     OPEN311_READ_LIMIT_PER_IP="5 per minute") as app:
        public = app.test_client()
        statuses = [public.get(f"{LIST}?page={n}").status_code for n in range(1, 8)]
        assert statuses == [200] * 5 + [429, 429]
