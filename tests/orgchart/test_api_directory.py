"""Browsing the directory over HTTP: units with counts, departments, posts, holders, people."""
from __future__ import annotations

import asyncio

import pytest

from orgchart.service.counts_cache import SubtreeCountsCache
from tests.orgchart import sample
from tests.orgchart.api_fixtures import (
    ENTERPRISE_USER,
    OFFICIAL,
    assert_error,
    get_json,
    login,
    start_api,
)

JZ = sample.TAX_KC + "-JZ"  # 柯城区税务局局长, serves enterprises
VILLAGE_SJ = sample.VILLAGE_A + "-SJ"  # 府山村党支部书记, internal


@pytest.fixture
async def api(aiohttp_client, db_url):
    return await start_api(aiohttp_client, db_url)


def _counts(items: list[dict]) -> dict[str, dict]:
    return {item["name"]: item["counts"] for item in items}


async def test_children_with_subtree_counts(api):
    official, external = await login(api, OFFICIAL), await login(api, ENTERPRISE_USER)
    roots = await get_json(api, "/api/v1/units", official)
    assert _counts(roots["items"]) == {"浙江省": {"units": 6, "posts": 8, "holders": 5}}

    body = await get_json(api, f"/api/v1/units/{sample.CITY}/children", official)
    assert body["unit"]["name"] == "衢州市" and body["unit"]["level_name"] == "city"
    assert _counts(body["items"]) == {
        "柯城区": {"units": 3, "posts": 6, "holders": 5},
        "衢江区": {"units": 0, "posts": 1, "holders": 0},
    }
    # Enterprise members count only posts that serve enterprises, and their holders.
    body = await get_json(api, f"/api/v1/units/{sample.CITY}/children", external)
    assert _counts(body["items"]) == {
        "柯城区": {"units": 3, "posts": 2, "holders": 2},
        "衢江区": {"units": 0, "posts": 1, "holders": 0},
    }
    leaf = await get_json(api, f"/api/v1/units/{sample.VILLAGE_A}/children", official)
    assert leaf["items"] == []


async def test_unit_breadcrumb_and_bad_codes(api):
    official = await login(api, OFFICIAL)
    body = await get_json(api, f"/api/v1/units/{sample.VILLAGE_A}", official)
    assert body["unit"] == {
        "code": sample.VILLAGE_A, "name": "府山村", "level": 5, "level_name": "village",
        "level_label": "村社区", "parent_code": sample.TOWN,
    }
    assert [unit["name"] for unit in body["breadcrumb"]] == ["浙江省", "衢州市", "柯城区", "信安街道"]
    assert_error(await get_json(api, "/api/v1/units/3308", official, status=400), "invalid_input")
    assert_error(await get_json(api, "/api/v1/units/330899000000", official, status=404), "not_found")


async def test_departments_and_posts_of_a_unit(api):
    official, external = await login(api, OFFICIAL), await login(api, ENTERPRISE_USER)
    body = await get_json(api, f"/api/v1/units/{sample.KECHENG}/departments", official)
    assert [(d["name"], d["parent_code"]) for d in body["items"]] == [
        ("柯城区税务局", None), ("征管科", sample.TAX_KC)]

    body = await get_json(api, f"/api/v1/departments/{sample.TAX_KC}", official)
    assert [d["name"] for d in body["children"]] == ["征管科"]
    body = await get_json(api, f"/api/v1/departments/{sample.TAX_KC}-ZG/posts", official)
    assert [(p["title"], [h["person"]["name"] for h in p["holders"]]) for p in body["items"]] == [
        ("税务专管员", ["王五"])]

    body = await get_json(api, f"/api/v1/units/{sample.VILLAGE_A}/posts", official)
    assert body["total"] == 2 and {p["title"] for p in body["items"]} == {"村党支部书记", "网格员"}
    body = await get_json(api, f"/api/v1/units/{sample.VILLAGE_A}/posts", external)
    assert body == {"total": 0, "offset": 0, "limit": 20, "items": []}

    page = await get_json(api, f"/api/v1/units/{sample.KECHENG}/posts", official, offset=1, limit=1)
    assert page["total"] == 2 and len(page["items"]) == 1 and page["items"][0]["code"] == sample.TAX_KC + "-ZGY"


