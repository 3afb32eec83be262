"""Selectors as people type them, on SQLite and PostgreSQL: operator words, duty aliases, a bare
word that meant a duty, and the nearest tags when nothing matched. The directory is the
resolver tests' (``RECORDS``); the aliases are the ones migration 0009 seeds."""
from __future__ import annotations

import pytest
from sqlalchemy import text

from orgchart.errors import InvalidInput, NotFound
from orgchart.io.importer import import_records
from orgchart.selectors import UnknownName, resolve, resolve_recipients
from orgchart.service.duty_aliases import DutyAliasService, read_csv
from tests.orgchart.test_selector_resolver import E1, RECORDS, codes, credit_codes, post_codes

SECRETARIES = ["330802001001-01", "330802001002-01", "330802002001-01", "330803001001-01"]


@pytest.fixture
async def session(sessions):
    report = await import_records(sessions, RECORDS)
    assert report.ok, report.errors
    async with sessions() as session:
        yield session


async def test_operator_words_select_like_the_symbols(session) -> None:
    assert await post_codes(session, "duty:河长 and under:衢州市") == \
        await post_codes(session, "duty:河长 under:衢州市")
    assert await post_codes(session, "duty:村党支部书记 或 duty:网格员 under:衢江区") == \
        await post_codes(session, "duty:村党支部书记 + duty:网格员 under:衢江区")
    assert await post_codes(session, "duty:河长 under:衢州市 not duty:村党支部书记") == \
        await post_codes(session, "duty:河长 under:衢州市 - duty:村党支部书记") == ["330802000000-QZ",
                                                                                "330802001000-01"]
    # and binds tighter than or: the grid workers of Qujiang plus every secretary.
    assert await post_codes(session, "(duty:村党支部书记 or duty:网格员) and under:衢江区") == [
        "330803001001-01", "330803001001-02"]
    assert await post_codes(session, "duty:村党支部书记 且 非 under:柯城区") == [
        "330102001001-01", "330803001001-01"]
    # Enterprises intersect with enterprises; posts and enterprises have nothing in common.
    both = await resolve(session, "vo:TAX-KC and vo:TAX-SC", limit=10)
    assert credit_codes(both) == [E1]
    assert (await resolve(session, "duty:河长 and vo:TAX-KC")).empty
    assert await resolve_recipients(session, "duty:村党支部书记 and under:衢江区") == \
        await resolve_recipients(session, "duty:村党支部书记 under:衢江区")


async def test_a_seeded_alias_reads_as_its_tag_and_says_so(session) -> None:
    result = await resolve(session, "duty:村支书 under:衢州市", limit=10)
    assert codes(result) == SECRETARIES
    assert result.aliases == {"村支书": ["村党支部书记"]}
    assert result.message == "匹配 4 个岗位 (当前在岗 2 人); 村支书 按 村党支部书记 计"
    assert result.to_json()["aliases"] == {"村支书": ["村党支部书记"]}
    # In a second duty filter of the same term, too.
    assert await post_codes(session, "duty:河长 duty:支书 under:柯城区") == SECRETARIES[:3]


async def test_admins_set_import_and_remove_aliases(sessions, session) -> None:
    service = DutyAliasService(sessions)

    async def selected(text: str) -> list[str]:
        async with sessions() as fresh:  # a new session sees the change just committed
            return await post_codes(fresh, text)

    assert await service.set(None, " 专员 ", ["税务专管员", "纳税咨询"]) == ("专员", ["税务专管员", "纳税咨询"])
    assert await selected("duty:专员") == ["330802000000-SWJ-02", "330802000000-SWJ-03"]
    count = await service.import_csv(None, "别名,职责\n书记们,村党支部书记\n河长们,河长\n")
    assert count == 2
    assert (await service.list())["书记们"] == ["村党支部书记"]
    assert await selected("duty:河长们") == await selected("duty:河长")
    await service.remove(None, "专员")
    assert await selected("duty:专员") == []
    with pytest.raises(NotFound):
        await service.remove(None, "专员")
    # A bad row anywhere writes nothing; --replace drops what the file does not name.
    with pytest.raises(InvalidInput, match="第 3 行"):
        await service.import_csv(None, "a1,河长\nb1,河长\nbad alias,河长\n")
    assert "a1" not in await service.list()
    await service.import_csv(None, "只此一个,河长\n", replace=True)
    assert await service.list() == {"只此一个": ["河长"]}
    async with sessions() as reader:
        audit = (await reader.execute(text(
            "SELECT target FROM audit_log WHERE action = 'directory.change' ORDER BY id"))).scalars().all()
    assert audit == ["duty_alias:专员", "duty_alias:*", "duty_alias:专员", "duty_alias:*"]


