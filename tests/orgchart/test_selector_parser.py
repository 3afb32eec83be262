"""The selector parser on its own: text to tree, canonical text, and syntax errors. No database."""
from __future__ import annotations

import re
from pathlib import Path

import pytest

from orgchart.codes import Level
from orgchart.errors import InvalidInput
from orgchart.selectors import SelectorSyntaxError, parse
from orgchart.selectors.nodes import (
    Depth,
    DeptTypes,
    Duties,
    Exclude,
    Groups,
    Intersect,
    Levels,
    Name,
    Officers,
    PostRef,
    Posts,
    Term,
    Titles,
    Under,
    Union,
    VirtualOrgs,
)


def names(*texts: str) -> tuple[Name, ...]:
    return tuple(Name(t) for t in texts)


def term(*filters) -> Term:
    return Term(tuple(filters))


# --- what parses, and into what ---------------------------------------------------------------


def test_duty_under_level() -> None:
    selector = parse("duty:村党支部书记 under:衢州市 level:village")
    assert selector.expr == term(Duties(names("村党支部书记")), Under(names("衢州市")),
                                 Levels((Level.VILLAGE,)))
    assert selector.text == "duty:村党支部书记 under:衢州市 level:village"


def test_department_type_title_and_level_in_chinese() -> None:
    selector = parse("部门:税务局 职务:局长 层级:县 辖区:330000000000")
    assert selector.expr == term(DeptTypes(names("税务局")), Titles(names("局长")),
                                 Levels((Level.COUNTY,)), Under(names("330000000000")))


@pytest.mark.parametrize(("word", "level"), [
    ("province", Level.PROVINCE), ("CITY", Level.CITY), ("县", Level.COUNTY),
    ("县级", Level.COUNTY), ("乡镇", Level.TOWNSHIP), ("镇", Level.TOWNSHIP),
    ("村", Level.VILLAGE), ("村社区", Level.VILLAGE), ("村级", Level.VILLAGE),
])
def test_level_names(word: str, level: Level) -> None:
    assert parse(f"level:{word}").expr == term(Levels((level,)))


def test_value_lists_with_ascii_and_chinese_commas() -> None:
    expected = term(Duties(names("河长", "网格员")), Levels((Level.TOWNSHIP, Level.VILLAGE)))
    assert parse("duty:河长,网格员 level:township,village").expr == expected
    assert parse("职责：河长、网格员 层级：乡镇，村").expr == expected


def test_depth_is_relative_to_under() -> None:
    assert parse("duty:河长 under:衢州市 depth:2").expr == term(
        Duties(names("河长")), Under(names("衢州市")), Depth(2))


def test_bare_words_are_posts_by_code_or_path() -> None:
    assert parse("330800000000-SWJ-01").expr == term(Posts((PostRef(code="330800000000-SWJ-01"),)))
    assert parse("post:330800000000-SWJ-01").expr == parse("330800000000-SWJ-01").expr
    by_path = parse("衢州市/税务局/局长").expr
    assert by_path == term(Posts((PostRef(unit=Name("衢州市"), department=Name("税务局"),
                                          title=Name("局长")),)))
    assert parse("柯城区/区长").expr == term(Posts((PostRef(unit=Name("柯城区"),
                                                              title=Name("区长")),)))


def test_path_segments_keep_their_positions() -> None:
    ref = parse("post:衢州市/税务局/局长").expr.filters[0].refs[0]
    assert (ref.unit.position, ref.department.position, ref.title.position) == (5, 9, 13)


def test_hyphen_inside_a_word_is_not_an_exclusion() -> None:
    assert parse("a-b - c").expr == Exclude(term(Posts((PostRef(code="a-b"),))),
                                            term(Posts((PostRef(code="c"),))))
    assert parse("a -c") == parse("a - c")


