"""Resolving selectors against a small directory, on SQLite and on PostgreSQL.

The directory (``RECORDS``) has two cities, a few counties, townships and villages, tax bureaux
with a nested office, posts with duty tags, people with current, ended, acting and future
holdings, enterprises with valid credit codes, and two virtual organisations with nested groups.
"""
from __future__ import annotations

import datetime as dt

import pytest

from orgchart.codes import make_credit_code
from orgchart.io.importer import import_records
from orgchart.selectors import (
    AmbiguousName,
    Resolution,
    SelectorSyntaxError,
    UnknownName,
    parse,
    resolve,
    resolve_recipients,
)

E1, E2, E3 = (make_credit_code("330802", n) for n in (1, 2, 3))
E4 = make_credit_code("330102", 4)

VILLAGES = {  # code: (name, township)
    "330802001001": ("上街村", "330802001000"),
    "330802001002": ("下街村", "330802001000"),
    "330802002001": ("荷花村", "330802002000"),
    "330803001001": ("樟潭村", "330803001000"),
    "330102001001": ("湖滨村", "330102001000"),
}


def _records() -> list[dict]:
    r: list[dict] = []
    add = r.append
    for code, name in [
        ("330000000000", "浙江省"), ("330800000000", "衢州市"), ("330100000000", "杭州市"),
        ("330802000000", "柯城区"), ("330803000000", "衢江区"), ("330102000000", "上城区"),
        ("330802001000", "府山街道"), ("330802002000", "荷花街道"), ("330803001000", "樟潭街道"),
        # Two townships share a name: "城关镇" alone is ambiguous.
        ("330803002000", "城关镇"), ("330102001000", "城关镇"),
    ]:
        add({"kind": "unit", "code": code, "name": name})
    for code, (name, _) in VILLAGES.items():
        add({"kind": "unit", "code": code, "name": name})

    for unit, name, short, kind in [
        ("330800000000", "衢州市税务局", "SWJ", "税务局"),
        ("330802000000", "柯城区税务局", "SWJ", "税务局"),
        ("330803000000", "衢江区税务局", "SWJ", "税务局"),
        ("330102000000", "上城区税务局", "SWJ", "税务局"),
        ("330802000000", "柯城区经信局", "JXJ", "经信局"),
    ]:
        add({"kind": "department", "code": f"{unit}-{short}", "name": name, "type": kind,
             "unit": unit})
    add({"kind": "department", "code": "330802000000-SWJ-S1", "name": "府山税务所",
         "type": "税务局", "unit": "330802000000", "parent": "330802000000-SWJ"})

    def post(code, title, unit, dept=None, duties=(), serves=False):
        add({"kind": "post", "code": code, "title": title, "unit": unit, "department": dept,
             "duties": list(duties), "serves_enterprises": serves})

    post("330800000000-SWJ-01", "局长", "330800000000", "330800000000-SWJ")
    post("330802000000-SWJ-01", "局长", "330802000000", "330802000000-SWJ")
    post("330802000000-SWJ-02", "税务专管员", "330802000000", "330802000000-SWJ",
         ["税务专管员"], serves=True)
    post("330802000000-SWJ-03", "纳税服务", "330802000000", "330802000000-SWJ",
         ["税务专管员", "纳税咨询"], serves=True)
    post("330802000000-SWJ-S1-01", "所长", "330802000000", "330802000000-SWJ-S1")
    post("330803000000-SWJ-01", "局长", "330803000000", "330803000000-SWJ")
    post("330102000000-SWJ-01", "局长", "330102000000", "330102000000-SWJ", serves=True)
    post("330802000000-JXJ-01", "局长", "330802000000", "330802000000-JXJ")
    post("330802000000-QZ", "区长", "330802000000", duties=["河长"])
    post("330802001000-01", "书记", "330802001000", duties=["河长"])
    post("330803002000-01", "镇长", "330803002000")
    post("330102001000-01", "镇长", "330102001000")
    for code in VILLAGES:
        post(f"{code}-01", "村党支部书记", code, duties=["村党支部书记", "河长"])
        post(f"{code}-02", "网格员", code, duties=["网格员"])

    people = {
        "13800000001": ("张局长", "official"), "13800000002": ("李前任", "official"),
        "13800000003": ("王书记", "official"), "13800000004": ("赵书记", "official"),
        "13800000005": ("钱书记", "official"), "13800000006": ("孙代局长", "official"),
        "13800000007": ("周专管员", "official"), "13800000008": ("吴未来", "official"),
        "13800000009": ("郑网格员", "official"), "13800000010": ("冯区长", "official"),
        "13900000001": ("甲财务", "enterprise"), "13900000002": ("甲法人", "enterprise"),
        "13900000003": ("乙法人", "enterprise"), "13900000004": ("丙法人", "enterprise"),
        "13900000005": ("丁法人", "enterprise"),
    }
    for mobile, (name, role) in people.items():
        add({"kind": "person", "mobile": mobile, "name": name, "role": role})

    def hold(post_code, mobile, start, end=None, kind="primary"):
        # In JSON Lines "kind" names the record, so the importer reads the holding kind from "type".
        add({"kind": "holding", "post": post_code, "mobile": mobile, "start": start,
             "end": end, "type": kind})

    hold("330802000000-SWJ-01", "13800000002", "2015-01-01", "2020-01-01")  # ended
    hold("330802000000-SWJ-01", "13800000001", "2020-01-01")
    # 王书记 holds two villages' secretary posts: counted once as a holder.
    hold("330802001001-01", "13800000003", "2019-01-01")
    hold("330802001002-01", "13800000003", "2019-01-01")
    # 荷花村 has no secretary now: 赵书记 left at the end of 2023.
    hold("330802002001-01", "13800000004", "2018-01-01", "2024-01-01")
    hold("330803001001-01", "13800000005", "2021-06-01")
    hold("330102001001-01", "13800000005", "2022-03-01", kind="acting")
    hold("330803000000-SWJ-01", "13800000006", "2023-01-01", kind="acting")
    hold("330802000000-SWJ-02", "13800000007", "2020-01-01")
    hold("330802000000-SWJ-03", "13800000007", "2020-01-01", kind="deputy")
    hold("330800000000-SWJ-01", "13800000008", "2099-01-01")  # not started yet
    hold("330802001001-02", "13800000009", "2020-01-01")
    hold("330802000000-QZ", "13800000010", "2020-01-01")

    for code, name, region in [(E1, "衢州甲材料有限公司", "330802001000"),
                               (E2, "衢州乙化工有限公司", "330802000000"),
                               (E3, "衢州丙食品有限公司", "330803000000"),
                               (E4, "杭州丁科技有限公司", "330102000000")]:
        add({"kind": "enterprise", "credit_code": code, "name": name, "industry": "制造业",
             "scale": "small", "registered_capital": 1000000, "region": region, "tags": []})
    for code, mobile, role in [(E1, "13900000001", "finance"),
                               (E1, "13900000002", "legal_representative"),
                               (E2, "13900000003", "legal_representative"),
                               (E3, "13900000004", "legal_representative"),
                               (E4, "13900000005", "legal_representative")]:
        add({"kind": "enterprise_member", "credit_code": code, "mobile": mobile, "role": role})

    add({"kind": "virtual_org", "code": "TAX-KC", "name": "柯城区纳税人",
         "owner": "330802000000-SWJ"})
    add({"kind": "virtual_org", "code": "TAX-SC", "name": "上城区纳税人",
         "owner": "330102000000-SWJ"})
    for code, name, vo, parent in [
        ("KC-ALL", "全部纳税人", "TAX-KC", None),
        ("KC-KEY", "重点税源", "TAX-KC", "KC-ALL"),
        ("KC-KEY-A", "重点税源A类", "TAX-KC", "KC-KEY"),
        ("KC-SMALL", "小微企业", "TAX-KC", None),
        ("SC-KEY", "重点税源", "TAX-SC", None),  # same name as KC-KEY
    ]:
        add({"kind": "virtual_group", "code": code, "name": name, "virtual_org": vo,
             "parent": parent})
    for vo, code, group, officer in [
        ("TAX-KC", E1, "KC-KEY-A", "330802000000-SWJ-02"),
        ("TAX-KC", E2, "KC-KEY", "330802000000-SWJ-03"),
        ("TAX-KC", E3, "KC-SMALL", "330802000000-SWJ-02"),
        ("TAX-SC", E4, "SC-KEY", None),
        ("TAX-SC", E1, "SC-KEY", "330102000000-SWJ-01"),
    ]:
        record = {"kind": "virtual_member", "virtual_org": vo, "credit_code": code,
                  "group": group}
        if officer:
            record["officer"] = officer
        add(record)
    return r


