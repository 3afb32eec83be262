"""Changing the directory over HTTP (admins only), and the OpenAPI document covering every route."""
from __future__ import annotations

import json
import re
from typing import Any

import pytest
from aiohttp import web

from orgchart.http import routes
from orgchart.http.views_docs import load_openapi
from tests.orgchart import sample
from tests.orgchart.api_fixtures import (
    ADMIN,
    ENTERPRISE_USER,
    OFFICIAL,
    assert_error,
    get_json,
    login,
    start_api,
)

DOCUMENT = {
    "format": "zhengding-directory/1",
    "units": [{"code": "330100000000", "name": "杭州市"}, {"code": "330102000000", "name": "上城区"}],
    "posts": [{"code": "330102000000-QZ", "title": "区长", "unit": "330102000000",
               "duties": ["河长"], "serves_enterprises": True}],
    "people": [{"mobile": "13800000201", "name": "周九"}],
    "holdings": [{"post": "330102000000-QZ", "mobile": "13800000201", "start": "2024-01-01"}],
}


@pytest.fixture
async def api(aiohttp_client, db_url):
    return await start_api(aiohttp_client, db_url)


async def test_only_admins_import(api):
    for mobile in (OFFICIAL, ENTERPRISE_USER):
        response = await api.post("/api/v1/import", json=DOCUMENT, headers=await login(api, mobile))
        assert response.status == 403
        assert_error(await response.json(), "forbidden")
    response = await api.post("/api/v1/import", json=DOCUMENT)
    assert response.status == 401


async def test_import_document_and_every_bad_row(api):
    admin = await login(api, ADMIN)
    before = (await get_json(api, "/api/v1/units", admin))["items"][0]["counts"]  # now cached
    response = await api.post("/api/v1/import", json=DOCUMENT, headers=admin)
    body = await response.json()
    assert response.status == 200 and body["ok"], body
    after = (await get_json(api, "/api/v1/units", admin))["items"][0]["counts"]
    assert after == {"units": before["units"] + 2, "posts": before["posts"] + 1, "holders": before["holders"] + 1}
    assert body["counts"] == {"unit": 2, "post": 1, "person": 1, "holding": 1}
    post = await get_json(api, "/api/v1/posts/330102000000-QZ", admin)
    assert [h["person"]["name"] for h in post["holders"]] == ["周九"]

    bad = {
        "units": [{"code": "33010200000", "name": "坏代码"},  # 11 digits
                  {"code": "330100001000", "name": "跳级街道"}],  # township directly under a city
        "people": [{"mobile": "12345", "name": "坏手机"}],
        "enterprises": [{"credit_code": sample.ENTERPRISE_A[:17] + "0", "name": "坏企业"}],
    }
    response = await api.post("/api/v1/import", json=bad, headers=admin)
    body = await response.json()
    assert response.status == 422, body
    assert_error(body, "import_rejected")
    errors = body["error"]["details"]["errors"]
    assert {e["location"] for e in errors} == {"units[0]", "units[1]", "people[0]", "enterprises[0]"}
    assert {"bad code", "level skip", "bad mobile", "invalid credit code"} <= {e["reason"] for e in errors}
    assert (await get_json(api, "/api/v1/search", admin, q="周九"))["items"]  # earlier import intact

    for payload in ('{"units": 3}', '{"format": "other/9"}', '"text"', '{"planets": []}', "{oops"):
        response = await api.post("/api/v1/import", data=payload, headers=admin)
        assert response.status == 400, payload
        assert_error(await response.json(), "invalid_input")


async def test_admin_edits_a_post_and_rotates_its_holder(api):
    admin, official = await login(api, ADMIN), await login(api, OFFICIAL)
    code = sample.QUJIANG + "-SWJ-JZ"
    response = await api.patch(f"/api/v1/posts/{code}", json={"title": "党委书记"}, headers=official)
    assert response.status == 403
    response = await api.patch(f"/api/v1/posts/{code}", json={"title": "党委书记、局长", "duties": ["河长"]},
                               headers=admin)
    body = await response.json()
    assert response.status == 200 and body["title"] == "党委书记、局长" and body["duties"] == ["河长"]
    assert code in {i["code"] for i in (await get_json(api, "/api/v1/search", admin, tag="河长"))["items"]}
    response = await api.patch(f"/api/v1/posts/{code}", json={"colour": "red"}, headers=admin)
    assert response.status == 400

    response = await api.post(f"/api/v1/posts/{code}/holdings",
                              json={"mobile": "13800000004", "start": "2025-01-01"}, headers=admin)
    started = await response.json()
    assert response.status == 201 and started["person"]["name"] == "赵六" and started["end"] is None
    response = await api.post(f"/api/v1/posts/{code}/holdings",
                              json={"mobile": "13800000004", "start": "2025-02-01"}, headers=admin)
    assert response.status == 409
    assert_error(await response.json(), "conflict")

    path = f"/api/v1/holdings/{started['holding_id']}/end"
    response = await api.post(path, json={"end": "2024-12-31"}, headers=admin)
    assert response.status == 400
    response = await api.post(path, json={"end": "2025-06-01"}, headers=admin)
    assert response.status == 200 and (await response.json())["end"] == "2025-06-01"
    response = await api.post(path, json={"end": "2025-07-01"}, headers=admin)
    assert response.status == 409
    held = await get_json(api, f"/api/v1/posts/{code}/holders", admin, at="2025-03-01")
    assert [h["person"]["name"] for h in held["items"]] == ["赵六"]