def test_union_and_exclusion_are_left_associative() -> None:
    a, b, c = (term(Duties(names(x))) for x in "abc")
    assert parse("duty:a + duty:b - duty:c").expr == Exclude(Union(a, b), c)
    assert parse("duty:a | duty:b").expr == Union(a, b)
    assert parse("duty:a - (duty:b + duty:c)").expr == Exclude(a, Union(b, c))
    assert parse("（duty:a ＋ duty:b）－ duty:c").expr == Exclude(Union(a, b), c)


def test_virtual_org_terms() -> None:
    assert parse("vo:TAX-KC").expr == term(VirtualOrgs(names("TAX-KC")))
    assert parse("group:TAX-KC/重点税源 under:柯城区").expr == term(
        Groups(names("TAX-KC/重点税源")), Under(names("柯城区")))
    assert parse("专员:KC-KEY").expr == term(Officers(names("KC-KEY")))
    assert parse("vo:A + duty:河长").expr.right.kind == "post"
    assert parse("vo:A").expr.kind == "enterprise"


def test_quoted_values_keep_spaces_and_punctuation() -> None:
    selector = parse('title:"局长 (兼)" + "x:y"')
    assert selector.expr == Union(term(Titles(names("局长 (兼)"))),
                                  term(Posts((PostRef(code="x:y"),))))
    assert parse(r'title:"say \"hi\""').expr == term(Titles(names('say "hi"')))


@pytest.mark.parametrize("text", [
    "duty:村党支部书记 under:衢州市 level:village",
    "dept:税务局 title:局长 level:county under:330000000000",
    "duty:a,b + duty:c - (duty:d + duty:e) - under:x depth:0",
    'title:"局长 (兼)" + post:衢州市/税务局/局长',
    "vo:TAX-KC - group:KC-KEY + officers:KC-KEY",
    'post:"-starts-with-hyphen"',
    "duty:a and duty:b + duty:c and (duty:d - duty:e) and duty:f",
    "duty:a and (duty:b and duty:c) - (duty:d and duty:e)",
    "(duty:a + duty:b) and duty:c or duty:d and not duty:e",
    'title:"and" + "或"',
])
def test_canonical_text_round_trips(text: str) -> None:
    selector = parse(text)
    assert parse(str(selector)) == selector


def test_spacing_does_not_matter() -> None:
    assert parse("  duty:河长   under:衢州市+duty:网格员 ") == parse("duty:河长 under:衢州市 + duty:网格员")


# --- errors: position and expectation ---------------------------------------------------------


def syntax_error(text: str) -> SelectorSyntaxError:
    with pytest.raises(SelectorSyntaxError) as caught:
        parse(text)
    return caught.value


@pytest.mark.parametrize(("text", "position", "expected_part"), [
    ("", 0, "条件"),
    ("   ", 3, "条件"),
    ("duty:", 5, "取值"),
    ("duty:河长 +", 9, "条件"),
    ("duty:河长 + + duty:x", 10, "条件"),
    ("(duty:河长", 8, "')'"),
    ("(duty:a + duty:b", 16, "')'"),
    ("duty:a)", 6, "结尾"),
    ("duty:a + ()", 10, "条件"),
    ("(duty:a) under:x", 9, "结尾"),
    ("duty:a (duty:b)", 7, "结尾"),
    ("colour:red", 0, "条件名"),
    ("duty:a,", 7, "取值"),
    ("duty:a,,b", 7, "取值"),
    ("level:galaxy", 6, "层级"),
    ("level:village,moon", 14, "层级"),
    ("under:x depth:two", 14, "非负整数"),
    ("under:x depth:-1", 14, "取值"),
    ("under:x depth:1,2", 16, "非负整数"),
    ("duty:a depth:1", 7, "under"),
    ("under:x depth:1 depth:2", 16, "depth"),
    ("vo:TAX duty:河长", 7, "企业条件"),
    ("group:G level:village", 8, "企业条件"),
    ('title:"open', 11, '\'"\''),
    ("post:a//b", 7, "岗位路径"),
    ("duty: under:x", 6, "取值"),
    ("post:a/b/c/d", 10, "岗位路径"),
    ("- duty:x", 0, "条件"),
    ("duty:a : b", 7, "结尾"),
])
def test_malformed_selectors_name_position_and_expectation(
        text: str, position: int, expected_part: str) -> None:
    error = syntax_error(text)
    assert error.position == position
    assert expected_part in error.expected
    assert error.details == {"position": position, "expected": error.expected}
    assert f"第 {position + 1} 个字符处" in error.message


