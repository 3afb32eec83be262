"""The importer's validation: one pass that normalises and indexes, then the cross-record checks.

:class:`Collector` sees each record once, as the file streams by: it normalises the record
(:mod:`orgchart.io.importer_rows`), writes the row to the :class:`~orgchart.io.importer_spool.Spool`
and keeps only what the checks need — compact per-kind indexes of the keys (a division code's
level, a department's unit and parent, a post's supervisor, mobiles as integers) and, for the
kinds nothing refers to (holdings, members), the hashes of their keys. A key seen again is only
*suspected* repeated (a hash may collide): :meth:`Collector.duplicates` confirms it by reading
that kind back from the spool, which also finds where the first one was.

:func:`check_references` then reads the spooled rows back and checks every reference against
the whole file and the database (:class:`~orgchart.io.importer_snapshot.Snapshot`), so records
may come in any order.
"""
from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from orgchart.codes import division_level, parent_division
from orgchart.io import importer_rows as rows_
from orgchart.io.importer_snapshot import Snapshot, mobile_key
from orgchart.io.importer_spool import Spool

#: The fields that make up each kind's key (the normalisers' keys, rebuilt from a row).
KEY_FIELDS: dict[str, tuple[str, ...]] = {
    "unit": ("code",), "department": ("code",), "post": ("code",), "person": ("mobile",),
    "holding": ("post", "mobile", "start"), "enterprise": ("credit_code",),
    "enterprise_member": ("credit_code", "mobile"), "virtual_org": ("code",),
    "virtual_group": ("code",), "virtual_member": ("virtual_org", "credit_code"),
}
#: Kinds nothing refers to: only the hashes of their keys are kept, to find repeats.
HASHED = ("holding", "enterprise_member", "virtual_member")
#: How keys are hashed for the repeat check (a test makes every key collide).
_digest = hash


@dataclass(frozen=True)
class RowError:
    location: str
    kind: str
    reason: str
    message: str

    def to_json(self) -> dict[str, str]:
        return {"location": self.location, "kind": self.kind, "reason": self.reason,
                "message": self.message}

    def __str__(self) -> str:
        return f"{self.location}: [{self.reason}] {self.message}"


def row_key(kind: str, row: dict[str, Any]) -> Any:
    fields = KEY_FIELDS[kind]
    return row[fields[0]] if len(fields) == 1 else tuple(row[name] for name in fields)


class Collector:
    """Normalises records as they stream by, spools the rows, indexes the keys."""

    def __init__(self, spool: Spool) -> None:
        self.spool = spool
        self.errors: list[RowError] = []
        self.units: dict[str, int] = {}  # code -> level
        self.departments: dict[str, tuple[str, str | None]] = {}  # code -> (unit, parent)
        self.posts: dict[str, str | None] = {}  # code -> supervisor
        self.people: set[int] = set()  # mobiles, as integers: a third of the memory of text
        self.enterprises: set[str] = set()
        self.virtual_orgs: set[str] = set()
        self.virtual_groups: dict[str, tuple[str, str | None]] = {}  # code -> (vo, parent)
        self._hashes: dict[str, set[int]] = {kind: set() for kind in HASHED}
        #: Per kind, hashes of keys seen more than once (confirmed by :meth:`duplicates`).
        self._repeated: dict[str, set[int]] = {}

    def add(self, location: str, record: Any) -> None:
        kind = record.get("kind") if isinstance(record, dict) else None
        # a kind that is not a string (``{"kind": {}}``) cannot be a key of the table
        normalise = rows_.NORMALISERS.get(kind) if isinstance(kind, str) else None
        if normalise is None:
            self.error(location, str(kind), "bad value", f"未知的记录类型 kind={kind!r}")
            return
        try:
            key, row = normalise(record)
        except rows_.RowProblem as problem:
            self.error(location, kind, problem.reason, str(problem))
            return
        if self._index(kind, key, row):
            self._repeated.setdefault(kind, set()).add(_digest(key))
        self.spool.add(kind, location, row)

    def error(self, location: str, kind: str, reason: str, message: str) -> None:
        self.errors.append(RowError(location, kind, reason, message))

    def _index(self, kind: str, key: Any, row: dict[str, Any]) -> bool:
        """Note ``key``; true when it (or, for the hashed kinds, its hash) was seen before."""
        if kind in self._hashes:
            hashes = self._hashes[kind]
            digest = _digest(key)
            if digest in hashes:
                return True
            hashes.add(digest)
            return False
        index: Any
        if kind == "person":
            index, key = self.people, mobile_key(key)
        else:
            index = {"unit": self.units, "department": self.departments, "post": self.posts,
                     "enterprise": self.enterprises, "virtual_org": self.virtual_orgs,
                     "virtual_group": self.virtual_groups}[kind]
        if key in index:
            return True  # the first one stays: it is the one the checks and errors refer to
        if isinstance(index, set):
            index.add(key)
        elif kind == "unit":
            index[key] = division_level(key)
        elif kind == "department":
            index[key] = (row["unit"], row["parent"])
        elif kind == "post":
            index[key] = row["supervisor"]
        else:
            index[key] = (row["virtual_org"], row["parent"])
        return False

    def duplicates(self) -> set[str]:
        """Report every repeated key (rows after the first); their locations, to skip later."""
        repeats: set[str] = set()
        for kind, hashes in self._repeated.items():
            seen: dict[Any, str] = {}
            for location, row in self.spool.rows(kind):
                key = row_key(kind, row)
                if _digest(key) not in hashes:
                    continue
                first = seen.setdefault(key, location)
                if first != location:
                    reason = "duplicate mobile" if kind == "person" else "duplicate"
                    self.error(location, kind, reason, f"与 {first} 重复: {key}")
                    repeats.add(location)
        self._repeated.clear()
        return repeats