def _api_routes(app: web.Application) -> set[tuple[str, str]]:
    found = set()
    for route in app.router.routes():
        path = route.resource.canonical if route.resource else ""
        if path.startswith("/api/v1/") and route.method != "HEAD":
            found.add((path, route.method.lower()))
    return found


def _structural_problems(document: dict[str, Any]) -> list[str]:
    """What a validator would also catch, checked without one: every ``$ref`` resolves in the
    merged document, every path parameter is declared, operation ids are unique."""
    problems: list[str] = []

    def resolve(ref: str) -> bool:
        node: Any = document
        for key in ref.removeprefix("#/").split("/"):
            if not isinstance(node, dict) or key not in node:
                return False
            node = node[key]
        return True

    def walk(node: Any, where: str) -> None:
        if isinstance(node, dict):
            ref = node.get("$ref")
            if isinstance(ref, str) and not (ref.startswith("#/") and resolve(ref)):
                problems.append(f"{where}: unresolved $ref {ref}")
            for key, value in node.items():
                walk(value, f"{where}/{key}")
        elif isinstance(node, list):
            for index, value in enumerate(node):
                walk(value, f"{where}/{index}")

    walk(document, "#")
    operation_ids: list[str] = []
    for path, item in document["paths"].items():
        for method, operation in item.items():
            operation_ids.append(operation.get("operationId", f"{method} {path}"))
            declared = set()
            for parameter in operation.get("parameters", []):
                if "$ref" in parameter and resolve(parameter["$ref"]):
                    parameter = document["components"]["parameters"][parameter["$ref"].rsplit("/", 1)[1]]
                if parameter.get("in") == "path":
                    declared.add(parameter["name"])
            wanted = set(re.findall(r"{(\w+)}", path))
            if declared != wanted:
                problems.append(f"{method} {path}: path parameters {sorted(declared)} != {sorted(wanted)}")
    duplicates = {i for i in operation_ids if operation_ids.count(i) > 1}
    if duplicates:
        problems.append(f"duplicate operationId: {sorted(duplicates)}")
    return problems


async def test_openapi_documents_every_route(api):
    served = await (await api.get("/api/v1/openapi.json")).json()
    assert served["openapi"].startswith("3.1")
    assert served["paths"].keys() >= load_openapi()["paths"].keys()
    documented = {(path, method) for path, item in served["paths"].items() for method in item}

    directory = web.Application()
    routes.setup(directory)
    mine = _api_routes(directory)
    assert mine and mine <= documented, mine - documented
    # Other packages' routes join the served document through app[OPENAPI_PARTS]
    # (orgchart.http.keys): every route of the whole server is described, and nothing else.
    everything = _api_routes(api.app)
    assert everything - documented == set(), f"undocumented routes: {sorted(everything - documented)}"
    assert documented - everything == set(), f"documented, not served: {sorted(documented - everything)}"
    assert _structural_problems(served) == []


async def test_served_openapi_passes_the_validator(api):
    validator = pytest.importorskip("openapi_spec_validator")
    served = await (await api.get("/api/v1/openapi.json")).json()
    validator.validate(served)


async def test_router_errors_are_json_in_chinese(api):
    response = await api.get("/api/v1/no-such-route")
    assert response.status == 404
    body = await response.json()
    assert_error(body, "not_found")
    assert body["error"]["message"] == "接口不存在"

    response = await api.delete("/api/v1/units")
    assert response.status == 405
    body = await response.json()
    assert_error(body, "method_not_allowed")
    assert body["error"]["message"] == "不支持该请求方法"
    assert set(response.headers["Allow"].split(",")) == {"GET", "HEAD"}

    # Outside /api/ aiohttp answers as usual.
    response = await api.get("/no-such-page")
    assert response.status == 404 and response.content_type == "text/plain"


def test_openapi_parts_are_merged(tmp_path):
    part = tmp_path / "more.json"
    part.write_text(json.dumps({
        "paths": {"/api/v1/extra": {"get": {"responses": {"200": {"description": "ok"}}}}},
        "components": {"schemas": {"Extra": {"type": "object"}}},
        "tags": [{"name": "Extra"}, {"name": "Directory"}],
    }))
    merged = load_openapi([part])
    assert "/api/v1/extra" in merged["paths"] and "/api/v1/units" in merged["paths"]
    assert "Extra" in merged["components"]["schemas"] and "Unit" in merged["components"]["schemas"]
    assert [tag["name"] for tag in merged["tags"]].count("Directory") == 1