RECORDS = _records()


@pytest.fixture
async def session(sessions):
    report = await import_records(sessions, RECORDS)
    assert report.ok, report.errors
    async with sessions() as session:
        yield session


def codes(result: Resolution) -> list[str]:
    return [item["code"] for item in result.items if item["type"] == "post"]


def credit_codes(result: Resolution) -> list[str]:
    return [item["credit_code"] for item in result.items if item["type"] == "enterprise"]


async def post_codes(session, text: str, **kwargs) -> list[str]:
    return codes(await resolve(session, text, limit=1000, **kwargs))


# --- posts --------------------------------------------------------------------------------


async def test_village_party_secretaries_under_quzhou(session) -> None:
    result = await resolve(session, "duty:村党支部书记 under:衢州市")
    # Ordered by unit path then code; 杭州's village is outside the subtree.
    assert codes(result) == ["330802001001-01", "330802001002-01", "330802002001-01",
                             "330803001001-01"]
    assert (result.post_count, result.enterprise_count) == (4, 0)
    # 王书记 (two posts) and 钱书记; 荷花村 is vacant since 赵书记 left.
    assert result.holder_count == 2
    assert result.empty is False
    assert result.message == "匹配 4 个岗位 (当前在岗 2 人)"
    first = result.items[0]
    assert first == {
        "type": "post", "id": first["id"], "code": "330802001001-01", "title": "村党支部书记",
        "unit": {"code": "330802001001", "name": "上街村"}, "department": None,
        "duties": ["村党支部书记", "河长"], "serves_enterprises": False,
        "holders": [{"name": "王书记", "mobile": "13800000003", "kind": "primary"}],
    }
    assert result.items[2]["holders"] == []


