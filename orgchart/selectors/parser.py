"""The selector parser: text in, :class:`~orgchart.selectors.nodes.Selector` out. No I/O.

Grammar (``docs/selectors.md`` has the long version with examples)::

    selector := expr END
    expr     := conj (("+" | "|" | or | "-" | not) conj)*   left to right, equal precedence
    conj     := term (and [not] term)*                  binds tighter; "and not" excludes
    term     := "(" expr ")" | item+                    items side by side must all hold
    item     := KEY ":" value ("," value)*  |  value    a bare value is a post (code or path)
    value    := WORD | "quoted text"

Full-width punctuation that a Chinese input method produces (``：（），、＋－｜“”``) reads
as its ASCII twin, one character for one, so error positions still match the text typed.
``-`` starts an exclusion only at the start of a word: ``330800000000-SWJ-01`` is one word.
The words ``or``/``或``, ``and``/``且`` and ``not``/``非`` (any case, standing alone, not
followed by ``:``) are operators: ``or`` is ``+``, ``not`` is ``-``, ``and`` intersects.

What can be checked without the database is checked here: levels, depth, and that a term
does not mix enterprise filters (vo, group) with post filters. Names are checked by the
resolver.
"""
from __future__ import annotations

from collections.abc import Callable, Generator, Iterator
from dataclasses import dataclass

from orgchart.codes import LEVEL_LABELS, LEVEL_NAMES, Level
from orgchart.selectors.errors import SelectorSyntaxError
from orgchart.selectors.nodes import (
    ENTERPRISE_FILTERS,
    OPERATOR_WORDS,
    SHARED_FILTERS,
    WORD_STOP,
    Depth,
    DeptTypes,
    Duties,
    Exclude,
    Expr,
    Filter,
    Groups,
    Intersect,
    Levels,
    Name,
    Officers,
    PostRef,
    Posts,
    Selector,
    Term,
    Titles,
    Under,
    Union,
    VirtualOrgs,
)

_FULLWIDTH = str.maketrans({
    "：": ":", "（": "(", "）": ")", "，": ",", "、": ",", "＋": "+", "－": "-", "｜": "|",
    "／": "/", "“": '"', "”": '"', "\u3000": " ",
})

#: Filter keys (English and Chinese) to the canonical key.
KEYS = {
    "post": "post", "岗位": "post",
    "duty": "duty", "职责": "duty",
    "dept": "dept", "部门": "dept",
    "title": "title", "职务": "title",
    "under": "under", "辖区": "under",
    "level": "level", "层级": "level",
    "depth": "depth", "深度": "depth",
    "vo": "vo", "虚拟组织": "vo",
    "group": "group", "分组": "group",
    "officers": "officers", "专员": "officers",
}
_NAME_FILTERS: dict[str, Callable[..., Filter]] = {
    "duty": Duties, "dept": DeptTypes, "title": Titles, "under": Under,
    "vo": VirtualOrgs, "group": Groups, "officers": Officers,
}

_LEVELS: dict[str, Level] = {**LEVEL_NAMES, **{label: level for level, label in LEVEL_LABELS.items()},
                             "乡": Level.TOWNSHIP, "镇": Level.TOWNSHIP, "社区": Level.VILLAGE}

OPERATOR_KINDS = frozenset(OPERATOR_WORDS.values())

EXPECT_TERM = "条件 (如 duty:河长、under:衢州市、岗位编码) 或 '('"
EXPECT_OPERATOR = "运算符 (+、-、and、or、not)"
EXPECT_VALUE = "取值"
EXPECT_KEY = "条件名 (" + ", ".join(sorted({k for k in KEYS if k.isascii()})) + ")"
EXPECT_LEVEL = "层级 (province/city/county/township/village 或 省/市/县/乡镇/村)"
EXPECT_DEPTH = "非负整数 (相对 under 单位的层数)"
EXPECT_PATH = "岗位路径: 单位/职务 或 单位/部门/职务"


def parse_level(text: str) -> Level | None:
    """The level a word names (``village``, ``村``, ``村级`` …), or None."""
    word = text.strip().lower()
    return _LEVELS.get(word) or _LEVELS.get(word.removesuffix("级"))


# --- Tokens -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Token:
    kind: str  # word, string, "(", ")", "+", "-", "and", "not", ":", ",", end
    text: str
    position: int


def tokenize(text: str) -> Iterator[Token]:
    """Split ``text`` into tokens; raises :class:`SelectorSyntaxError` on an open quote."""
    source = text.translate(_FULLWIDTH)
    i, n = 0, len(source)
    while i < n:
        char = source[i]
        if char.isspace():
            i += 1
        elif char in "()+:,":
            yield Token(char, char, i)
            i += 1
        elif char == "|":
            yield Token("+", char, i)
            i += 1
        elif char == "-":  # at the start of a word it is the exclusion operator
            yield Token("-", char, i)
            i += 1
        elif char == '"':
            i = yield from _quoted(source, i)
        else:
            start = i
            while i < n and source[i] not in WORD_STOP and not source[i].isspace():
                i += 1
            word = source[start:i]
            operator = OPERATOR_WORDS.get(word.lower())
            if operator is not None and not _key_follows(source, i):
                yield Token(operator, word, start)
            else:
                yield Token("word", word, start)
    yield Token("end", "", n)


