"""The selector syntax tree: frozen dataclasses, built by the parser and read by the resolver.

A selector is an expression over *terms*. A term is a conjunction of filters (every filter
must hold) and denotes either posts or enterprises; ``+`` (``or``) unites and ``-`` (``not``)
excludes, left to right; ``and`` intersects and binds tighter. Positions are kept for error messages but do not take part in equality, so two
selectors that mean the same thing compare equal however they were spaced.

``str(node)`` gives the canonical text, which parses back to an equal tree.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field

from orgchart.codes import Level

# Characters that end a bare word; a value holding one of them must be quoted.
WORD_STOP = set(' \t\r\n()+|,:"')
#: Words (any case) that are operators, and the token kind each stands for: a value spelt
#: like one must be quoted.
OPERATOR_WORDS = {"or": "+", "或": "+", "and": "and", "且": "and", "not": "not", "非": "not"}
_LEVEL_KEYWORD = {level: level.name.lower() for level in Level}


def quote(text: str) -> str:
    """``text`` as typed in a selector: bare when it can be, quoted otherwise."""
    if text and not text.startswith("-") and not (set(text) & WORD_STOP) \
            and not re.search(r"\s", text) and text.lower() not in OPERATOR_WORDS:
        return text
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


@dataclass(frozen=True)
class Name:
    """A value as the user typed it: a unit, tag, type, title or virtual-org reference."""

    text: str
    position: int = field(default=0, compare=False)

    def __str__(self) -> str:
        return quote(self.text)


@dataclass(frozen=True)
class PostRef:
    """One post: by its code, or by the path ``unit/title`` or ``unit/department/title``.

    The department segment matches a department's name, code or type inside the unit.
    """

    code: str | None = None
    unit: Name | None = None
    department: Name | None = None
    title: Name | None = None
    position: int = field(default=0, compare=False)

    def __str__(self) -> str:
        if self.code is not None:
            return quote(self.code)
        parts = [self.unit, self.department, self.title]
        return quote("/".join(p.text for p in parts if p is not None))


# --- Filters: each knows its key and prints itself --------------------------------------------


@dataclass(frozen=True)
class Filter:
    position: int = field(default=0, compare=False, kw_only=True)
    key = ""

    def values_text(self) -> list[str]:
        raise NotImplementedError

    def __str__(self) -> str:
        return f"{self.key}:{','.join(self.values_text())}"


@dataclass(frozen=True)
class Posts(Filter):
    """``post:CODE`` or ``post:unit/dept/title`` (a bare word means the same)."""

    refs: tuple[PostRef, ...]
    key = "post"

    def values_text(self) -> list[str]:
        return [str(ref) for ref in self.refs]


@dataclass(frozen=True)
class _Names(Filter):
    names: tuple[Name, ...]

    def values_text(self) -> list[str]:
        return [str(name) for name in self.names]

    @property
    def texts(self) -> list[str]:
        return [name.text for name in self.names]


@dataclass(frozen=True)
class Duties(_Names):
    """``duty:TAG[,TAG…]``: posts carrying any of the duty tags."""

    key = "duty"


@dataclass(frozen=True)
class DeptTypes(_Names):
    """``dept:TYPE[,TYPE…]``: posts in a department of any of the types (税务局 …)."""

    key = "dept"


@dataclass(frozen=True)
class Titles(_Names):
    """``title:TITLE[,TITLE…]``: posts with any of the titles (局长 …)."""

    key = "title"


@dataclass(frozen=True)
class Under(_Names):
    """``under:UNIT[,UNIT…]``: the subtree of any unit (code or name), the unit included."""

    key = "under"


@dataclass(frozen=True)
class VirtualOrgs(_Names):
    """``vo:ORG[,ORG…]``: member enterprises of any of the virtual organisations."""

    key = "vo"


@dataclass(frozen=True)
class Groups(_Names):
    """``group:GROUP[,GROUP…]``: member enterprises of the groups and their sub-groups."""

    key = "group"


@dataclass(frozen=True)
class Officers(_Names):
    """``officers:ORG_OR_GROUP[,…]``: the officer posts assigned to those members."""

    key = "officers"


@dataclass(frozen=True)
class Levels(Filter):
    """``level:LEVEL[,LEVEL…]``: posts of units at any of the levels."""

    levels: tuple[Level, ...]
    key = "level"

    def values_text(self) -> list[str]:
        return [_LEVEL_KEYWORD[level] for level in self.levels]


@dataclass(frozen=True)
class Depth(Filter):
    """``depth:N``: at most N levels below the ``under`` unit (0 = the unit itself)."""

    depth: int
    key = "depth"

    def values_text(self) -> list[str]:
        return [str(self.depth)]


#: Filters that make a term address enterprises rather than posts.
ENTERPRISE_FILTERS = (VirtualOrgs, Groups)
#: Filters allowed in an enterprise term besides the enterprise filters (``under`` = region).
SHARED_FILTERS = (Under,)


# --- Expressions --------------------------------------------------------------------------


@dataclass(frozen=True)
class Term:
    """Filters that must all hold. ``kind`` is "enterprise" when it names a virtual org."""

    filters: tuple[Filter, ...]
    position: int = field(default=0, compare=False)

    @property
    def kind(self) -> str:
        if any(isinstance(f, ENTERPRISE_FILTERS) for f in self.filters):
            return "enterprise"
        return "post"

    def __str__(self) -> str:
        return " ".join(str(f) for f in self.filters)


@dataclass(frozen=True)
class Union:
    """``left + right``: everything either side selects."""

    left: Expr
    right: Expr

    def __str__(self) -> str:
        return f"{self.left} + {_operand(self.right)}"


@dataclass(frozen=True)
class Exclude:
    """``left - right``: what the left selects that the right does not."""

    left: Expr
    right: Expr

    def __str__(self) -> str:
        return f"{self.left} - {_operand(self.right)}"


@dataclass(frozen=True)
class Intersect:
    """``left and right``: what both sides select; binds tighter than ``+`` and ``-``."""

    left: Expr
    right: Expr

    def __str__(self) -> str:
        left = self.left if isinstance(self.left, (Term, Intersect)) else f"({self.left})"
        right = self.right if isinstance(self.right, Term) else f"({self.right})"
        return f"{left} and {right}"


Expr = Term | Union | Exclude | Intersect


def _operand(expr: Expr) -> str:
    # ``+``/``-`` are left-associative and ``and`` binds tighter, so only a right operand
    # made with ``+``/``-`` needs parentheses.
    return str(expr) if isinstance(expr, (Term, Intersect)) else f"({expr})"


@dataclass(frozen=True)
class Selector:
    """A parsed selector: the tree and the text it came from."""

    expr: Expr
    text: str = field(default="", compare=False)

    def __str__(self) -> str:
        return str(self.expr)

    def terms(self) -> list[Term]:
        """Every term, left to right."""
        found: list[Term] = []
        stack: list[Expr] = [self.expr]
        while stack:
            node = stack.pop()
            if isinstance(node, Term):
                found.append(node)
            else:
                stack.extend((node.right, node.left))
        return found
