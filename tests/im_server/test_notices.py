"""Notices end to end: real server, real sockets, SQLite and PostgreSQL.

Who holds what in the sample directory (tests/orgchart/sample.py): 张三 柯城区税务局局长 (after
李四, who now is 信安街道党工委书记 and 河长); 王五 税务专管员 (柯城区); 赵六 府山村党支部书记 and
河长; 钱七 府山村网格员; 孙八 works for an enterprise of the tax office's virtual organisation.
"""
from __future__ import annotations

import asyncio
import csv
import datetime as dt
import io
import json
import time

import pytest
from sqlalchemy import func, insert, select

from im_server import models as m
from orgchart import models as om
from orgchart.http.keys import ENGINE
from tests.orgchart import sample

ZHANG, LI, WANG, ZHAO, QIAN, SUN = ("13800000001", "13800000002", "13800000003", "13800000004",
                                    "13800000005", "13800000006")
ADMIN = "13900000000"
JZ = sample.TAX_KC + "-JZ"
RIVER_CHIEFS = "duty:河长 under:衢州市"
#: 李四 (信安街道), 赵六 and 钱七 (府山村), 王五 (柯城区), and 孙八 through his enterprise (柯城区).
WIDE = "duty:河长,网格员 under:衢州市 + duty:税务专管员 + vo:KC-TAXPAYERS"


async def send(client, selector, *, client_msg_id="n1", title="防汛通知", body="请做好防汛准备。", **extra):
    return await client.call("notice.send", client_msg_id=client_msg_id, as_post=JZ, selector=selector,
                             title=title, body=body, **extra)


async def sent(client, selector, **kwargs) -> dict:
    frame = await send(client, selector, **kwargs)
    assert frame["ok"], frame
    return frame["result"]


def of(events, kind):
    return [e for e in events if e.get("ev") == kind]


async def http_get(connect, client, path):
    async with connect.http.get(f"{connect.base_url}{path}",
                                headers={"Authorization": f"Bearer {client.token}"}) as response:
        body = await response.read()
        return response.status, response.headers, body


async def test_notice_reaches_exactly_the_current_holders(connect):
    wang, zhang, li = await connect(WANG), await connect(ZHANG), await connect(LI)
    ack = (await wang.request("notice.send", client_msg_id="a", as_post=sample.TAX_KC + "-ZGY",
                              selector=JZ, title="请审批", body="报表已提交。"))
    assert ack["recipients"] == 1
    got = await zhang.wait_events(lambda e: e.get("ev") == "notice.new")
    notice = got[0]["data"]["notice"]
    assert notice == notice | {"id": ack["notice"]["id"], "title": "请审批", "body": "报表已提交。",
                               "sender": {"id": wang.person_id, "name": "王五"},
                               "sender_post": {"code": sample.TAX_KC + "-ZGY", "title": "税务专管员"},
                               "require_confirm": False, "urgent": False}
    # 李四 held the post until 2024: a former holder gets nothing
    assert (await li.request("notice.list"))["notices"] == []
    await asyncio.sleep(0.2)
    assert not of(li.events, "notice.new")

    river = await sent(zhang, RIVER_CHIEFS, client_msg_id="b")
    assert river["recipients"] == 2
    zhao = await connect(ZHAO)
    inbox = await zhao.request("notice.list")
    assert [n["id"] for n in inbox["notices"]] == [river["notice"]["id"]] and inbox["unread"] == 1