async def test_post_holders_now_on_a_date_and_history(api):
    official = await login(api, OFFICIAL)
    post = await get_json(api, f"/api/v1/posts/{JZ}", official)
    assert post["title"] == "局长" and post["unit"]["name"] == "柯城区"
    assert [h["person"]["name"] for h in post["holders"]] == ["张三"]
    assert post["holders"][0]["person"]["mobile"] == OFFICIAL

    now = await get_json(api, f"/api/v1/posts/{JZ}/holders", official)
    assert [h["person"]["name"] for h in now["items"]] == ["张三"] and not now["vacant"]
    then = await get_json(api, f"/api/v1/posts/{JZ}/holders", official, at="2023-06-01")
    assert [h["person"]["name"] for h in then["items"]] == ["李四"] and then["at"] == "2023-06-01"
    # The end date is exclusive: on the hand-over day the successor holds the post.
    handover = await get_json(api, f"/api/v1/posts/{JZ}/holders", official, at="2024-03-01")
    assert [h["person"]["name"] for h in handover["items"]] == ["张三"]
    before = await get_json(api, f"/api/v1/posts/{JZ}/holders", official, at="2000-01-01")
    assert before["vacant"] and before["items"] == []

    history = await get_json(api, f"/api/v1/posts/{JZ}/history", official)
    assert [(h["person"]["name"], h["start"], h["end"]) for h in history["items"]] == [
        ("张三", "2024-03-01", None), ("李四", "2019-01-01", "2024-03-01")]

    assert_error(await get_json(api, f"/api/v1/posts/{JZ}/holders", official, status=400, at="2024-13-01"),
                 "invalid_input")
    assert_error(await get_json(api, "/api/v1/posts/NO-SUCH-POST", official, status=404), "not_found")


async def test_enterprise_members_see_only_posts_serving_enterprises(api):
    external = await login(api, ENTERPRISE_USER)
    post = await get_json(api, f"/api/v1/posts/{JZ}", external)
    assert [h["person"] for h in post["holders"]] == [{"id": post["holders"][0]["person"]["id"], "name": "张三"}]
    assert "supervisor" not in post  # escalation chains are internal
    for path in (f"/api/v1/posts/{VILLAGE_SJ}", f"/api/v1/posts/{VILLAGE_SJ}/holders",
                 f"/api/v1/posts/{VILLAGE_SJ}/history"):
        assert_error(await get_json(api, path, external, status=404), "not_found")

    # People: only current holders of visible posts, and never their mobile.
    zhang = post["holders"][0]["person"]["id"]
    person = await get_json(api, f"/api/v1/people/{zhang}", external)
    assert person["name"] == "张三" and "mobile" not in person
    official = await login(api, OFFICIAL)
    village = await get_json(api, f"/api/v1/posts/{VILLAGE_SJ}", official)
    zhao = village["holders"][0]["person"]["id"]
    assert_error(await get_json(api, f"/api/v1/people/{zhao}", external, status=404), "not_found")
    person = await get_json(api, f"/api/v1/people/{zhao}", official)
    assert person["mobile"] == "13800000004" and [p["title"] for p in person["posts"]] == ["村党支部书记"]


async def test_paging_parameters_are_checked(api):
    official = await login(api, OFFICIAL)
    path = f"/api/v1/units/{sample.KECHENG}/posts"
    for params in ({"limit": "ten"}, {"offset": "-1"}, {"limit": "0"}, {"offset": "1.5"}):
        body = await get_json(api, path, official, status=400, **params)
        assert_error(body, "invalid_input")
    capped = await get_json(api, path, official, limit="100000")
    assert capped["limit"] == 200


async def test_counts_cache_expires_computes_once_and_clears():
    now = [0.0]
    cache = SubtreeCountsCache(ttl_seconds=10, clock=lambda: now[0])
    calls = []

    async def compute():
        calls.append(1)
        await asyncio.sleep(0)
        return len(calls)

    assert await asyncio.gather(cache.get("k", compute), cache.get("k", compute)) == [1, 1]
    now[0] = 9.9
    assert await cache.get("k", compute) == 1
    now[0] = 10.1
    assert await cache.get("k", compute) == 2
    cache.clear()
    assert await cache.get("k", compute) == 3