def test_syntax_error_is_invalid_input_with_stable_code() -> None:
    error = syntax_error("(duty:河长")
    assert isinstance(error, InvalidInput)
    assert error.code == "selector_syntax"
    assert error.status == 400
    assert error.message == "第 9 个字符处缺少 ')'，第 1 个字符处的 '(' 没有闭合"
    body = error.to_json()["error"]
    assert body["code"] == "selector_syntax"
    assert body["details"] == {"position": 8, "expected": "')'"}


def test_error_message_names_what_was_found() -> None:
    error = syntax_error("duty:a + )")
    assert error.message.endswith("，而不是 ')'")


@pytest.mark.parametrize(("text", "message"), [
    # The example: a missing value at the end, counted as people count.
    ("duty:村党支部书记 under:", "第 19 个字符处缺少取值"),
    ("duty:河长 + ", "第 11 个字符处缺少条件 (如 duty:河长、under:衢州市、岗位编码)"),
    ("(duty:河长 + (duty:网格员)", "第 22 个字符处缺少 ')'，第 1 个字符处的 '(' 没有闭合"),
    ("duty:河长)", "第 8 个字符处多了一个 ')'，前面没有与之配对的 '('"),
    ('title:"局长', "第 10 个字符处缺少 '\"': 第 7 个字符处的引号没有闭合"),
    ("duty:or", "第 6 个字符处缺少取值 ('or' 是运算符; 要把它当作取值, 请加引号: \"or\")"),
])
def test_messages_read_naturally(text: str, message: str) -> None:
    assert syntax_error(text).message == message


ERROR_TEXTS = [
    "", "duty:", "duty:河长 +", "(duty:河长", "duty:a)", "(duty:a) under:x", "colour:red",
    "level:galaxy", "under:x depth:two", "duty:a depth:1", "vo:TAX duty:河长", 'title:"open',
    "post:a//b", "post:a/b/c/d", "not duty:a", "duty:a + not duty:b", "duty:a and", "duty:or",
    "（职责：河长 ＋", "x" * 10_001,
]


@pytest.mark.parametrize("text", ERROR_TEXTS, ids=range(len(ERROR_TEXTS)))
def test_message_position_is_details_position_counted_from_one(text: str) -> None:
    error = syntax_error(text)
    number = int(re.match(r"第 (\d+) 个字符处", error.message).group(1))
    assert number == error.details["position"] + 1 == error.position + 1


# --- operator words ---------------------------------------------------------------------------


def test_or_and_not_words_beside_the_symbols() -> None:
    a, b = (term(Duties(names(x))) for x in "ab")
    assert parse("duty:a or duty:b").expr == parse("duty:a + duty:b").expr == Union(a, b)
    assert parse("duty:a 或 duty:b").expr == Union(a, b)
    assert parse("duty:a OR duty:b").expr == Union(a, b)
    assert parse("duty:a not duty:b").expr == parse("duty:a - duty:b").expr == Exclude(a, b)
    assert parse("duty:a 非 duty:b").expr == Exclude(a, b)
    assert parse("duty:a and duty:b").expr == Intersect(a, b)
    assert parse("职责：a 且 职责：b").expr == Intersect(a, b)
    assert parse("duty:a and not duty:b").expr == Exclude(a, b)
    assert parse("duty:a 且 非 duty:b").expr == Exclude(a, b)


