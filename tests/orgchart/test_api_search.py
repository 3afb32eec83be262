"""Search and selector resolution over HTTP, with role-based visibility."""
from __future__ import annotations

import pytest

from tests.orgchart import sample
from tests.orgchart.api_fixtures import (
    ENTERPRISE_USER,
    OFFICIAL,
    assert_error,
    get_json,
    login,
    start_api,
)

HANGZHOU = [{"kind": "unit", "code": "330100000000", "name": "杭州市"}]


@pytest.fixture
async def api(aiohttp_client, db_url):
    return await start_api(aiohttp_client, db_url, extra=HANGZHOU)


async def test_search_by_name_pinyin_initials_and_tag(api):
    official = await login(api, OFFICIAL)
    for query in ("杭州", "hangzhou", "hzs"):
        body = await get_json(api, "/api/v1/search", official, q=query)
        assert body["items"][0]["name"] == "杭州市", query
    body = await get_json(api, "/api/v1/search", official, q="zs", kind="person")
    assert [item["name"] for item in body["items"]] == ["张三"]
    assert body["items"][0]["posts"][0]["title"] == "局长"
    body = await get_json(api, "/api/v1/search", official, tag="河长")
    assert {item["code"] for item in body["items"]} == {sample.TOWN + "-SJ", sample.VILLAGE_A + "-SJ"}
    body = await get_json(api, "/api/v1/search", official, tag="河长", under=sample.VILLAGE_A)
    assert [item["code"] for item in body["items"]] == [sample.VILLAGE_A + "-SJ"]
    body = await get_json(api, "/api/v1/search", official, q="z", limit="1")
    assert len(body["items"]) == 1


async def test_search_hides_internal_posts_from_enterprise_members(api):
    external = await login(api, ENTERPRISE_USER)
    assert (await get_json(api, "/api/v1/search", external, q="河长"))["items"] == []
    assert (await get_json(api, "/api/v1/search", external, q="zhaoliu"))["items"] == []
    heads = await get_json(api, "/api/v1/search", external, q="局长", kind="post")
    assert {item["code"] for item in heads["items"]} == {sample.TAX_KC + "-JZ", sample.QUJIANG + "-SWJ-JZ"}


async def test_search_rejects_bad_parameters(api):
    official = await login(api, OFFICIAL)
    for params in ({}, {"q": "zs", "kind": "planet"}, {"q": "zs", "limit": "x"},
                   {"q": "zs", "under": "33"}, {"tag": "河长", "kind": "unit"}):
        assert_error(await get_json(api, "/api/v1/search", official, status=400, **params), "invalid_input")


async def test_resolve_counts_and_pages_with_visibility(api):
    pytest.importorskip("orgchart.selectors.resolver")
    official, external = await login(api, OFFICIAL), await login(api, ENTERPRISE_USER)
    body = await get_json(api, "/api/v1/resolve", official, selector="duty:村党支部书记 under:衢州市", limit="1")
    assert body["post_count"] == 2 and len(body["items"]) == 1 and not body["empty"]
    body = await get_json(api, "/api/v1/resolve", external, selector="duty:村党支部书记 under:衢州市")
    assert body["post_count"] == 0 and body["empty"] and body["items"] == []
    body = await get_json(api, "/api/v1/resolve", external, selector=sample.TAX_KC + "-JZ")
    assert body["post_count"] == 1 and body["items"][0]["holders"] == [{"name": "张三", "kind": "primary"}]
    body = await get_json(api, "/api/v1/resolve", official, selector=sample.TAX_KC + "-JZ", at="2023-01-01")
    assert [h["name"] for h in body["items"][0]["holders"]] == ["李四"]
    error = await get_json(api, "/api/v1/resolve", official, status=400, selector="duty:")
    assert error["error"]["code"] == "selector_syntax"
    assert set(error["error"]["details"]) >= {"position", "expected"}
    assert_error(await get_json(api, "/api/v1/resolve", official, status=400, selector=""), "invalid_input")
    assert_error(await get_json(api, "/api/v1/resolve", official, status=400, selector="duty:河长", offset="x"),
                 "invalid_input")