async def test_unit_by_code_and_by_name_agree(session) -> None:
    assert await post_codes(session, "duty:村党支部书记 under:330800000000") == \
        await post_codes(session, "duty:村党支部书记 under:衢州市")
    assert len(await post_codes(session, "duty:村党支部书记 under:浙江省")) == 5


async def test_level_and_depth(session) -> None:
    assert await post_codes(session, "duty:河长 under:柯城区 level:county") == ["330802000000-QZ"]
    assert await post_codes(session, "duty:河长 under:柯城区 depth:1") == \
        ["330802000000-QZ", "330802001000-01"]
    assert await post_codes(session, "duty:河长 under:柯城区 depth:0") == ["330802000000-QZ"]
    assert len(await post_codes(session, "duty:河长 under:柯城区 depth:2")) == 5
    assert await post_codes(session, "duty:河长 level:乡镇,县") == \
        ["330802000000-QZ", "330802001000-01"]


async def test_county_tax_bureau_heads_in_the_province(session) -> None:
    result = await resolve(session, "dept:税务局 title:局长 level:county under:浙江省")
    assert codes(result) == ["330102000000-SWJ-01", "330802000000-SWJ-01", "330803000000-SWJ-01"]
    heads = {item["code"]: item for item in result.items}
    kc = heads["330802000000-SWJ-01"]
    assert kc["department"] == {"code": "330802000000-SWJ", "name": "柯城区税务局", "type": "税务局"}
    # The ended holding of 李前任 is history, not a current holder.
    assert kc["holders"] == [{"name": "张局长", "mobile": "13800000001", "kind": "primary"}]
    assert heads["330803000000-SWJ-01"]["holders"][0]["kind"] == "acting"
    assert result.holder_count == 2


