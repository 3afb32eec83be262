"""Compiling a selector tree into SQL: one ``SELECT id`` for posts and one for enterprises.

Every term becomes a single set-based ``SELECT`` driven by the most selective index:

- a duty term scans ``post_duties`` on ``(tag, unit_path)`` — the denormalised path and level
  make "every village party secretary under Quzhou" one index range;
- a department-type term scans ``posts`` on ``(level, dept_type, unit_path)``;
- post codes use the unique index; paths use ``posts.org_unit_id``;
- an enterprise term scans ``virtual_memberships`` by organisation or by group, groups found
  through the materialised ``/id/id/`` path range.

Subtrees are half-open ranges ``[path, path + ':')`` so both SQLite and PostgreSQL use their
B-trees (the PostgreSQL database must use the C collation, as ``docs/selectors.md`` says).
``+``, ``-`` and ``and`` become ``UNION``, ``EXCEPT`` and ``INTERSECT``; a compound inside another is wrapped as a
derived table because SQLite refuses parenthesised compound members.
"""
from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import (
    ColumnElement,
    FromClause,
    Select,
    and_,
    except_,
    false,
    intersect,
    or_,
    select,
    true,
    union,
)
from sqlalchemy.sql.selectable import CompoundSelect

from orgchart import models as m
from orgchart.codes import path_upper_bound
from orgchart.selectors.names import Group, Org, Resolved, Unit
from orgchart.selectors.nodes import (
    Depth,
    DeptTypes,
    Duties,
    Exclude,
    Expr,
    Groups,
    Intersect,
    Levels,
    Officers,
    PostRef,
    Posts,
    Term,
    Titles,
    Under,
    Union,
    VirtualOrgs,
)

posts = m.Post.__table__
duties = m.PostDuty.__table__
departments = m.Department.__table__
memberships = m.VirtualMembership.__table__
groups = m.VirtualGroup.__table__
enterprises = m.Enterprise.__table__

IdSelect = Select | CompoundSelect


@dataclass
class Compiled:
    """The selected posts and enterprises (None: the selector names none of that kind).

    ``posts`` selects ``id`` and ``path`` (the post's unit path), one row per post;
    ``enterprises`` selects ``id``, one row per enterprise.
    """

    posts: IdSelect | None = None
    enterprises: IdSelect | None = None
    #: Virtual organisations the selector names, to show each enterprise's membership in them.
    org_ids: set[int] = field(default_factory=set)


def compile_selector(expr: Expr, names: Resolved, *, enterprise_view: bool) -> Compiled:
    compiler = _Compiler(names, enterprise_view)
    result = compiler.expr(expr)
    if enterprise_view:
        # External users see only posts serving enterprises, and never other enterprises.
        result.enterprises = None
    result.org_ids = compiler.org_ids
    return result


def _operand(sel: IdSelect) -> IdSelect:
    if isinstance(sel, CompoundSelect):
        sub = sel.subquery()
        return select(*sub.c)
    return sel


def _union(a: IdSelect | None, b: IdSelect | None) -> IdSelect | None:
    if a is None or b is None:
        return a if b is None else b
    if isinstance(a, CompoundSelect) and a.keyword.value == "UNION":
        # a + b + c is one flat UNION, not a tower of nested derived tables.
        return union(*a.selects, _operand(b))
    return union(_operand(a), _operand(b))


def _except(a: IdSelect | None, b: IdSelect | None) -> IdSelect | None:
    if a is None or b is None:
        return a
    return except_(_operand(a), _operand(b))


def _intersect(a: IdSelect | None, b: IdSelect | None) -> IdSelect | None:
    if a is None or b is None:
        return None  # nothing of this kind on one side: nothing in common
    return intersect(_operand(a), _operand(b))


_COMBINE = {Union: _union, Exclude: _except, Intersect: _intersect}


def subtree(path_col, level_col, units: list[Unit], depth: int | None) -> ColumnElement[bool]:
    """Rows whose unit lies in any of ``units``' subtrees, at most ``depth`` levels down."""
    parts = []
    for unit in units:
        cond = and_(path_col >= unit.path, path_col < path_upper_bound(unit.path))
        if depth is not None:
            cond = and_(cond, level_col <= unit.level + depth)
        parts.append(cond)
    return or_(*parts)


def group_subtree(group: Group) -> ColumnElement[bool]:
    """The group and its nested sub-groups: paths ``/1/5/…`` start with the group's path."""
    # Paths end in '/', and '0' is the character right after it.
    return and_(groups.c.path >= group.path, groups.c.path < group.path[:-1] + "0")