async def test_inbox_open_and_confirm_with_feedback(connect):
    zhang, zhao, li = await connect(ZHANG), await connect(ZHAO), await connect(LI)
    first = await sent(zhang, RIVER_CHIEFS, client_msg_id="1", title="第一份")
    second = await sent(zhang, RIVER_CHIEFS, client_msg_id="2", title="第二份", require_confirm=True)
    inbox = await zhao.request("notice.list")
    assert [n["title"] for n in inbox["notices"]] == ["第二份", "第一份"]   # newest first
    assert inbox["unread"] == 2 and all(n["read_at"] is None for n in inbox["notices"])
    assert inbox["notices"][0]["excerpt"] == "请做好防汛准备。"

    opened = await zhao.request("notice.open", notice=first["notice"]["id"])
    assert opened["notice"]["body"] == "请做好防汛准备。" and opened["notice"]["read_at"]
    read = await zhang.wait_events(lambda e: e.get("ev") == "notice.read")
    assert read[0]["data"]["notice"]["id"] == first["notice"]["id"]
    assert read[0]["data"]["person"] == {"id": zhao.person_id, "name": "赵六"}
    again = await zhao.request("notice.open", notice=first["notice"]["id"])
    assert again["notice"]["read_at"] == opened["notice"]["read_at"]   # read once, not re-stamped
    refused = await zhao.call("notice.confirm", notice=first["notice"]["id"])
    assert refused["error"]["code"] == "confirm_not_required"

    confirmed = await zhao.request("notice.confirm", notice=second["notice"]["id"], feedback="已安排人员值守")
    state = confirmed["notice"]
    assert state["confirmed_at"] and state["read_at"] and state["feedback"] == "已安排人员值守"
    event = await zhang.wait_events(lambda e: e.get("ev") == "notice.confirmed")
    assert event[0]["data"]["feedback"] == "已安排人员值守"
    twice = await zhao.request("notice.confirm", notice=second["notice"]["id"], feedback="改一下")
    assert twice["already_confirmed"] and twice["notice"]["feedback"] == "已安排人员值守"
    await asyncio.sleep(0.2)
    assert len(of(zhang.events, "notice.confirmed")) == 1 and len(of(zhang.events, "notice.read")) == 1

    inbox = await zhao.request("notice.list")
    assert inbox["unread"] == 0 and inbox["notices"][0]["confirmed_at"]
    assert (await li.request("notice.list"))["unread"] == 2
    older = await zhao.request("notice.list", before=second["notice"]["id"], limit=5)
    assert [n["id"] for n in older["notices"]] == [first["notice"]["id"]]


async def test_status_rolls_up_by_unit_and_lists_the_pending(connect):
    zhang = await connect(ZHANG)
    ack = await sent(zhang, WIDE, require_confirm=True)
    assert ack["recipients"] == 5
    zhao, qian = await connect(ZHAO), await connect(QIAN)
    await zhao.request("notice.confirm", notice=ack["notice"]["id"])
    await qian.request("notice.open", notice=ack["notice"]["id"])

    status = await zhang.request("notice.status", notice=ack["notice"]["id"])
    assert status["totals"] == {"recipients": 5, "read": 2, "confirmed": 1, "pending": 4}
    rollup = {r["path"]: r for r in status["rollup"]}
    assert list(rollup) == ["3308", "330802", "330802001", "330802001001"]
    assert [(r["name"], r["level"], r["parent"]) for r in status["rollup"]] == [
        ("衢州市", "city", None), ("柯城区", "county", "3308"), ("信安街道", "township", "330802"),
        ("府山村", "village", "330802001")]
    counts = {p: (r["recipients"], r["read"], r["confirmed"], r["pending"]) for p, r in rollup.items()}
    assert counts == {"3308": (5, 2, 1, 4), "330802": (5, 2, 1, 4), "330802001": (3, 2, 1, 2),
                      "330802001001": (2, 2, 1, 1)}
    pending = status["pending"]
    assert pending["total"] == 4
    names = [i["person"]["name"] for i in pending["items"]]
    assert sorted(names[:2]) == ["孙八", "王五"] and names[2:] == ["李四", "钱七"]   # by unit path
    by_name = {i["person"]["name"]: i for i in pending["items"]}
    assert by_name["李四"]["post"]["title"] == "党工委书记" and by_name["李四"]["unit"]["name"] == "信安街道"
    assert by_name["李四"]["person"]["mobile"] == LI
    assert by_name["孙八"]["enterprise"]["credit_code"] == sample.ENTERPRISE_A
    assert by_name["钱七"]["read_at"] and by_name["王五"]["read_at"] is None

    page = await zhang.request("notice.status", notice=ack["notice"]["id"], offset=2, limit=2)
    assert [i["person"]["name"] for i in page["pending"]["items"]] == ["李四", "钱七"]
    town = await zhang.request("notice.status", notice=ack["notice"]["id"], under=sample.TOWN)
    assert town["pending"]["total"] == 2 and [r["path"] for r in town["rollup"]] == ["330802001",
                                                                                     "330802001001"]
    shallow = await zhang.request("notice.status", notice=ack["notice"]["id"], depth=2)
    assert [r["path"] for r in shallow["rollup"]] == ["3308", "330802"]
    # depth counts levels below `under` (it was an absolute level: 1 under a county gave nothing)
    county = await zhang.request("notice.status", notice=ack["notice"]["id"], under="330802", depth=1)
    assert [r["path"] for r in county["rollup"]] == ["330802", "330802001"]
    deep = await zhang.request("notice.status", notice=ack["notice"]["id"], under=sample.TOWN, depth=4)
    assert [r["path"] for r in deep["rollup"]] == ["330802001", "330802001001"]

    # the same over HTTP, for the sender and for an admin; a recipient may not look
    code, _, body = await http_get(connect, zhang, f"/api/v1/notices/{ack['notice']['id']}/status?limit=2")
    assert code == 200
    over_http = json.loads(body)
    assert over_http["totals"] == status["totals"] and over_http["rollup"] == status["rollup"]
    assert len(over_http["pending"]["items"]) == 2
    admin = await connect(ADMIN)
    assert (await http_get(connect, admin, f"/api/v1/notices/{ack['notice']['id']}/status"))[0] == 200
    code, _, body = await http_get(connect, qian, f"/api/v1/notices/{ack['notice']['id']}/status")
    assert code == 403 and json.loads(body)["error"]["code"] == "forbidden"
    assert (await http_get(connect, zhang, "/api/v1/notices/999999/status"))[0] == 404


