"""The audit log: every security event and administrative action leaves an entry; only admins
read it (JSON) and export it (CSV). Real server, SQLite and PostgreSQL."""
from __future__ import annotations

import csv
import io

import pytest

from im_server.handlers import HANDLERS
from orgchart.http.keys import SESSIONS
from orgchart.infra.audit import record
from tests.orgchart import sample
from tests.orgchart.api_fixtures import (
    ADMIN,
    OFFICIAL,
    PASSWORD,
    UNACTIVATED,
    assert_error,
    get_json,
    login,
    start_api,
)

WRONG = "not-the-password-42"


@pytest.fixture
async def api(aiohttp_client, db_url):
    return await start_api(aiohttp_client, db_url)


async def entries(api, admin, **filters) -> list[dict]:
    return (await get_json(api, "/api/v1/audit", admin, limit=500, **filters))["items"]


async def person_id(api, headers) -> int:
    return (await get_json(api, "/api/v1/me", headers))["id"]


async def test_logins_and_failures_are_recorded_but_never_the_password(api):
    official = await login(api, OFFICIAL)
    for mobile, password in ((OFFICIAL, WRONG), ("13811112222", WRONG), (UNACTIVATED, PASSWORD),
                             (WRONG, PASSWORD)):
        response = await api.post("/api/v1/login", json={"mobile": mobile, "password": password})
        assert response.status == 401
    admin = await login(api, ADMIN)
    me = await person_id(api, official)

    ok = await entries(api, admin, action="login")
    assert [(e["actor"]["id"], e["target"], e["result"]) for e in ok][-1] == (me, f"person:{me}", "ok")
    failed = await entries(api, admin, action="login.failed")
    assert [(e["target"], e["details"]["reason"], e["result"]) for e in reversed(failed)] == [
        (f"mobile:{OFFICIAL}", "wrong_password", "denied"),
        ("mobile:13811112222", "unknown_mobile", "denied"),
        (f"mobile:{UNACTIVATED}", "not_activated", "denied"),
        ("mobile:-", "invalid_mobile", "denied"),  # what was typed may be a password: not kept
    ]
    assert failed[-1]["actor"]["id"] == me and failed[0]["actor"] is None
    assert ok[-1]["remote"] == "127.0.0.1" and all(e["remote"] == "127.0.0.1" for e in failed)
    assert {e["action"] for e in await entries(api, admin, action="login*")} == {"login", "login.failed"}

    dump = await (await api.get("/api/v1/audit.csv", headers=admin)).text()
    dump += str(await entries(api, admin))
    assert WRONG not in dump and PASSWORD not in dump


async def test_account_and_directory_changes_are_recorded(api):
    admin, official = await login(api, ADMIN), await login(api, OFFICIAL)
    admin_id, official_id = await person_id(api, admin), await person_id(api, official)

    assert (await api.post("/api/v1/logout", headers=official)).status == 200
    await login(api, OFFICIAL)
    assert (await api.post(f"/api/v1/people/{official_id}/revoke-tokens", headers=admin)).status == 200
    unactivated = (await get_json(api, "/api/v1/search", admin, q="钱七", kind="person"))["items"][0]["id"]
    response = await api.post(f"/api/v1/people/{unactivated}/activate", json={"password": "new-password-1"},
                              headers=admin)
    assert response.status == 200

    document = {"units": [{"code": "330100000000", "name": "杭州市"}]}
    assert (await api.post("/api/v1/import", json=document, headers=admin)).status == 200
    bad = {"units": [{"code": "33010", "name": "坏代码"}]}
    assert (await api.post("/api/v1/import", json=bad, headers=admin)).status == 422

    code = sample.QUJIANG + "-SWJ-JZ"
    response = await api.patch(f"/api/v1/posts/{code}", json={"title": "局长", "duties": ["河长"]},
                               headers=admin)
    assert response.status == 200
    response = await api.post(f"/api/v1/posts/{code}/holdings",
                              json={"mobile": "13800000004", "start": "2025-01-01"}, headers=admin)
    holding = (await response.json())["holding_id"]
    assert (await api.post(f"/api/v1/holdings/{holding}/end", json={"end": "2025-06-01"},
                           headers=admin)).status == 200

    items = await entries(api, admin)
    found = {(e["action"], e["target"], e["result"]): e for e in items}
    (logout,) = [e for e in items if e["action"] == "logout"]
    assert logout["actor"]["id"] == official_id and logout["target"].startswith("token:")
    revoke = found[("token.revoke", f"person:{official_id}", "ok")]
    assert revoke["actor"] == {"id": admin_id, "name": "管理员"} and revoke["details"]["revoked"] == 1
    assert found[("account.activate", f"person:{unactivated}", "ok")]["details"] == {"revoked_tokens": 0}
    assert found[("directory.import", "records:1", "ok")]["details"]["counts"] == {"unit": 1}
    assert found[("directory.import", "records:1", "error")]["details"]["errors"] == 1
    assert found[("directory.change", f"post:{code}", "ok")]["details"]["changes"] == {
        "title": "局长", "duties": ["河长"]}
    started = found[("role.change", f"post:{code}", "ok")]["details"]
    assert started["change"] == "start" and started["holding"] == holding and started["start"] == "2025-01-01"
    ended = found[("role.change", f"holding:{holding}", "ok")]["details"]
    assert ended == {"change": "end", "person": started["person"], "end": "2025-06-01"}
    assert all(e["at"].endswith("+00:00") for e in items)