def check_references(c: Collector, db: Snapshot, skip: set[str],
                     tick: Callable[[int], Any] = lambda n: None) -> None:
    """Check every spooled row's references against the file and the database.

    Rows at ``skip`` (repeats) are left out, as they are not imported. ``tick(n)`` is called as
    rows are read (for a progress bar). Errors are sorted by location at the end.
    """
    unit_level = {code: level for code, (_id, level) in db.units.items()} | c.units
    dept_of = {code: (unit, parent) for code, (_id, unit, parent, _t) in db.departments.items()}
    dept_of |= c.departments
    group_of = db.virtual_groups | c.virtual_groups

    def post_known(code: str) -> bool:
        return code in c.posts or code in db.posts

    def supervisor(code: str) -> str | None:
        return c.posts[code] if code in c.posts else db.posts.get(code)

    def person_known(mobile: str) -> bool:
        key = mobile_key(mobile)
        return key in c.people or key in db.people

    def enterprise_known(code: str) -> bool:
        return code in c.enterprises or code in db.enterprises

    def vo_known(code: str) -> bool:
        return code in c.virtual_orgs or code in db.virtual_orgs

    def unknown(kind: str, location: str, what: str, value: Any, parent: bool = False) -> None:
        reason = "unknown parent" if parent else "unknown reference"
        c.error(location, kind, reason, f"{what} {value} 在文件和数据库中都不存在")

    def nested(kind: str, loc: str, row: dict[str, Any], owner: str, parents: dict[str, tuple],
               cycles: set[str], words: tuple[str, str, str]) -> None:
        """A row's parent (of its own kind) exists, has the same ``owner``, is no ancestor of it."""
        parent_word, kind_word, elsewhere = words
        if row["parent"] is not None:
            if row["parent"] not in parents:
                unknown(kind, loc, parent_word, row["parent"], parent=True)
            elif parents[row["parent"]][0] != row[owner]:
                c.error(loc, kind, "bad value", elsewhere)
        if row["code"] in cycles:
            c.error(loc, kind, "cycle", f"{kind_word} {row['code']} 的上级链形成循环")

    def rows(kind: str) -> Iterable[tuple[str, dict[str, Any]]]:
        read = 0
        for location, row in c.spool.rows(kind):
            read += 1
            if read % 5000 == 0:
                tick(5000)
            if location not in skip:
                yield location, row
        tick(read % 5000)

    for loc, row in rows("unit"):
        code = row["code"]
        parent = parent_division(code)
        if parent is None:
            continue
        if parent not in unit_level:
            unknown("unit", loc, "上级单位", parent, parent=True)
        elif unit_level[parent] != unit_level[code] - 1:
            c.error(loc, "unit", "level skip",
                    f"{code} 为第 {unit_level[code]} 级, 其上级 {parent} 为第 {unit_level[parent]} 级 (跳级)")

    dept_cycles = cycle_members(c.departments, lambda k: dept_of.get(k, (None, None))[1])
    for loc, row in rows("department"):
        if row["unit"] not in unit_level:
            unknown("department", loc, "单位", row["unit"])
        nested("department", loc, row, "unit", dept_of, dept_cycles,
               ("上级部门", "部门", f"上级部门 {row['parent']} 不在同一单位"))

    post_cycles = cycle_members(c.posts, supervisor)
    for loc, row in rows("post"):
        if row["unit"] not in unit_level:
            unknown("post", loc, "单位", row["unit"])
        if row["department"] is not None:
            if row["department"] not in dept_of:
                unknown("post", loc, "部门", row["department"])
            elif dept_of[row["department"]][0] != row["unit"]:
                c.error(loc, "post", "bad value", f"部门 {row['department']} 不属于单位 {row['unit']}")
        if row["supervisor"] is not None and not post_known(row["supervisor"]):
            unknown("post", loc, "上级岗位", row["supervisor"], parent=True)
        if row["code"] in post_cycles:
            c.error(loc, "post", "cycle", f"岗位 {row['code']} 的上级岗位链形成循环")

    for loc, row in rows("holding"):
        if not post_known(row["post"]):
            unknown("holding", loc, "岗位", row["post"])
        if not person_known(row["mobile"]):
            unknown("holding", loc, "人员手机号", row["mobile"])

    for loc, row in rows("enterprise"):
        if row["region"] is not None and row["region"] not in unit_level:
            unknown("enterprise", loc, "所属地区", row["region"])
    for loc, row in rows("enterprise_member"):
        if not enterprise_known(row["credit_code"]):
            unknown("enterprise_member", loc, "企业", row["credit_code"])
        if not person_known(row["mobile"]):
            unknown("enterprise_member", loc, "人员手机号", row["mobile"])

    for loc, row in rows("virtual_org"):
        if row["owner"] not in dept_of:
            unknown("virtual_org", loc, "所属部门", row["owner"])
    group_cycles = cycle_members(c.virtual_groups, lambda k: group_of.get(k, (None, None))[1])
    for loc, row in rows("virtual_group"):
        if not vo_known(row["virtual_org"]):
            unknown("virtual_group", loc, "虚拟组织", row["virtual_org"])
        nested("virtual_group", loc, row, "virtual_org", group_of, group_cycles,
               ("上级分组", "分组", f"上级分组 {row['parent']} 属于另一个虚拟组织"))
    for loc, row in rows("virtual_member"):
        if not vo_known(row["virtual_org"]):
            unknown("virtual_member", loc, "虚拟组织", row["virtual_org"])
        if not enterprise_known(row["credit_code"]):
            unknown("virtual_member", loc, "企业", row["credit_code"])
        if row["group"] not in group_of:
            unknown("virtual_member", loc, "分组", row["group"])
        elif group_of[row["group"]][0] != row["virtual_org"]:
            c.error(loc, "virtual_member", "bad value", f"分组 {row['group']} 不属于 {row['virtual_org']}")
        if row["officer"] is not None and not post_known(row["officer"]):
            unknown("virtual_member", loc, "专管员岗位", row["officer"])
    c.errors.sort(key=lambda error: location_order(error.location))


def location_order(location: str) -> tuple:
    name, _, number = location.rpartition(":")
    if not name and location.startswith("#"):
        return ("", int(location[1:]))
    return (name, int(number) if number.isdigit() else 0, location)


def cycle_members(items: Iterable[Any], parent_of: Callable[[Any], Any]) -> set[Any]:
    """The keys of ``items`` that lie on a cycle of the parent relation (file and database)."""
    state: dict[Any, int] = {}  # 1 = on the current walk, 2 = known to reach a root
    on_cycle: set[Any] = set()
    for start in items:
        walk: list[Any] = []
        key = start
        while key is not None and state.get(key) is None:
            state[key] = 1
            walk.append(key)
            key = parent_of(key)
        if key is not None and state.get(key) == 1:  # came back onto this walk: a cycle
            on_cycle.update(walk[walk.index(key):])
        for visited in walk:
            state[visited] = 2
    return on_cycle
