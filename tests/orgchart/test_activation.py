"""Activation codes end to end on SQLite and PostgreSQL: issued by selector or mobiles (admin
API, command line), delivered as SMS through the notifier outbox, redeemed once for a password;
expiry, reuse, wrong codes, the attempt limit, issuance limits, audit, digests only."""
from __future__ import annotations

import asyncio
import datetime as dt
import json
import re

import pytest
from sqlalchemy import select, update

from clients.cli.main import main as cli
from im_server.models import OutboxEntry
from orgchart.http.keys import SESSIONS
from orgchart.infra.audit import AuditEntry
from orgchart.models import ActivationCode, Person
from tests.orgchart.api_fixtures import ADMIN, OFFICIAL, UNACTIVATED, assert_error, login, start_api

NEW_PASSWORD = "qian-qi-2024"


@pytest.fixture
async def api(aiohttp_client, db_url):
    return await start_api(aiohttp_client, db_url)


async def issue(api, body, status=201, **kwargs):
    headers = await login(api, ADMIN)
    response = await api.post("/api/v1/activation-codes", headers=headers, json=body, **kwargs)
    answer = await response.json()
    assert response.status == status, answer
    return answer


async def sms_codes(api, mobile: str) -> list[str]:
    async with api.app[SESSIONS]() as session:
        texts = (await session.execute(select(OutboxEntry.text).where(
            OutboxEntry.mobile == mobile, OutboxEntry.channel == "sms").order_by(OutboxEntry.id))).scalars()
        return [re.search(r"激活码为 (\d{8})", text).group(1) for text in texts]


async def activate(api, code, mobile=UNACTIVATED, password=NEW_PASSWORD):
    response = await api.post("/api/v1/activate", json={"mobile": mobile, "code": code, "password": password})
    return response.status, await response.json()


async def age_codes(api, *, minutes: int) -> None:
    """Pretend every code was issued ``minutes`` earlier (in Python: SQLite has no interval
    arithmetic on its datetime strings)."""
    async with api.app[SESSIONS]() as session, session.begin():
        rows = (await session.execute(select(ActivationCode.id, ActivationCode.created_at))).all()
        for code_id, created_at in rows:
            await session.execute(update(ActivationCode).where(ActivationCode.id == code_id)
                                  .values(created_at=created_at - dt.timedelta(minutes=minutes)))


async def audit(api, action):
    async with api.app[SESSIONS]() as session:
        rows = (await session.execute(select(AuditEntry).where(AuditEntry.action == action)
                                      .order_by(AuditEntry.id))).scalars().all()
    return [(row.result, json.loads(row.details)) for row in rows]


async def test_issue_by_mobile_then_set_a_password_and_log_in(api):
    answer = await issue(api, {"mobiles": [UNACTIVATED]})
    assert answer["issued"] == 1 and answer["matched"] == 1 and answer["channel"] == "sms"
    [code] = await sms_codes(api, UNACTIVATED)
    async with api.app[SESSIONS]() as session:
        stored = (await session.execute(select(ActivationCode.code_hash))).scalars().all()
        outbox = (await session.execute(select(OutboxEntry.text))).scalars().one()
    assert len(stored) == 1 and code not in stored[0]  # a digest, not the code
    assert "钱七" in outbox and "北京时间" in outbox

    assert (await api.post("/api/v1/login", json={"mobile": UNACTIVATED, "password": NEW_PASSWORD})).status == 401
    status, body = await activate(api, code)
    assert status == 200, body
    assert body == {"person": {"id": body["person"]["id"], "name": "钱七", "role": "official"}, "activated": True}
    await login(api, UNACTIVATED, NEW_PASSWORD)
    # single use
    status, body = await activate(api, code, password="another-password")
    assert status == 400
    assert_error(body, "code_used")
    await login(api, UNACTIVATED, NEW_PASSWORD)  # the password did not change
    results = await audit(api, "account.activate")
    assert [r for r, _ in results] == ["ok", "denied"]
    assert results[0][1]["via"] == "activation_code" and results[1][1]["reason"] == "used"
    [(result, details)] = await audit(api, "activation.issue")
    assert result == "ok" and details["issued"] == 1