def test_and_binds_tighter_than_or_and_minus() -> None:
    a, b, c, d = (term(Duties(names(x))) for x in "abcd")
    assert parse("duty:a or duty:b and duty:c").expr == Union(a, Intersect(b, c))
    assert parse("duty:a and duty:b or duty:c").expr == Union(Intersect(a, b), c)
    assert parse("duty:a - duty:b and duty:c").expr == Exclude(a, Intersect(b, c))
    assert parse("(duty:a or duty:b) and duty:c").expr == Intersect(Union(a, b), c)
    assert parse("duty:a and not duty:b and duty:c").expr == Intersect(Exclude(a, b), c)
    assert parse("duty:a or duty:b and not duty:c or duty:d").expr == Union(
        Union(a, Exclude(b, c)), d)


def test_operator_words_are_values_when_quoted_or_keys_before_a_colon() -> None:
    assert parse('title:"and"').expr == term(Titles(names("and")))
    assert parse('"或"').expr == term(Posts((PostRef(code="或"),)))
    # Inside a longer word they are just characters: 非遗 is no operator.
    assert parse("duty:非遗保护员").expr == term(Duties(names("非遗保护员")))
    assert syntax_error("and:x").expected.startswith("条件名")


def test_not_must_follow_what_it_removes_from() -> None:
    error = syntax_error("not duty:村党支部书记")
    assert error.position == 0
    assert error.message.startswith("第 1 个字符处: not 表示除去")
    assert syntax_error("duty:河长 + 非 duty:网格员").position == 10


def test_a_group_next_to_a_filter_asks_for_and() -> None:
    error = syntax_error("(duty:河长 + duty:网格员) under:衢州市")
    assert error.position == 21
    assert "and" in error.message


def test_limits_keep_a_request_bounded() -> None:
    assert syntax_error("x" * 10_001).position == 10_000
    deep = "(" * 21 + "duty:a" + ")" * 21
    assert syntax_error(deep).position == 20
    parse("(" * 20 + "duty:a" + ")" * 20)
    many = " + ".join(f"duty:t{i}" for i in range(101))
    error = syntax_error(many)
    assert error.position == many.index("duty:t100")
    assert len(parse(" + ".join(f"duty:t{i}" for i in range(100))).terms()) == 100


def test_parse_refuses_non_text() -> None:
    with pytest.raises(TypeError):
        parse(None)  # type: ignore[arg-type]


# --- the documentation's examples stay true -----------------------------------------------

DOC = Path(__file__).resolve().parents[2] / "docs" / "selectors.md"


def _doc_section(title: str) -> str:
    text = DOC.read_text(encoding="utf-8")
    start = text.index(f"## {title}")
    end = text.find("\n## ", start + 1)
    return text[start:end if end != -1 else None]


def _table_cells(section: str, column: int) -> list[str]:
    cells = []
    for line in section.splitlines():
        parts = [p.strip() for p in line.strip().strip("|").split("|")]
        if line.startswith("|") and len(parts) > column and parts[column].startswith("`"):
            cells.append(parts[column])
    return cells


def test_every_example_in_the_docs_parses() -> None:
    section = _doc_section("At a glance")
    examples = [re.findall(r"`([^`]+)`", cell) for cell in _table_cells(section, 1)]
    flat = [text for cell in examples for text in cell]
    flat += [line for line in section.split("```text")[1].split("```")[0].splitlines() if line]
    assert len(flat) > 15
    for text in flat:
        parse(text)


def test_error_table_in_the_docs_matches_the_parser() -> None:
    rows = 0
    for line in _doc_section("Errors").splitlines():
        parts = [p.strip() for p in line.strip().strip("|").split("|")]
        if not line.startswith("| `") or len(parts) != 2:
            continue
        text, message = parts[0].strip("`"), parts[1]
        try:
            parse(text)
        except SelectorSyntaxError as error:
            assert error.message == message, text
            rows += 1
        # The rest are name errors, checked against the demo directory by test_doc_examples.
    assert rows >= 12
