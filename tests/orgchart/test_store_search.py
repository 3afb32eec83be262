"""``orgchart.store.search.search`` against real databases: name, pinyin, initials, code, tag."""
from __future__ import annotations

import pytest

from orgchart.errors import InvalidInput
from orgchart.io.importer import import_records
from orgchart.store.search import search
from tests.orgchart import sample
from tests.orgchart.sample import sample_records

HANGZHOU = [
    {"kind": "unit", "code": "330100000000", "name": "杭州市"},
    {"kind": "unit", "code": "330102000000", "name": "上城区"},
    {"kind": "person", "mobile": "13800000101", "name": "张珊珊"},
    {"kind": "person", "mobile": "13800000102", "name": "章三"},
]


@pytest.fixture
async def loaded(sessions):
    report = await import_records(sessions, sample_records() + HANGZHOU)
    assert report.ok, report.errors
    return sessions


async def _find(sessions, query, **options) -> list[dict]:
    async with sessions() as session:
        return await search(session, query, **options)


def _names(hits: list[dict]) -> list[str]:
    return [hit.get("name") or hit.get("title") for hit in hits]


async def test_units_by_name_pinyin_initials_and_code(loaded):
    for query, match in (("杭州", "name"), ("hangzhou", "pinyin"), ("hzs", "initials"),
                         ("HZS", "initials"), ("hang zhou", "pinyin"), ("3301", "code")):
        hits = await _find(loaded, query, kind="unit")
        assert [(h["name"], h["match"]) for h in hits][:1] == [("杭州市", match)], query
    assert await _find(loaded, "杭州市市", kind="unit") == []
    assert _names(await _find(loaded, "qz", kind="unit")) == ["衢州市"]


async def test_people_by_name_pinyin_and_initials(loaded):
    assert _names(await _find(loaded, "张", kind="person")) == ["张三", "张珊珊"]
    assert set(_names(await _find(loaded, "zhangsan", kind="person"))) == {"张三", "章三"}
    assert _names(await _find(loaded, "张三", kind="person")) == ["张三"]  # not 章三
    # Exact initials first: 张三 and 章三 are both "zs"; 张珊珊 ("zss") after them.
    hits = await _find(loaded, "zs", kind="person")
    assert set(_names(hits[:2])) == {"张三", "章三"} and _names(hits)[2:] == ["张珊珊"]
    zhang = hits[0] if hits[0]["name"] == "张三" else hits[1]
    assert [p["code"] for p in zhang["posts"]] == [sample.TAX_KC + "-JZ"] and zhang["mobile"] == "13800000001"
    assert _names(await _find(loaded, "zs", kind="person", limit=1)) in (["张三"], ["章三"])


async def test_posts_by_title_and_duty_tag(loaded):
    by_tag = await _find(loaded, "河长", kind="post")
    assert {h["code"] for h in by_tag} == {sample.TOWN + "-SJ", sample.VILLAGE_A + "-SJ"}
    assert {h["match"] for h in by_tag} == {"tag"}
    tagged = await _find(loaded, "", tag="村党支部书记")
    assert {h["code"] for h in tagged} == {sample.VILLAGE_A + "-SJ", sample.VILLAGE_B + "-SJ"}
    narrowed = await _find(loaded, "", tag="村党支部书记", under=sample.VILLAGE_B)
    assert [h["code"] for h in narrowed] == [sample.VILLAGE_B + "-SJ"]
    heads = await _find(loaded, "局长", kind="post")
    assert len(heads) == 3 and all(h["title"] == "局长" for h in heads)
    boss = next(h for h in heads if h["code"] == sample.TAX_KC + "-JZ")
    assert [holder["name"] for holder in boss["holders"]] == ["张三"]


async def test_under_restricts_to_a_subtree(loaded):
    assert _names(await _find(loaded, "局长", kind="post", under=sample.QUJIANG)) == ["局长"]
    # People are placed by the posts they hold now: 李四 holds 信安街道党工委书记.
    assert _names(await _find(loaded, "li", kind="person", under=sample.TOWN)) == ["李四"]
    assert await _find(loaded, "li", kind="person", under=sample.QUJIANG) == []
    with pytest.raises(InvalidInput):
        await _find(loaded, "li", under="12345")


async def test_enterprise_view_hides_internal_posts_and_their_holders(loaded):
    heads = await _find(loaded, "局长", kind="post", enterprise_view=True)
    assert {h["code"] for h in heads} == {sample.TAX_KC + "-JZ", sample.QUJIANG + "-SWJ-JZ"}
    assert await _find(loaded, "河长", kind="post", enterprise_view=True) == []
    assert _names(await _find(loaded, "zhao", kind="person")) == ["赵六"]
    assert await _find(loaded, "zhao", kind="person", enterprise_view=True) == []
    hits = await _find(loaded, "zhangsan", kind="person", enterprise_view=True)
    assert _names(hits) == ["张三"] and "mobile" not in hits[0]


async def test_enterprises_and_every_kind_at_once(loaded):
    hits = await _find(loaded, "衢州")
    assert [(h["kind"], h["name"]) for h in hits] == [
        ("unit", "衢州市"), ("enterprise", "衢州元立金属制品有限公司")]
    by_code = await _find(loaded, sample.ENTERPRISE_A[:16].lower(), kind="enterprise")
    assert [h["credit_code"] for h in by_code] == [sample.ENTERPRISE_A]
    assert _names(await _find(loaded, "kcxw", kind="enterprise")) == ["柯城小微商贸有限公司"]
    assert await _find(loaded, "   ") == []
    with pytest.raises(InvalidInput):
        await _find(loaded, "x", kind="planet")