async def test_only_admins_read_or_export_the_log(api):
    official = await login(api, OFFICIAL)
    for path in ("/api/v1/audit", "/api/v1/audit.csv"):
        response = await api.get(path, headers=official)
        assert response.status == 403
        assert_error(await response.json(), "forbidden")
        assert (await api.get(path)).status == 401


async def test_filters_and_paging(api):
    admin = await login(api, ADMIN)
    for _ in range(3):
        await login(api, OFFICIAL)
    everything = await entries(api, admin)
    assert [e["id"] for e in everything] == sorted((e["id"] for e in everything), reverse=True)
    official_id = await person_id(api, await login(api, OFFICIAL))
    page = await get_json(api, "/api/v1/audit", admin, actor=official_id, action="login", limit=2, offset=1)
    assert page["total"] == 4 and page["limit"] == 2 and len(page["items"]) == 2
    assert all(e["actor"]["id"] == official_id for e in page["items"])
    first = everything[-1]["at"]
    assert await entries(api, admin, until=first[:10]) == []  # until is exclusive, dates are UTC
    assert len(await entries(api, admin, since=first[:10], result="ok")) == len(everything) + 1
    assert await entries(api, admin, since="2999-01-01T00:00:00+08:00") == []
    for bad in ({"actor": "x"}, {"since": "yesterday"}, {"result": "maybe"},
                {"since": "2025-02-01", "until": "2025-01-01"}, {"limit": "0"}):
        response = await api.get("/api/v1/audit", headers=admin, params=bad)
        assert response.status == 400, bad
        assert_error(await response.json(), "invalid_input")


async def test_csv_export(api):
    admin = await login(api, ADMIN)
    async with api.app[SESSIONS]() as session, session.begin():
        await record(session, actor=None, action="test.formula", target="=HYPERLINK(\"http://x\")",
                     details={"note": "+1"})
    response = await api.get("/api/v1/audit.csv", headers=admin, params={"action": "login,test.*"})
    assert response.status == 200
    assert response.headers["Content-Type"].startswith("text/csv")
    assert "attachment" in response.headers["Content-Disposition"]
    raw = await response.read()
    assert raw.startswith(b"\xef\xbb\xbf")  # Excel opens UTF-8 Chinese correctly only with the BOM
    rows = list(csv.reader(io.StringIO(raw.decode("utf-8-sig"))))
    assert rows[0] == ["编号", "时间 (UTC)", "操作人编号", "操作人", "操作", "对象", "结果", "详情", "来源地址"]
    assert [r[4] for r in rows[1:]] == ["login", "test.formula"]  # oldest first
    assert rows[1][3] == "管理员" and rows[1][6] == "ok"
    assert rows[2][5] == "'=HYPERLINK(\"http://x\")"  # never a live formula in a spreadsheet
    exported = await entries(api, admin, action="audit.export")
    assert exported[0]["actor"]["name"] == "管理员"
    assert exported[0]["details"] == {"action": "login,test.*"}


async def test_recalls_and_notices_reach_the_log(connect):
    """Recorded by the messaging code in the same transaction as the change itself."""
    zhang, li = await connect("13800000001"), await connect("13800000002")
    conversation = (await zhang.request("conv.open", kind="direct", person=li.person_id))["conversation"]["id"]
    sent = await zhang.request("msg.send", conversation=conversation, client_msg_id="a", type="text",
                               content={"text": "发错了"})
    await zhang.request("msg.recall", message=sent["message"]["id"])
    if "notice.send" in HANDLERS:
        await zhang.request("notice.send", client_msg_id="n1", as_post=sample.TAX_KC + "-JZ",
                            selector="duty:河长", title="防汛", body="今晚巡河")
    admin = await connect("13900000000")
    headers = {"Authorization": f"Bearer {admin.token}"}
    async with connect.http.get(f"{connect.base_url}/api/v1/audit", headers=headers) as response:
        items = (await response.json())["items"]
    by_action = {e["action"]: e for e in items}
    assert by_action["message.recall"]["target"] == f"message:{sent['message']['id']}"
    assert by_action["message.recall"]["actor"]["id"] == zhang.person_id
    if "notice.send" in HANDLERS:
        assert by_action["notice.send"]["details"]["recipients"] == 2