async def test_one_post_by_code_and_by_path(session) -> None:
    result = await resolve(session, "330802000000-SWJ-01")
    assert codes(result) == ["330802000000-SWJ-01"] and result.post_count == 1
    assert await post_codes(session, "柯城区/柯城区税务局/局长") == ["330802000000-SWJ-01"]
    # The department segment may also be its type or code; two segments mean unit/title.
    assert await post_codes(session, "柯城区/税务局/局长") == ["330802000000-SWJ-01"]
    assert await post_codes(session, "post:330802000000/330802000000-JXJ/局长") == \
        ["330802000000-JXJ-01"]
    assert await post_codes(session, "柯城区/区长") == ["330802000000-QZ"]
    assert await post_codes(session, "post:330802000000-QZ,330803002000-01") == \
        ["330802000000-QZ", "330803002000-01"]


async def test_nested_department_keeps_its_own_type(session) -> None:
    assert await post_codes(session, "dept:税务局 title:所长") == ["330802000000-SWJ-S1-01"]


async def test_union_and_exclusion(session) -> None:
    both = await post_codes(session, "duty:网格员 under:柯城区 + duty:村党支部书记 under:衢江区")
    assert both == ["330802001001-02", "330802001002-02", "330802002001-02", "330803001001-01"]
    assert await post_codes(session, "duty:河长 under:衢州市 - duty:村党支部书记") == \
        ["330802000000-QZ", "330802001000-01"]
    grouped = await post_codes(
        session, "duty:村党支部书记 - (under:府山街道 + under:樟潭街道)")
    assert grouped == ["330102001001-01", "330802002001-01"]
    # Left to right: (a + b) - c, not a + (b - c).
    assert await post_codes(session, "duty:网格员 + duty:村党支部书记 - level:village") == []
    # A union counts each post once.
    twice = await resolve(session, "duty:河长 under:柯城区 + duty:村党支部书记 under:柯城区")
    assert twice.post_count == 5 and len(twice.items) == 5


async def test_long_mixed_chains_keep_left_to_right_meaning(session) -> None:
    villages = " + ".join(f"{code}-01" for code in VILLAGES)
    assert len(await post_codes(session, villages)) == 5
    text = f"{villages} - under:柯城区 + 330802001001-01 - under:杭州市 + 330102000000-SWJ-01"
    assert await post_codes(session, text) == [
        "330102000000-SWJ-01", "330802001001-01", "330803001001-01"]
    nested = "duty:村党支部书记 - (under:柯城区 - (under:府山街道 - 330802001002-01))"
    assert await post_codes(session, nested) == [
        "330102001001-01", "330802001001-01", "330803001001-01"]


async def test_duties_in_one_term_all_hold_and_lists_mean_any(session) -> None:
    assert await post_codes(session, "duty:税务专管员 duty:纳税咨询") == ["330802000000-SWJ-03"]
    assert await post_codes(session, "duty:纳税咨询,网格员 under:柯城区") == [
        "330802000000-SWJ-03", "330802001001-02", "330802001002-02", "330802002001-02"]


async def test_unknown_duty_or_department_type_is_an_empty_result(session) -> None:
    for text, note in [("duty:宇航员", "; 未知职责 '宇航员'"), ("dept:航天局 level:county", ""),
                       ("title:不存在", ""), ("no-such-post", "; 没有编码为 'no-such-post' 的岗位"),
                       ("柯城区/税务局/副局长", "")]:
        result = await resolve(session, text)
        assert result.empty is True, text
        assert (result.post_count, result.enterprise_count, result.holder_count) == (0, 0, 0)
        assert result.items == []
        assert result.message == "没有匹配的岗位或企业" + note
        assert result.suggestions == []
        assert result.to_json()["empty"] is True