@pytest.mark.parametrize(("alias", "tags", "field"), [
    ("", ["河长"], "alias"), ("a b", ["河长"], "alias"), ("x:y", ["河长"], "alias"),
    ("-x", ["河长"], "alias"), ("or", ["河长"], "alias"), ("且", ["河长"], "alias"),
    ("x" * 41, ["河长"], "alias"), ("河长", [], "tags"), ("河长", "河长", "tags"),
    ("河长", ["河长"], "tags"), ("a", ["x" * 41], "tags"),
])
def test_bad_aliases_are_refused_with_the_field(alias, tags, field) -> None:
    from orgchart.service.duty_aliases import check_alias

    with pytest.raises(InvalidInput) as caught:
        check_alias(alias, tags)
    assert caught.value.details["field"] == field


def test_alias_csv_needs_two_columns() -> None:
    with pytest.raises(InvalidInput, match="第 2 行: 应为两列"):
        read_csv("a,b\nc\n")
    assert read_csv("\ufeffalias,tag\na,b\na,c\n\n") == {"a": ["b", "c"]}


async def test_a_bare_word_that_is_a_duty_title_or_unit_is_refused_with_a_suggestion(session) -> None:
    with pytest.raises(UnknownName) as caught:
        await resolve(session, "村党支部书记 under:衢州市")
    error = caught.value
    assert error.message == ("第 1 个字符处: 没有编码为 '村党支部书记' 的岗位 (不带条件名的词是岗位编码或路径); "
                             "是否指 duty:村党支部书记 或 title:村党支部书记?")
    assert error.details == {"position": 0, "name": "村党支部书记",
                             "candidates": ["duty:村党支部书记", "title:村党支部书记"]}
    for typed, position, meant in [("duty:河长 + 纳税咨询", 10, ["duty:纳税咨询"]),
                                  ("村支书", 0, ["duty:村支书"]),
                                  ("duty:河长 - 柯城区", 10, ["under:柯城区"]),
                                  ("post:所长", 5, ["title:所长"])]:
        with pytest.raises(UnknownName) as caught:
            await resolve(session, typed)
        assert (caught.value.position, caught.value.candidates) == (position, meant), typed
        assert caught.value.message.startswith(f"第 {position + 1} 个字符处: ")
    # A real post code is still a post code.
    assert await post_codes(session, "330802000000-QZ") == ["330802000000-QZ"]


async def test_an_empty_result_names_the_nearest_known_tags(session) -> None:
    result = await resolve(session, "duty:党支部书记 under:衢州市")
    assert result.empty
    assert result.suggestions == ["duty:村党支部书记"]
    assert result.message == ("没有匹配的岗位或企业; 未知职责 '党支部书记', "
                              "最接近的已知职责: duty:村党支部书记")
    assert result.to_json()["suggestions"] == ["duty:村党支部书记"]
    # Close to an alias: the alias's tag is offered.
    near_alias = await resolve(session, "duty:村支部书")
    assert near_alias.suggestions[0] == "duty:村党支部书记"
    # A mistyped word next to a known tag: only the unknown one is described.
    typo = await resolve(session, "duty:网格 duty:河长")
    assert typo.message == "没有匹配的岗位或企业; 未知职责 '网格', 最接近的已知职责: duty:网格员"
    # Known tags that just do not meet: nothing to suggest.
    known = await resolve(session, "duty:税务专管员 level:village")
    assert known.empty and known.suggestions == [] and known.message == "没有匹配的岗位或企业"


async def test_resolve_leaves_the_session_as_it_found_it(sessions, session) -> None:
    """Resolving reads without a transaction of its own (PostgreSQL: no BEGIN/ROLLBACK); a
    caller's open transaction is neither used up nor committed, and the session can write in
    a real transaction afterwards."""
    insert = text("INSERT INTO duty_aliases (alias, tag) VALUES ('临时', '河长')")
    async with sessions() as fresh:
        assert (await resolve(fresh, "duty:村党支部书记 under:衢州市")).post_count == 4
        if fresh.bind.dialect.name == "postgresql":
            assert not fresh.in_transaction()
        await fresh.rollback()
        async with fresh.begin():
            await fresh.execute(insert)
            await fresh.rollback()  # a real transaction: the insert is undone
    async with sessions() as other, other.begin():
        await other.execute(insert)
        assert len(await post_codes(other, "duty:临时")) == 7  # inside it: sees its own write
        assert other.in_transaction()
        await other.rollback()
    async with sessions() as check:
        assert (await resolve(check, "duty:临时")).empty