async def test_a_wrong_code_an_unknown_mobile_and_no_code_answer_alike(api):
    await issue(api, {"mobiles": [UNACTIVATED]})
    [code] = await sms_codes(api, UNACTIVATED)
    wrong = "0" * 8 if code != "0" * 8 else "1" * 8
    answers = [await activate(api, wrong), await activate(api, code, mobile="13700000000"),
               await activate(api, code, mobile=OFFICIAL), await activate(api, code, mobile="not-a-mobile")]
    for status, body in answers:
        assert status == 400
        assert_error(body, "invalid_code")
    assert len({body["error"]["message"] for _, body in answers}) == 1
    status, body = await activate(api, code)  # one wrong guess does not kill the code
    assert status == 200, body
    reasons = [d["reason"] for r, d in await audit(api, "account.activate") if r == "denied"]
    assert reasons == ["wrong_code", "unknown_mobile", "no_code", "unknown_mobile"]


async def test_bad_redemption_input_costs_no_guess(api):
    await issue(api, {"mobiles": [UNACTIVATED]})
    [code] = await sms_codes(api, UNACTIVATED)
    status, body = await activate(api, code, password="short")
    assert status == 400 and body["error"]["details"] == {"field": "password"}
    for missing in ("mobile", "code", "password"):
        payload = {"mobile": UNACTIVATED, "code": code, "password": NEW_PASSWORD}
        del payload[missing]
        response = await api.post("/api/v1/activate", json=payload)
        body = await response.json()
        assert response.status == 400 and body["error"]["details"] == {"field": missing}
    async with api.app[SESSIONS]() as session:
        assert await session.scalar(select(ActivationCode.failed_attempts)) == 0


async def test_an_expired_code_is_refused(api):
    await issue(api, {"mobiles": [UNACTIVATED], "valid_hours": 1})
    [code] = await sms_codes(api, UNACTIVATED)
    async with api.app[SESSIONS]() as session, session.begin():
        await session.execute(update(ActivationCode).values(
            expires_at=dt.datetime.now(dt.UTC) - dt.timedelta(seconds=1)))
    status, body = await activate(api, code)
    assert status == 400
    assert_error(body, "code_expired")
    assert (await api.post("/api/v1/login", json={"mobile": UNACTIVATED, "password": NEW_PASSWORD})).status == 401


async def test_five_wrong_codes_kill_the_code(api):
    await issue(api, {"mobiles": [UNACTIVATED]})
    [code] = await sms_codes(api, UNACTIVATED)
    wrong = [f"{n:08d}" for n in range(10) if f"{n:08d}" != code][:5]
    statuses = [(await activate(api, guess))[0] for guess in wrong]
    assert statuses == [400, 400, 400, 400, 429]
    status, body = await activate(api, code)  # even the right code, now
    assert status == 429
    assert_error(body, "too_many_attempts")
    # a new code works again, and replaces the dead one
    await age_codes(api, minutes=5)  # (past the one-a-minute limit)
    await issue(api, {"mobiles": [UNACTIVATED]})
    first, second = await sms_codes(api, UNACTIVATED)
    assert first == code
    status, _ = await activate(api, second)
    assert status == 200


async def test_a_newer_code_replaces_an_older_one(api):
    await issue(api, {"mobiles": [UNACTIVATED]})
    await age_codes(api, minutes=5)
    await issue(api, {"mobiles": [UNACTIVATED]})
    old, new = await sms_codes(api, UNACTIVATED)
    if old != new:  # (one chance in 10^8 that they are equal)
        status, body = await activate(api, old)
        assert status == 400
        assert_error(body, "invalid_code")
    status, _ = await activate(api, new)
    assert status == 200


async def test_issuing_is_rate_limited_per_person(api):
    first = await issue(api, {"mobiles": [UNACTIVATED]})
    again = await issue(api, {"mobiles": [UNACTIVATED]})  # within a minute
    assert first["issued"] == 1
    assert again["issued"] == 0 and again["skipped"]["rate_limited"] == 1
    for _ in range(4):  # four more, each more than a minute after the previous
        await age_codes(api, minutes=2)
        assert (await issue(api, {"mobiles": [UNACTIVATED]}))["issued"] == 1
    await age_codes(api, minutes=2)
    sixth = await issue(api, {"mobiles": [UNACTIVATED]})  # five in 24 hours already
    assert sixth["issued"] == 0 and sixth["skipped"]["rate_limited"] == 1
    assert len(await sms_codes(api, UNACTIVATED)) == 5