async def test_paging(session) -> None:
    everything = await post_codes(session, "duty:河长,网格员")
    assert len(everything) == 12
    page = await resolve(session, "duty:河长,网格员", offset=5, limit=4)
    assert codes(page) == everything[5:9]
    assert page.post_count == 12
    beyond = await resolve(session, "duty:河长,网格员", offset=50, limit=4)
    assert beyond.items == [] and beyond.post_count == 12 and beyond.empty is False


async def test_negative_paging_is_refused(session) -> None:
    from orgchart.errors import InvalidInput

    with pytest.raises(InvalidInput):
        await resolve(session, "duty:河长", offset=-1)


# --- holders over time ------------------------------------------------------------------


async def test_as_of_shows_the_holders_of_that_day(session) -> None:
    then = await resolve(session, "330802000000-SWJ-01", as_of=dt.date(2018, 6, 1))
    assert then.items[0]["holders"] == [{"name": "李前任", "mobile": "13800000002",
                                         "kind": "primary"}]
    assert then.message == "匹配 1 个岗位 (2018-06-01 时在岗 1 人)"
    # The end date is exclusive: on 2020-01-01 the successor holds the post, alone.
    handover = await resolve(session, "330802000000-SWJ-01", as_of=dt.date(2020, 1, 1))
    assert [h["name"] for h in handover.items[0]["holders"]] == ["张局长"]
    secretaries = await resolve(session, "duty:村党支部书记 under:衢州市", as_of=dt.date(2023, 6, 1))
    assert secretaries.holder_count == 3  # 赵书记 still held 荷花村 then
    future = await resolve(session, "330800000000-SWJ-01", as_of=dt.date(2099, 1, 1))
    assert future.holder_count == 1
    assert (await resolve(session, "330800000000-SWJ-01")).holder_count == 0


async def test_holders_are_ordered_primary_acting_deputy(session) -> None:
    result = await resolve(session, "duty:税务专管员")
    kinds = {item["code"]: [h["kind"] for h in item["holders"]] for item in result.items}
    assert kinds == {"330802000000-SWJ-02": ["primary"], "330802000000-SWJ-03": ["deputy"]}
    assert result.holder_count == 1  # 周专管员 holds both


# --- enterprise view ----------------------------------------------------------------------


async def test_enterprise_view_sees_only_posts_serving_enterprises(session) -> None:
    official = await resolve(session, "dept:税务局 under:柯城区")
    assert official.post_count == 4
    external = await resolve(session, "dept:税务局 under:柯城区", enterprise_view=True)
    assert codes(external) == ["330802000000-SWJ-02", "330802000000-SWJ-03"]
    assert all(item["serves_enterprises"] for item in external.items)
    hidden = await resolve(session, "330802000000-SWJ-01", enterprise_view=True)
    assert hidden.empty is True


async def test_enterprise_view_never_lists_enterprises(session) -> None:
    result = await resolve(session, "vo:TAX-KC + officers:TAX-KC", enterprise_view=True)
    assert result.enterprise_count == 0
    assert credit_codes(result) == []
    assert codes(result) == ["330802000000-SWJ-02", "330802000000-SWJ-03"]


# --- virtual organisations -----------------------------------------------------------------