def _key_follows(source: str, i: int) -> bool:
    # "and:" is a (misspelt) filter key, not an operator.
    rest = source[i:].lstrip()
    return rest.startswith(":")


def _quoted(source: str, start: int) -> Generator[Token, None, int]:
    chars: list[str] = []
    i = start + 1
    while i < len(source):
        char = source[i]
        if char == "\\" and i + 1 < len(source):
            chars.append(source[i + 1])
            i += 2
        elif char == '"':
            yield Token("string", "".join(chars), start)
            return i + 1
        else:
            chars.append(char)
            i += 1
    raise SelectorSyntaxError(
        len(source), "'\"' (引号未闭合)",
        message=f"第 {len(source) + 1} 个字符处缺少 '\"': 第 {start + 1} 个字符处的引号没有闭合")


# --- Parser -------------------------------------------------------------------------------


#: Limits that keep one request's SQL bounded; far beyond anything typed by hand.
MAX_LENGTH = 10_000
MAX_TERMS = 100
MAX_NESTING = 20


class _Parser:
    def __init__(self, text: str) -> None:
        if len(text) > MAX_LENGTH:
            raise SelectorSyntaxError(
                MAX_LENGTH, f"结尾 (选择器至多 {MAX_LENGTH} 个字符)", found=text[MAX_LENGTH])
        self.tokens = list(tokenize(text))
        self.index = 0
        self.terms = 0
        self.nesting = 0

    @property
    def token(self) -> Token:
        return self.tokens[self.index]

    def peek(self, ahead: int = 1) -> Token:
        return self.tokens[min(self.index + ahead, len(self.tokens) - 1)]

    def advance(self) -> Token:
        token = self.token
        self.index += 1
        return token

    def fail(self, expected: str, token: Token | None = None) -> SelectorSyntaxError:
        token = token or self.token
        found = None if token.kind == "end" else token.text
        return SelectorSyntaxError(token.position, expected, found=found)

    def selector(self) -> Expr:
        expr = self.expr()
        if self.token.kind == ")":
            raise SelectorSyntaxError(
                self.token.position, "运算符或结尾 (多余的 ')')", found=")",
                message=f"第 {self.token.position + 1} 个字符处多了一个 ')'，前面没有与之配对的 '('")
        if self.token.kind != "end":
            raise self.fail(EXPECT_OPERATOR + " 或结尾")
        return expr

    def expr(self) -> Expr:
        expr = self.conjunction()
        while self.token.kind in ("+", "-", "not"):
            op = self.advance()
            right = self.conjunction()
            expr = Union(expr, right) if op.kind == "+" else Exclude(expr, right)
        return expr

    def conjunction(self) -> Expr:
        expr = self.term()
        while self.token.kind == "and":
            self.advance()
            if self.token.kind == "not":  # "A and not B" is A - B
                self.advance()
                expr = Exclude(expr, self.term())
            else:
                expr = Intersect(expr, self.term())
        return expr

    def term(self) -> Expr:
        token = self.token
        if token.kind == "(":
            self.nesting += 1
            if self.nesting > MAX_NESTING:
                raise self.fail(f"条件 (括号至多嵌套 {MAX_NESTING} 层)")
            self.advance()
            inner = self.expr()
            self.nesting -= 1
            if self.token.kind != ")":
                if self.token.kind == "end":
                    raise SelectorSyntaxError(
                        self.token.position, "')'",
                        message=f"第 {self.token.position + 1} 个字符处缺少 ')'，"
                                f"第 {token.position + 1} 个字符处的 '(' 没有闭合")
                raise self.fail(EXPECT_OPERATOR + " 或 ')'")
            self.advance()
            if self.token.kind in ("word", "string", "("):
                # Side by side with a group would be an implicit intersection: ask for "and".
                raise self.fail(EXPECT_OPERATOR + "、')' 或结尾 (括号后要同时满足的条件请用 and 连接)")
            return inner
        if token.kind == "not":
            raise SelectorSyntaxError(
                token.position, EXPECT_TERM, found=token.text,
                message=f"第 {token.position + 1} 个字符处: {token.text} 表示除去, 应紧接在要从中除去的条件之后, "
                        f"如 'duty:河长 {token.text} duty:村党支部书记' 或 '… and {token.text} …'")
        if token.kind == "end":
            raise SelectorSyntaxError(
                token.position, EXPECT_TERM,
                message=f"第 {token.position + 1} 个字符处缺少条件 (如 duty:河长、under:衢州市、岗位编码)")
        if token.kind not in ("word", "string"):
            raise self.fail(EXPECT_TERM)
        self.terms += 1
        if self.terms > MAX_TERMS:
            raise self.fail(f"结尾 (至多 {MAX_TERMS} 项)")
        filters: list[Filter] = []
        while self.token.kind in ("word", "string"):
            filters.append(self.item())
        if self.token.kind == "(":
            raise self.fail(EXPECT_OPERATOR + " 或结尾 (条件后不能直接接括号)")
        return _check_term(filters, token.position)

    def item(self) -> Filter:
        first = self.token
        if first.kind == "word" and self.peek().kind == ":":
            key = KEYS.get(first.text.lower())
            if key is None:
                raise SelectorSyntaxError(first.position, EXPECT_KEY, found=first.text)
            self.advance()
            self.advance()
            values = self.values()
            return _make_filter(key, values, first.position)
        value = self.advance()
        return Posts((_post_ref(value),), position=value.position)

    def values(self) -> list[Token]:
        values = [self.value()]
        while self.token.kind == ",":
            self.advance()
            values.append(self.value())
        return values

    def value(self) -> Token:
        token = self.token
        # "duty: under:x" forgot the value: say so at the next key, not at the colon after it.
        forgotten = token.kind == "word" and self.peek().kind == ":" and token.text.lower() in KEYS
        if token.kind in OPERATOR_KINDS and token.text.lower() in OPERATOR_WORDS:
            raise SelectorSyntaxError(
                token.position, EXPECT_VALUE, found=token.text,
                message=f"第 {token.position + 1} 个字符处缺少取值 ({token.text!r} 是运算符; "
                        f"要把它当作取值, 请加引号: \"{token.text}\")")
        if token.kind not in ("word", "string") or forgotten:
            raise self.fail(EXPECT_VALUE)
        return self.advance()