async def test_pending_csv_export(connect):
    zhang = await connect(ZHANG)
    ack = await sent(zhang, WIDE, require_confirm=True)
    zhao = await connect(ZHAO)
    await zhao.request("notice.confirm", notice=ack["notice"]["id"])
    code, headers, body = await http_get(connect, zhang, f"/api/v1/notices/{ack['notice']['id']}/pending.csv")
    assert code == 200 and headers["Content-Type"].startswith("text/csv")
    assert body.startswith(b"\xef\xbb\xbf")   # the BOM Excel needs to read UTF-8
    rows = list(csv.reader(io.StringIO(body.decode("utf-8-sig"))))
    assert rows[0] == ["姓名", "手机号", "岗位", "单位", "企业", "统一社会信用代码", "已读时间"]
    by_name = {r[0]: r for r in rows[1:]}
    assert set(by_name) == {"李四", "钱七", "王五", "孙八"}
    assert by_name["钱七"][1:4] == [QIAN, "网格员", "府山村"]
    assert by_name["孙八"][4:6] == ["衢州元立金属制品有限公司", sample.ENTERPRISE_A]
    qian = await connect(QIAN)
    assert (await http_get(connect, qian, f"/api/v1/notices/{ack['notice']['id']}/pending.csv"))[0] == 403


async def test_retry_returns_the_original_ack(connect, im_server):
    zhang = await connect(ZHANG)
    first = await sent(zhang, RIVER_CHIEFS, client_msg_id="same")
    retry = await sent(zhang, RIVER_CHIEFS, client_msg_id="same", title="不同的标题")
    assert retry["duplicate"] and {k: retry[k] for k in first} == first
    async with im_server.app[ENGINE].connect() as conn:
        assert await conn.scalar(select(func.count()).select_from(m.Notice)) == 1
        assert await conn.scalar(select(func.count()).select_from(m.NoticeRecipient)) == 2