async def test_issue_by_selector_skips_people_who_have_a_password(api):
    answer = await issue(api, {"selector": "duty:网格员,河长 under:衢州市"})
    assert answer["matched"] >= 2 and answer["issued"] == 1
    assert answer["skipped"]["already_active"] == answer["matched"] - 1
    assert len(await sms_codes(api, UNACTIVATED)) == 1
    reset = await issue(api, {"selector": "duty:河长 under:衢州市", "include_active": True})
    assert reset["issued"] == reset["matched"] >= 1


async def test_issue_refusals(api):
    headers = await login(api, OFFICIAL)
    response = await api.post("/api/v1/activation-codes", headers=headers, json={"mobiles": [UNACTIVATED]})
    assert response.status == 403
    assert_error(await response.json(), "forbidden")
    response = await api.post("/api/v1/activation-codes", json={"mobiles": [UNACTIVATED]})
    assert response.status == 401
    for body, field in (({}, "selector"), ({"selector": "x", "mobiles": [UNACTIVATED]}, "selector"),
                        ({"mobiles": []}, "mobiles"), ({"mobiles": [UNACTIVATED], "valid_hours": 0}, "valid_hours"),
                        ({"mobiles": [UNACTIVATED], "valid_hours": 10**6}, "valid_hours"),
                        ({"mobiles": [UNACTIVATED], "colour": 1}, "colour")):
        answer = await issue(api, body, status=400)
        assert_error(answer, "invalid_input")
        assert answer["error"]["details"]["field"] == field, body
    answer = await issue(api, {"mobiles": [UNACTIVATED, "12345", "13700000000"]}, status=400)
    details = answer["error"]["details"]
    assert details["invalid"] == [{"row": 2, "value": "12345"}] and details["unknown"] == ["13700000000"]
    assert "未发放" in answer["error"]["message"]
    answer = await issue(api, {"selector": "duty:"}, status=400)
    assert answer["error"]["code"] == "selector_syntax"
    assert await sms_codes(api, UNACTIVATED) == []  # nothing was sent by any refusal


async def test_a_csv_of_mobiles(api):
    headers = await login(api, ADMIN) | {"Content-Type": "text/csv"}
    response = await api.post("/api/v1/activation-codes?valid_hours=24", headers=headers,
                              data="姓名,手机号\n钱七,13800000005\n\n".encode())
    answer = await response.json()
    assert response.status == 201, answer
    assert answer["issued"] == 1
    expires = dt.datetime.fromisoformat(answer["expires_at"])
    assert dt.timedelta(hours=23) < expires - dt.datetime.now(dt.UTC) <= dt.timedelta(hours=24)


async def test_the_command_line_issues_and_shows_the_sms(api, db_url, tmp_path, capsys):
    mobiles = tmp_path / "mobiles.csv"
    mobiles.write_text("mobile\n13800000005\n", encoding="utf-8")
    assert await asyncio.to_thread(cli, ["--database-url", db_url, "org", "activate", "--mobiles", str(mobiles)]) == 0
    assert "已发放激活码 1 个" in capsys.readouterr().out
    assert await asyncio.to_thread(cli, ["--database-url", db_url, "org", "outbox", "--mobile", UNACTIVATED]) == 0
    shown = capsys.readouterr().out
    code = re.search(r"激活码为 (\d{8})", shown).group(1)
    assert "[sms] 13800000005 钱七" in shown
    status, _ = await activate(api, code)
    assert status == 200
    async with api.app[SESSIONS]() as session:
        assert await session.scalar(select(Person.password_hash).where(Person.mobile == UNACTIVATED))
    assert [d["via"] for _, d in await audit(api, "activation.issue")] == ["cli"]


async def test_the_command_line_refuses_a_bad_list_and_sends_nothing(api, db_url, tmp_path, capsys):
    mobiles = tmp_path / "mobiles.csv"
    mobiles.write_text("13800000005\n1380000\n13700000000\n", encoding="utf-8")
    code = await asyncio.to_thread(cli, ["--database-url", db_url, "org", "activate", "--mobiles", str(mobiles)])
    err = capsys.readouterr().err
    assert code == 2
    assert "第 2 行: 手机号格式不正确: 1380000" in err and "不在通讯录中: 13700000000" in err
    assert "Traceback" not in err
    assert await sms_codes(api, UNACTIVATED) == []
    code = await asyncio.to_thread(cli, ["--database-url", db_url, "org", "activate", "--mobiles",
                                         str(tmp_path / "missing.csv")])
    assert code == 1 and "无法读取" in capsys.readouterr().err