def _make_filter(key: str, values: list[Token], position: int) -> Filter:
    if key == "post":
        return Posts(tuple(_post_ref(v) for v in values), position=position)
    if key == "level":
        levels: list[Level] = []
        for value in values:
            level = parse_level(value.text)
            if level is None:
                raise SelectorSyntaxError(value.position, EXPECT_LEVEL, found=value.text)
            if level not in levels:
                levels.append(level)
        return Levels(tuple(levels), position=position)
    if key == "depth":
        if len(values) != 1:
            raise SelectorSyntaxError(values[1].position, EXPECT_DEPTH + " (只能有一个)",
                                      found=values[1].text)
        text = values[0].text.strip()
        if not (text.isascii() and text.isdigit()):
            raise SelectorSyntaxError(values[0].position, EXPECT_DEPTH, found=values[0].text)
        return Depth(int(text), position=position)
    names = tuple(Name(v.text.strip(), v.position) for v in values)
    for name in names:
        if not name.text:
            raise SelectorSyntaxError(name.position, EXPECT_VALUE, found='""')
    return _NAME_FILTERS[key](names, position=position)


def _post_ref(token: Token) -> PostRef:
    text = token.text.strip()
    if "/" not in text:
        if not text:
            raise SelectorSyntaxError(token.position, EXPECT_VALUE, found=token.text)
        return PostRef(code=text, position=token.position)
    names: list[Name] = []
    offset = token.position + (1 if token.kind == "string" else 0)
    for segment in token.text.split("/"):
        if not segment.strip():
            raise SelectorSyntaxError(offset, EXPECT_PATH, found=token.text)
        names.append(Name(segment.strip(), offset))
        offset += len(segment) + 1
    if len(names) > 3:
        raise SelectorSyntaxError(names[3].position - 1, EXPECT_PATH, found=token.text)
    department = names[1] if len(names) == 3 else None
    return PostRef(unit=names[0], department=department, title=names[-1],
                   position=token.position)


def _check_term(filters: list[Filter], position: int) -> Term:
    term = Term(tuple(filters), position)
    depths = [f for f in filters if isinstance(f, Depth)]
    if len(depths) > 1:
        raise SelectorSyntaxError(depths[1].position, "每项至多一个 depth:", found="depth")
    if depths and not any(isinstance(f, Under) for f in filters):
        raise SelectorSyntaxError(
            depths[0].position, "同一项中的 under: 条件",
            message=f"第 {depths[0].position + 1} 个字符处: depth 是相对 under 单位的层数, "
                    "应在同一项中给出 under: 条件",
        )
    if term.kind == "enterprise":
        for f in filters:
            if not isinstance(f, ENTERPRISE_FILTERS + SHARED_FILTERS):
                raise SelectorSyntaxError(
                    f.position, "企业条件 (vo:、group:、under:)",
                    message=f"第 {f.position + 1} 个字符处: {f.key}: 是岗位条件, 不能与 vo:/group: "
                            "写在同一项中; 请用 '+' 分成两项",
                )
    return term


def parse(text: str) -> Selector:
    """Parse selector ``text``; raises :class:`SelectorSyntaxError` naming position and expectation."""
    if not isinstance(text, str):
        raise TypeError("selector text must be str")
    return Selector(_Parser(text).selector(), text)