async def test_virtual_org_members(session) -> None:
    result = await resolve(session, "vo:TAX-KC")
    assert (result.post_count, result.enterprise_count, result.holder_count) == (0, 3, 0)
    assert credit_codes(result) == sorted([E1, E2, E3])
    assert result.message == "匹配 3 家企业"
    by_code = {item["credit_code"]: item for item in result.items}
    first = by_code[E1]
    assert first["name"] == "衢州甲材料有限公司"
    # Only the membership in the organisation asked about is shown.
    assert first["memberships"] == [{
        "virtual_org": {"code": "TAX-KC", "name": "柯城区纳税人"},
        "group": {"code": "KC-KEY-A", "name": "重点税源A类"},
        "officer": {"id": first["officer"]["id"], "code": "330802000000-SWJ-02",
                    "title": "税务专管员",
                    "holders": [{"name": "周专管员", "mobile": "13800000007", "kind": "primary"}]},
    }]
    assert first["officer"]["code"] == "330802000000-SWJ-02"
    assert credit_codes(await resolve(session, "vo:柯城区纳税人")) == credit_codes(result)


async def test_sub_group_includes_nested_sub_groups(session) -> None:
    assert credit_codes(await resolve(session, "group:KC-KEY")) == sorted([E1, E2])
    assert credit_codes(await resolve(session, "group:KC-ALL")) == sorted([E1, E2])
    assert credit_codes(await resolve(session, "group:KC-KEY-A")) == [E1]
    assert credit_codes(await resolve(session, "group:TAX-KC/重点税源")) == sorted([E1, E2])
    assert credit_codes(await resolve(session, "group:上城区纳税人/重点税源")) == sorted([E1, E4])
    # vo:ORG/GROUP is the same as group:ORG/GROUP.
    assert credit_codes(await resolve(session, "vo:TAX-KC/KC-KEY")) == sorted([E1, E2])
    assert credit_codes(await resolve(session, "vo:TAX-SC/重点税源,TAX-KC/KC-KEY-A")) == \
        sorted([E1, E4])


async def test_virtual_org_union_exclusion_and_region(session) -> None:
    everyone = await resolve(session, "vo:TAX-KC + vo:TAX-SC")
    assert everyone.enterprise_count == 4  # 甲 is in both, counted once
    assert credit_codes(everyone) == sorted([E1, E2, E3, E4])
    assert credit_codes(await resolve(session, "vo:TAX-KC - group:KC-KEY")) == [E3]
    assert credit_codes(await resolve(session, "vo:TAX-KC under:衢江区")) == [E3]
    assert credit_codes(await resolve(session, "vo:TAX-KC,TAX-SC under:府山街道")) == [E1]
    assert (await resolve(session, "vo:TAX-KC group:SC-KEY")).empty is True


async def test_posts_then_enterprises_on_one_page(session) -> None:
    text = "officers:KC-KEY + group:KC-KEY"
    result = await resolve(session, text)
    assert [item["type"] for item in result.items] == ["post", "post", "enterprise", "enterprise"]
    assert codes(result) == ["330802000000-SWJ-02", "330802000000-SWJ-03"]
    assert (result.post_count, result.enterprise_count, result.holder_count) == (2, 2, 1)
    assert result.message == "匹配 2 个岗位 (当前在岗 1 人)、2 家企业"
    straddle = await resolve(session, text, offset=1, limit=2)
    assert [item.get("code") or item["credit_code"] for item in straddle.items] == \
        ["330802000000-SWJ-03", min(E1, E2)]
    last = await resolve(session, text, offset=3, limit=10)
    assert credit_codes(last) == [max(E1, E2)]


async def test_to_json_is_plain_data(session) -> None:
    import json

    result = await resolve(session, "group:KC-KEY + 330802000000-SWJ-01", as_of=dt.date(2024, 1, 1))
    body = result.to_json()
    assert body["as_of"] == "2024-01-01"
    assert body["selector"] == "group:KC-KEY + post:330802000000-SWJ-01"
    assert json.loads(json.dumps(body, ensure_ascii=False)) == body


# --- the compiled selection other packages build on ---------------------------------------


