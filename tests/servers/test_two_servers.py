"""Two application servers on one database and one Redis serve a clinic interchangeably:
a login on one holds on the other, a chart cached by one is served by the other, and a
write on one is seen on the other at once."""

import re
import shutil
from pathlib import Path

import httpx
import pytest

from tests import live

EMAIL = "practitioner@demo.clinic"


@pytest.fixture(scope="module")
def two_servers(tmp_path_factory, django_db_setup):
    if not Path(live.REDIS).exists():
        pytest.skip("redis-server not found: apt-get install redis-server to run this test")
    tmp = tmp_path_factory.mktemp("two")
    url, drop = live.database_url(tmp)
    cache_url, redis = live.redis(tmp)
    env = live.app_env(tmp, url, MESOCLINIC_CACHE_URL=cache_url, MESOCLINIC_WORKERS="1")
    live.prepare(env)
    first, one = live.serve(env, tmp, "first")
    second, two = live.serve(env, tmp, "second")
    yield first, second, cache_url
    for process in (one, two, redis):
        live.stop(process)
    drop()
    shutil.rmtree(tmp, ignore_errors=True)


def chart_keys(cache_url: str) -> list[bytes]:
    import redis

    return sorted(redis.Redis.from_url(cache_url).keys("mesoclinic-*:chart:*"))


def token_in(page: httpx.Response) -> str:
    return re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.text).group(1)


def test_a_journey_alternates_between_two_servers(two_servers):
    first, second, cache_url = two_servers
    # One browser: its cookies go to both servers (same host, two ports).
    browser = httpx.Client(follow_redirects=False)

    login = browser.get(first + "/accounts/login/")
    done = browser.post(
        first + "/accounts/login/",
        data={"username": EMAIL, "password": live.PASSWORD, "csrfmiddlewaretoken": token_in(login)},
    )
    assert done.status_code == 302, done.text[:500]

    patients = browser.get(second + "/patients/")  # the session made on the first holds here
    assert patients.status_code == 200
    chart = re.search(r'href="(/patients/[0-9a-f-]{36}/)"', patients.text).group(1)
    assert browser.get(second + chart).status_code == 200
    cached = chart_keys(cache_url)
    assert len(cached) == 1
    assert browser.get(first + chart).status_code == 200
    assert chart_keys(cache_url) == cached  # the first served the chart the second cached

    form = browser.get(first + chart + "medication/new/")
    added = browser.post(
        first + chart + "medication/new/",
        data={
            "name": "Isotretinoin 20 mg",
            "dose": "daily",
            "recorded_on": "2026-11-30",
            "csrfmiddlewaretoken": token_in(form),
        },
    )
    assert added.status_code in (200, 302), added.text[:500]
    page = browser.get(second + chart)
    assert "Isotretinoin 20 mg" in page.text  # the write on the first, seen on the second
    assert len(chart_keys(cache_url)) == 2  # a new version, a new entry

    home = browser.get(second + "/")
    out = browser.post(second + "/accounts/logout/", data={"csrfmiddlewaretoken": token_in(home)})
    assert out.status_code == 302
    assert browser.get(first + chart).status_code == 302  # logged out on both
