"""Turning the names in a selector into rows: units, virtual organisations and groups.

All names of a kind are looked up in one query. Duty values are expanded through the
``duty_aliases`` table (村支书 → 村党支部书记). A bare word that is no post code but is a duty
tag, an alias, a post title or a unit raises :class:`UnknownName` suggesting what was meant
(``是否指 duty:村党支部书记?``): it would otherwise select nothing without saying why. A unit is a 12-digit division code or a full
name (衢州市); a virtual organisation or group is a code or a name, and a group may be written
``VO/GROUP`` to pick it inside one virtual organisation. A name that matches nothing, or more
than one thing, raises :class:`UnknownName` / :class:`AmbiguousName` with the position.

Unit names are found through the indexed ``name_pinyin`` column (the importer fills it with
:func:`orgchart.pinyin.search_keys`), falling back to a scan of ``name`` only for what that
misses, so the usual case never scans the 25,000 units.
"""
from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field

from sqlalchemy import ColumnElement, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from orgchart import models as m
from orgchart.pinyin import search_keys
from orgchart.selectors.errors import AmbiguousName, UnknownName
from orgchart.selectors.nodes import (
    Duties,
    Groups,
    Name,
    Officers,
    Posts,
    Selector,
    Under,
    VirtualOrgs,
    quote,
)

_units = m.OrgUnit.__table__
_posts = m.Post.__table__
_duties = m.PostDuty.__table__
_aliases = m.DutyAlias.__table__
_vos = m.VirtualOrg.__table__
_groups = m.VirtualGroup.__table__


@dataclass(frozen=True)
class Unit:
    id: int
    code: str
    name: str
    level: int
    path: str


@dataclass(frozen=True)
class Group:
    id: int
    code: str
    name: str
    path: str
    virtual_org_id: int


@dataclass(frozen=True)
class Org:
    id: int
    code: str
    name: str


@dataclass
class Resolved:
    """What each name in a selector refers to, keyed by the name's text."""

    units: dict[str, Unit] = field(default_factory=dict)
    #: ``vo:`` values: an organisation, or a group when written ``VO/GROUP``.
    orgs: dict[str, Org | Group] = field(default_factory=dict)
    groups: dict[str, Group] = field(default_factory=dict)
    #: ``officers:`` values: a virtual organisation or a group.
    officer_scopes: dict[str, Org | Group] = field(default_factory=dict)
    #: ``duty:`` values that are aliases, to the tags they stand for.
    aliases: dict[str, tuple[str, ...]] = field(default_factory=dict)
    #: Bare words (post codes) that are no post's code and name nothing else either.
    unknown_codes: set[str] = field(default_factory=set)

    def duty_tags(self, texts: list[str]) -> list[str]:
        """The tags ``duty:`` values match: each value itself and what it is an alias of."""
        tags: list[str] = []
        for text in texts:
            for tag in (text, *self.aliases.get(text, ())):
                if tag not in tags:
                    tags.append(tag)
        return tags


def word_values(selector: Selector) -> tuple[set[str], list[Name]]:
    """The selector's ``duty:`` values, and its bare words (post codes) with their positions."""
    duty_values = {n.text for term in selector.terms() for f in term.filters
                   if isinstance(f, Duties) for n in f.names}
    bare = [Name(ref.code, ref.position) for term in selector.terms() for f in term.filters
            if isinstance(f, Posts) for ref in f.refs if ref.code is not None]
    return duty_values, bare


async def resolve_words(session: AsyncSession, selector: Selector, resolved: Resolved) -> None:
    """Fill in the aliases of the ``duty:`` values, and check the bare words (which raises
    :class:`UnknownName` for one that meant a duty, title or unit)."""
    duty_values, bare = word_values(selector)
    if not duty_values and not bare:
        return
    aliases = await load_aliases(session, duty_values | {n.text for n in bare})
    if bare:
        resolved.unknown_codes = await _check_bare_words(session, bare, aliases)
    resolved.aliases = {word: tags for word, tags in aliases.items() if word in duty_values}