async def test_compiled_selection_yields_post_id_and_unit_path(session) -> None:
    from orgchart.selectors.resolver import compile_text

    parsed, compiled = await compile_text(session, "duty:村党支部书记 under:柯城区 + group:KC-KEY")
    assert str(parsed) == "duty:村党支部书记 under:柯城区 + group:KC-KEY"
    rows = sorted((await session.execute(compiled.posts)).all())
    assert [path for _, path in rows] == ["330802001001", "330802001002", "330802002001"]
    enterprise_ids = (await session.execute(compiled.enterprises)).scalars().all()
    assert len(enterprise_ids) == 2
    _, posts_only = await compile_text(session, "duty:河长")
    assert posts_only.enterprises is None


# --- recipients ---------------------------------------------------------------------------


async def test_recipients_are_current_holders_and_enterprise_members(session) -> None:
    from sqlalchemy import select

    from orgchart import models as m

    ids = dict((await session.execute(select(m.Person.mobile, m.Person.id))).all())
    posts_only = await resolve_recipients(session, "duty:村党支部书记 under:衢州市")
    assert posts_only == {ids["13800000003"], ids["13800000005"]}
    then = await resolve_recipients(session, "duty:村党支部书记 under:衢州市",
                                    as_of=dt.date(2023, 6, 1))
    assert then == {ids["13800000003"], ids["13800000004"], ids["13800000005"]}
    members = await resolve_recipients(session, "group:KC-KEY + officers:KC-KEY")
    assert members == {ids["13900000001"], ids["13900000002"], ids["13900000003"],
                       ids["13800000007"]}
    assert await resolve_recipients(session, "duty:宇航员") == set()
    assert await resolve_recipients(session, parse("vo:TAX-SC - vo:TAX-KC")) == {ids["13900000005"]}


# --- name errors --------------------------------------------------------------------------


async def test_unknown_unit_name_is_an_error_with_position(session) -> None:
    with pytest.raises(UnknownName) as caught:
        await resolve(session, "duty:河长 under:衢州")
    error = caught.value
    assert error.position == 14 and error.details["position"] == 14
    assert error.code == "selector_unknown_name" and error.status == 400
    assert "衢州" in error.message and "第 15 个字符处" in error.message
    assert "衢州市 (330800000000)" in error.message  # the suggestion


async def test_unknown_unit_code_is_an_error(session) -> None:
    with pytest.raises(UnknownName) as caught:
        await resolve(session, "under:339900000000")
    assert caught.value.name == "339900000000"


async def test_ambiguous_unit_name_lists_candidates(session) -> None:
    with pytest.raises(AmbiguousName) as caught:
        await resolve(session, "under:城关镇 duty:河长")
    error = caught.value
    assert error.code == "selector_ambiguous_name"
    assert error.position == 6
    assert error.candidates == ["城关镇 (330102001000)", "城关镇 (330803002000)"]
    # The code settles it.
    assert await post_codes(session, "under:330803002000") == ["330803002000-01"]


async def test_ambiguous_and_unknown_virtual_names(session) -> None:
    with pytest.raises(AmbiguousName) as caught:
        await resolve(session, "group:重点税源")
    assert caught.value.candidates == ["重点税源 (KC-KEY)", "重点税源 (SC-KEY)"]
    with pytest.raises(UnknownName):
        await resolve(session, "vo:NO-SUCH-VO")
    with pytest.raises(UnknownName):
        await resolve(session, "group:TAX-KC/小微")
    with pytest.raises(UnknownName):  # the group exists, but in the other organisation
        await resolve(session, "vo:TAX-SC/KC-KEY")
    with pytest.raises(UnknownName):
        await resolve(session, "officers:nothing")
    with pytest.raises(UnknownName) as caught:
        await resolve(session, "柯城区/税务局/局长 + 不存在区/局长")
    assert caught.value.position == 13


async def test_syntax_errors_surface_from_resolve(session) -> None:
    with pytest.raises(SelectorSyntaxError) as caught:
        await resolve(session, "duty:河长 under:衢州市 )")
    assert caught.value.position == 18