class _Compiler:
    def __init__(self, names: Resolved, enterprise_view: bool) -> None:
        self.names = names
        self.enterprise_view = enterprise_view
        self.org_ids: set[int] = set()

    def expr(self, node: Expr) -> Compiled:
        if isinstance(node, Term):
            if node.kind == "enterprise":
                return Compiled(enterprises=self.enterprise_term(node))
            return Compiled(posts=self.post_term(node))
        left, right = self.expr(node.left), self.expr(node.right)
        combine = _COMBINE[type(node)]
        return Compiled(posts=combine(left.posts, right.posts),
                        enterprises=combine(left.enterprises, right.enterprises))

    # --- posts --------------------------------------------------------------------------

    def post_term(self, term: Term) -> Select:
        filters = term.filters
        duty_filters = [f for f in filters if isinstance(f, Duties)]
        depth = next((f.depth for f in filters if isinstance(f, Depth)), None)
        first = duty_filters[0] if duty_filters else None
        drive: FromClause
        if first is not None:
            # Drive from the duty index; path and level are on post_duties too.
            drive = duties.alias("d")
            id_col, path_col, level_col = drive.c.post_id, drive.c.unit_path, drive.c.level
            first_tags = self.names.duty_tags(first.texts)
            where: list[ColumnElement[bool]] = [drive.c.tag.in_(first_tags)]
            distinct = len(first_tags) > 1
        else:
            drive = posts
            id_col, path_col, level_col = posts.c.id, posts.c.unit_path, posts.c.level
            where = []
            distinct = False
        post_where: list[ColumnElement[bool]] = []  # conditions needing the posts row

        for f in filters:
            if isinstance(f, Duties) and f is not first:
                other = duties.alias()
                where.append(id_col.in_(select(other.c.post_id).where(other.c.tag.in_(self.names.duty_tags(f.texts)))))
            elif isinstance(f, Under):
                units = [self.names.units[n.text] for n in f.names]
                where.append(subtree(path_col, level_col, units, depth))
            elif isinstance(f, Levels):
                where.append(level_col.in_([int(level) for level in f.levels]))
            elif isinstance(f, DeptTypes):
                post_where.append(posts.c.dept_type.in_(f.texts))
            elif isinstance(f, Titles):
                post_where.append(posts.c.title.in_(f.texts))
            elif isinstance(f, Posts):
                post_where.append(or_(*(self.post_ref(ref) for ref in f.refs)))
            elif isinstance(f, Officers):
                post_where.append(posts.c.id.in_(self.officer_posts(f)))
        if self.enterprise_view:
            post_where.append(posts.c.serves_enterprises == true())

        # The path comes along so that a page can be ordered by the driving index.
        stmt = select(id_col.label("id"), path_col.label("path"))
        if post_where and drive is not posts:
            stmt = stmt.select_from(drive.join(posts, posts.c.id == id_col))
        else:
            stmt = stmt.select_from(drive)
        stmt = stmt.where(*where, *post_where)
        return stmt.distinct() if distinct else stmt

    def post_ref(self, ref: PostRef) -> ColumnElement[bool]:
        if ref.code is not None:
            return posts.c.code == ref.code
        assert ref.unit is not None and ref.title is not None
        unit = self.names.units[ref.unit.text]
        cond = and_(posts.c.org_unit_id == unit.id, posts.c.title == ref.title.text)
        if ref.department is not None:
            word = ref.department.text
            in_unit = select(departments.c.id).where(
                departments.c.org_unit_id == unit.id,
                or_(departments.c.name == word, departments.c.code == word,
                    departments.c.dept_type == word),
            )
            cond = and_(cond, posts.c.department_id.in_(in_unit))
        return cond

    def officer_posts(self, f: Officers) -> Select:
        scopes = [self.names.officer_scopes[n.text] for n in f.names]
        return select(memberships.c.officer_post_id).where(
            memberships.c.officer_post_id.is_not(None), self.members_of(scopes))

    @staticmethod
    def members_of(scopes: list[Org | Group]) -> ColumnElement[bool]:
        """Memberships in any of the organisations, or groups with their sub-groups."""
        org_ids = [s.id for s in scopes if isinstance(s, Org)]
        in_groups = [s for s in scopes if isinstance(s, Group)]
        conditions = []
        if org_ids:
            conditions.append(memberships.c.virtual_org_id.in_(org_ids))
        if in_groups:
            conditions.append(memberships.c.group_id.in_(
                select(groups.c.id).where(or_(*(group_subtree(g) for g in in_groups)))))
        return or_(*conditions)

    # --- enterprises --------------------------------------------------------------------

    def enterprise_term(self, term: Term) -> Select:
        where: list[ColumnElement[bool]] = []
        reachable: set[int] | None = None  # the virtual orgs this term can reach
        for f in term.filters:
            if isinstance(f, (VirtualOrgs, Groups)):
                table = self.names.orgs if isinstance(f, VirtualOrgs) else self.names.groups
                where.append(self.members_of([table[n.text] for n in f.names]))
                ids = {s.id if isinstance(s, Org) else s.virtual_org_id
                       for s in (table[n.text] for n in f.names)}
                reachable = ids if reachable is None else reachable & ids
            elif isinstance(f, Under):
                units = [self.names.units[n.text] for n in f.names]
                region = subtree(enterprises.c.region_path, None, units, None)
                where.append(memberships.c.enterprise_id.in_(select(enterprises.c.id).where(region)))
        if reachable is not None and not reachable:
            where.append(false())
        self.org_ids |= reachable or set()
        stmt = select(memberships.c.enterprise_id.label("id")).where(*where)
        # One membership per (organisation, enterprise): one organisation cannot repeat a row.
        return stmt if reachable is not None and len(reachable) == 1 else stmt.distinct()