async def resolve_names(session: AsyncSession, selector: Selector, *, words: bool = True) -> Resolved:
    """Look every name of ``selector`` up. ``words=False`` leaves the aliases and the bare-word
    check to the caller (:func:`resolve_words`), which the resolver does only when needed."""
    unit_names: list[Name] = []
    org_names: list[Name] = []
    group_names: list[Name] = []
    officer_names: list[Name] = []
    for term in selector.terms():
        for f in term.filters:
            if isinstance(f, Under):
                unit_names.extend(f.names)
            elif isinstance(f, Posts):
                unit_names.extend(ref.unit for ref in f.refs if ref.unit is not None)
            elif isinstance(f, VirtualOrgs):
                org_names.extend(f.names)
            elif isinstance(f, Groups):
                group_names.extend(f.names)
            elif isinstance(f, Officers):
                officer_names.extend(f.names)
    resolved = Resolved()
    if words:
        await resolve_words(session, selector, resolved)
    if unit_names:
        resolved.units = await _resolve_units(session, unit_names)
    if org_names or group_names or officer_names:
        await _resolve_virtual(session, org_names, group_names, officer_names, resolved)
    return resolved


async def load_aliases(session: AsyncSession, words: set[str]) -> dict[str, tuple[str, ...]]:
    """The aliases among ``words``, each to its tags (in tag order)."""
    stmt = (select(_aliases.c.alias, _aliases.c.tag).where(_aliases.c.alias.in_(words))
            .order_by(_aliases.c.alias, _aliases.c.tag))
    found: dict[str, list[str]] = defaultdict(list)
    for alias, tag in (await session.execute(stmt)).all():
        found[alias].append(tag)
    return {alias: tuple(tags) for alias, tags in found.items()}


async def _check_bare_words(session: AsyncSession, words: list[Name],
                            aliases: dict[str, tuple[str, ...]]) -> set[str]:
    """Refuse a bare word that is no post code but names a duty, title or unit, saying so;
    return the words that name nothing at all."""
    texts = {n.text for n in words}
    codes = set((await session.execute(select(_posts.c.code).where(_posts.c.code.in_(texts))))
                .scalars())
    missing = texts - codes
    if not missing:
        return set()
    tags = set((await session.execute(
        select(_duties.c.tag).distinct().where(_duties.c.tag.in_(missing)))).scalars())
    titles = set((await session.execute(
        select(_posts.c.title).distinct().where(_posts.c.title.in_(missing)))).scalars())
    unit_rows = await session.execute(
        select(_units.c.name).where(_units.c.name_pinyin.in_({search_keys(w)[0] for w in missing}),
                                    _units.c.name.in_(missing)))
    units = set(unit_rows.scalars())
    for name in words:
        if name.text not in missing:
            continue
        meant = []
        if name.text in tags or name.text in aliases:
            meant.append(f"duty:{quote(name.text)}")
        if name.text in titles:
            meant.append(f"title:{quote(name.text)}")
        if name.text in units:
            meant.append(f"under:{quote(name.text)}")
        if meant:
            raise UnknownName(
                name.position, name.text,
                f"第 {name.position + 1} 个字符处: 没有编码为 {name.text!r} 的岗位 (不带条件名的词是岗位编码或路径); "
                f"是否指 {' 或 '.join(meant)}?",
                meant,
            )
    return missing


async def _resolve_units(session: AsyncSession, names: list[Name]) -> dict[str, Unit]:
    codes = {n.text for n in names if len(n.text) == 12 and n.text.isascii() and n.text.isdigit()}
    words = {n.text for n in names} - codes
    columns = (_units.c.id, _units.c.code, _units.c.name, _units.c.level, _units.c.path)
    found: dict[str, list[Unit]] = defaultdict(list)
    conditions: list[ColumnElement[bool]] = []
    if codes:
        conditions.append(_units.c.code.in_(codes))
    if words:
        pinyins = {search_keys(w)[0] for w in words}
        conditions.append(_units.c.name_pinyin.in_(pinyins) & _units.c.name.in_(words))
    for row in (await session.execute(select(*columns).where(or_(*conditions)))).all():
        unit = Unit(*row)
        if unit.code in codes:
            found[unit.code].append(unit)
        if unit.name in words:
            found[unit.name].append(unit)
    missing = words - found.keys()
    if missing:  # pinyin of an unusual character may differ from what was stored: scan
        rows = await session.execute(select(*columns).where(_units.c.name.in_(missing)))
        for row in rows.all():
            found[row.name].append(Unit(*row))
    result: dict[str, Unit] = {}
    for name in names:
        units = {u.id: u for u in found.get(name.text, [])}
        if len(units) == 1:
            result[name.text] = next(iter(units.values()))
        elif units:
            candidates = [f"{u.name} ({u.code})" for u in sorted(units.values(), key=lambda u: u.code)]
            raise AmbiguousName(
                name.position, name.text,
                f"第 {name.position + 1} 个字符处: 单位名称 {name.text!r} 有 {len(units)} 个同名单位, "
                f"请改用 12 位行政区划代码: {'、'.join(candidates[:10])}",
                candidates,
            )
        else:
            hint = await _unit_suggestions(session, name.text) if name.text not in codes else []
            tail = f"; 是否指: {'、'.join(hint)}" if hint else ""
            raise UnknownName(
                name.position, name.text,
                f"第 {name.position + 1} 个字符处: 未找到单位 {name.text!r} "
                f"(请写 12 位行政区划代码或单位全称){tail}",
                hint,
            )
    return result