async def test_empty_selection_is_an_error_and_stores_nothing(connect, im_server):
    zhang = await connect(ZHANG)
    vacant = await send(zhang, sample.VILLAGE_B + "-SJ")   # a post nobody holds
    assert vacant["error"]["code"] == "no_recipients"
    unknown = await send(zhang, "duty:河长 under:不存在的县")
    assert unknown["error"]["code"] == "selector_unknown_name"
    async with im_server.app[ENGINE].connect() as conn:
        assert await conn.scalar(select(func.count()).select_from(m.Notice)) == 0


async def test_only_recipients_open_and_only_holders_send(connect):
    zhang, qian = await connect(ZHANG), await connect(QIAN)
    ack = await sent(zhang, sample.VILLAGE_A + "-SJ", require_confirm=True)   # 赵六 only
    for op in ("notice.open", "notice.confirm"):
        denied = await qian.call(op, notice=ack["notice"]["id"])
        assert denied["error"]["code"] == "forbidden"
    assert (await qian.call("notice.status", notice=ack["notice"]["id"]))["error"]["code"] == "forbidden"
    assert (await qian.call("notice.open", notice=999999))["error"]["code"] == "not_found"
    li = await connect(LI)   # a former holder cannot send as the post
    refused = await li.call("notice.send", client_msg_id="x", as_post=JZ, selector=RIVER_CHIEFS,
                            title="t", body="b")
    assert refused["error"]["code"] == "forbidden"


async def test_enterprise_user_cannot_send(connect):
    sun = await connect(SUN)
    refused = await sun.call("notice.send", client_msg_id="x", as_post=JZ, selector=RIVER_CHIEFS,
                             title="t", body="b")
    assert refused["error"]["code"] == "forbidden"


@pytest.mark.slow
async def test_ten_thousand_recipients(connect, im_server):
    """One post held by 10,000 people: one job, batched inserts."""
    post = sample.VILLAGE_B + "-SJ"
    async with im_server.app[ENGINE].begin() as conn:
        post_id = await conn.scalar(select(om.Post.id).where(om.Post.code == post))
        first = await conn.scalar(select(func.max(om.Person.id))) + 1
        await conn.execute(insert(om.Person), [
            {"id": first + i, "name": f"社区干部{i}", "mobile": f"151{i:08d}", "name_pinyin": "x",
             "name_initials": "x", "role": "official"} for i in range(10_000)])
        await conn.execute(insert(om.Holding), [
            {"post_id": post_id, "person_id": first + i, "kind": "deputy",
             "start_date": dt.date(2024, 1, 1)} for i in range(10_000)])
    zhang = await connect(ZHANG)
    started = time.perf_counter()
    ack = await sent(zhang, post, require_confirm=True)
    elapsed = time.perf_counter() - started
    print(f"\nnotice to 10,000 recipients committed in {elapsed * 1000:.0f} ms")
    assert ack["recipients"] == 10_000
    status = await zhang.request("notice.status", notice=ack["notice"]["id"], limit=1)
    assert status["totals"]["pending"] == 10_000
    assert [(r["path"], r["recipients"]) for r in status["rollup"]][-1] == ("330802001002", 10_000)


async def test_out_of_range_ids_and_bad_unit_codes_are_clear_errors(connect):
    """Found by probing: these were 500s on PostgreSQL (int4 overflow) and for 000000000000."""
    zhang = await connect("13800000001")
    headers = {"Authorization": f"Bearer {zhang.token}"}
    for path in ("/api/v1/notices/99999999999/status", "/api/v1/notices/99999999999/pending.csv",
                 "/api/v1/notifier/outbox?notice=99999999999"):
        async with zhang.http.get(zhang.base_url + path, headers=headers) as response:
            assert response.status == 400, path
            assert (await response.json())["error"]["code"] == "invalid_input"
    frame = await zhang.call("notice.status", notice=2**40)
    assert frame["error"]["code"] == "invalid_args"
    frame = await zhang.call("conv.history", conversation=2**31)
    assert frame["error"]["code"] == "invalid_args"
    frame = await zhang.call("notice.status", notice=1, under="000000000000")
    assert frame["error"]["code"] in ("invalid_args", "not_found")