async def _unit_suggestions(session: AsyncSession, text: str) -> list[str]:
    """Units whose full pinyin starts with that of ``text`` ("衢州" → 衢州市), for the error."""
    pinyin = search_keys(text)[0]
    if not pinyin:
        return []
    stmt = (select(_units.c.name, _units.c.code)
            .where(_units.c.name_pinyin >= pinyin, _units.c.name_pinyin < pinyin + "{")
            .order_by(_units.c.level, _units.c.code).limit(5))
    return [f"{name} ({code})" for name, code in (await session.execute(stmt)).all()]


async def _resolve_virtual(session: AsyncSession, org_names: list[Name], group_names: list[Name],
                           officer_names: list[Name], resolved: Resolved) -> None:
    # ``VO/GROUP`` qualifies a group by its virtual organisation, in any of the three filters.
    split = {n.text: n.text.split("/", 1) if "/" in n.text else [None, n.text]
             for n in org_names + group_names + officer_names}
    org_words = {q for q, _ in split.values() if q}
    org_words |= {n.text for n in org_names + officer_names if split[n.text][0] is None}
    group_words = {g for q, g in split.values() if q} | {n.text for n in group_names + officer_names}
    orgs: list[Org] = []
    if org_words:
        stmt = select(_vos.c.id, _vos.c.code, _vos.c.name).where(
            or_(_vos.c.code.in_(org_words), _vos.c.name.in_(org_words)))
        orgs = [Org(*row) for row in (await session.execute(stmt)).all()]
    groups: list[Group] = []
    if group_words:
        stmt = select(_groups.c.id, _groups.c.code, _groups.c.name, _groups.c.path,
                      _groups.c.virtual_org_id).where(
            or_(_groups.c.code.in_(group_words), _groups.c.name.in_(group_words)))
        groups = [Group(*row) for row in (await session.execute(stmt)).all()]

    for name in org_names:
        if split[name.text][0] is None:
            resolved.orgs[name.text] = _pick(name, _matches(orgs, name.text), "虚拟组织")
        else:
            resolved.orgs[name.text] = _pick(name, _group_matches(name, split, orgs, groups), "分组")
    for name in group_names:
        resolved.groups[name.text] = _pick(name, _group_matches(name, split, orgs, groups), "分组")
    for name in officer_names:
        candidates: list[Org | Group] = list(_group_matches(name, split, orgs, groups))
        if split[name.text][0] is None:
            candidates = _matches(orgs, name.text) + candidates
        resolved.officer_scopes[name.text] = _pick(name, candidates, "虚拟组织或分组")


def _matches(items: list, text: str) -> list:
    # An exact code wins over a name: codes are unique, names need not be.
    by_code = [item for item in items if item.code == text]
    return by_code or [item for item in items if item.name == text]


def _group_matches(name: Name, split: dict, orgs: list[Org], groups: list[Group]) -> list[Group]:
    qualifier, word = split[name.text]
    candidates = _matches(groups, word)
    if qualifier is not None:
        org = _pick(Name(qualifier, name.position), _matches(orgs, qualifier), "虚拟组织")
        candidates = _matches([g for g in groups if g.virtual_org_id == org.id], word)
    return candidates


def _pick(name: Name, candidates: list, what: str):
    # Keyed by type as well: an organisation and a group may share an id.
    unique = {(type(item), item.id): item for item in candidates}
    if len(unique) == 1:
        return next(iter(unique.values()))
    if not unique:
        raise UnknownName(name.position, name.text,
                          f"第 {name.position + 1} 个字符处: 未找到{what} {name.text!r} (请写编码或名称)")
    labels = [f"{item.name} ({item.code})" for item in sorted(unique.values(), key=lambda i: i.code)]
    raise AmbiguousName(
        name.position, name.text,
        f"第 {name.position + 1} 个字符处: {what}名称 {name.text!r} 不唯一, 请改用编码: {'、'.join(labels)}",
        labels,
    )
