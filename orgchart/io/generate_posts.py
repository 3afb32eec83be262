"""The departments and posts of one org unit, planned deterministically from the unit's code.

Each phase of the generator (departments, posts, people, holdings) plans a unit again instead
of keeping 300,000 posts in memory: the plan depends only on the seed, the preset and the unit,
so every phase sees the same posts with the same number of holders.

Post codes follow fixed patterns so that supervisors in other units can be named without
looking them up: ``<unit>-LD01`` is a unit's party secretary, ``<unit>-LD02`` its head of
government, ``<dept>-01`` a department's head, ``<village>-01`` its party secretary.
"""
from __future__ import annotations

import random
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from orgchart.io.generate_data import (
    DEPARTMENT_TYPES,
    PINNED_HOLDERS,
    TOWNSHIP_OFFICES,
    VILLAGE_POSTS,
    DeptType,
)

if TYPE_CHECKING:
    from orgchart.io.generate import Generator, Unit


@dataclass(slots=True)
class PostPlan:
    code: str
    title: str
    unit: str
    department: str | None
    duties: tuple[str, ...]
    supervisor: str | None
    serves: bool
    holders: int  # current primary holders (0: vacant)
    deputies: int = 0  # current holders of kind "deputy" (兼职)
    history: bool = False  # one former holder whose holding has ended
    acting: bool = False  # a vacant post filled by an acting holder
    shares: str | None = None  # the first holder is the first holder of this post too (一肩挑)

    def record(self) -> dict:
        record: dict[str, Any] = {"kind": "post", "code": self.code, "title": self.title,
                                  "unit": self.unit}
        if self.department:
            record["department"] = self.department
        if self.duties:
            record["duties"] = list(self.duties)
        if self.supervisor:
            record["supervisor"] = self.supervisor
        if self.serves:
            record["serves_enterprises"] = True
        return record


@dataclass(slots=True)
class DeptPlan:
    code: str
    name: str
    type: str
    unit: str
    parent: str | None = None

    def record(self) -> dict:
        record = {"kind": "department", "code": self.code, "name": self.name, "type": self.type,
                  "unit": self.unit}
        if self.parent:
            record["parent"] = self.parent
        return record


# Leadership titles: (secretary, head, executive deputy, deputy) by level and county kind.
_LEADERS = {
    "province": ("省委书记", "省长", "常务副省长", "副省长"),
    "city": ("市委书记", "市长", "常务副市长", "副市长"),
    "区": ("区委书记", "区长", "常务副区长", "副区长"),
    "县": ("县委书记", "县长", "常务副县长", "副县长"),
    "市": ("市委书记", "市长", "常务副市长", "副市长"),
}
_TOWNSHIP_LEADERS = {  # LD01 … LD07
    "街道": ("党工委书记", "办事处主任", "党工委副书记", "办事处副主任", "人大工委主任", "纪工委书记",
           "武装部长"),
    "镇": ("党委书记", "镇长", "党委副书记", "副镇长", "人大主席", "纪委书记", "武装部长"),
    "乡": ("党委书记", "乡长", "党委副书记", "副乡长", "人大主席", "纪委书记", "武装部长"),
}
#: Department heads answering to the executive deputy rather than to an ordinary deputy.
_EXECUTIVE = {"税务局", "财政局", "发改委", "政府办", "审计局", "统计局"}
#: Staff per section at province, city and county level (before the preset's scale).
_SECTION_STAFF = (22, 14, 8)


class Planner:
    """Plans units for one generator run (seed and preset)."""

    def __init__(self, generator: Generator) -> None:
        self.g = generator
        preset = generator.preset
        self.dept_types = tuple(d for d in DEPARTMENT_TYPES if d.core or not preset.core_only)
        self.offices = tuple(o for o in TOWNSHIP_OFFICES if o.core or not preset.core_only)
        self.office_abbrs = {office.abbr for office in self.offices}

    def rng(self, unit: Unit, purpose: str) -> random.Random:
        return random.Random(f"{self.g.seed}:{unit.code}:{purpose}")

    # --- departments -------------------------------------------------------------------------

    def departments(self, unit: Unit) -> list[tuple[DeptPlan, Any]]:
        """``(department, what it is)``: a DeptType, a township Office or an institution tuple."""
        if unit.level == 5:
            return []
        if unit.level == 4:
            return [(DeptPlan(f"{unit.code}-{o.abbr}", unit.name + o.name, o.type, unit.code), o)
                    for o in self.offices]
        plans: list[tuple[DeptPlan, Any]] = []
        for dept_type in self.dept_types:
            code = f"{unit.code}-{dept_type.abbr}"
            name = unit.name + dept_type.names[unit.level - 1]
            plans.append((DeptPlan(code, name, dept_type.type, unit.code), dept_type))
            plans.extend(self._institutions(unit, dept_type, code))
        return plans

    def _institutions(self, unit: Unit, dept_type: DeptType, parent: str):
        """Nested departments: police stations, schools and hospitals of a county or city."""
        if unit.level == 3 and dept_type.type == "公安局":
            for number, town in enumerate(unit.children, start=1):
                yield (DeptPlan(f"{parent}-PCS{number:02d}", f"{town.short}派出所", "派出所", unit.code,
                                parent), ("派出所",))
        elif dept_type.type == "教育局" and unit.level in (2, 3):
            names = [f"{unit.name}{suffix}" for suffix in
                     ("第一中学", "第二中学", "实验小学", "职业中等专业学校")]
            size = [90.0] * len(names)
            if unit.level == 2:
                names += [f"{unit.name}第三中学", f"{unit.name}实验中学"]
                size = [120.0] * len(names)
            else:
                for town in unit.children:
                    primary, middle = (("小学", "中学") if town.kind == "街道" else ("中心小学", "初级中学"))
                    names += [town.short + primary, town.short + middle]
                    size += [55.0, 55.0]
            for number, (name, teachers) in enumerate(zip(names, size), start=1):
                yield (DeptPlan(f"{parent}-XX{number:02d}", name, "学校", unit.code, parent),
                       ("学校", teachers))
        elif dept_type.type == "卫健委" and unit.level in (2, 3):
            names = [f"{unit.name}{suffix}" for suffix in ("人民医院", "中医院", "妇幼保健院")]
            size = [150.0 if unit.level == 3 else 320.0] * 3
            if unit.level == 3:
                for town in unit.children:
                    names.append(town.short + ("社区卫生服务中心" if town.kind == "街道" else "卫生院"))
                    size.append(11.0)
            for number, (name, doctors) in enumerate(zip(names, size), start=1):
                yield (DeptPlan(f"{parent}-YY{number:02d}", name, "医疗机构", unit.code, parent),
                       ("医疗机构", doctors))

    # --- posts -------------------------------------------------------------------------------

    def posts(self, unit: Unit) -> list[PostPlan]:
        rng = self.rng(unit, "posts")
        if unit.level == 5:
            posts = self._village_posts(unit, rng)
        elif unit.level == 4:
            posts = self._township_posts(unit, rng)
        else:
            posts = self._upper_posts(unit, rng)
        for post in posts:
            self._history(post, rng)
        return posts

    def grow(self, rng: random.Random, base: float, scale: float = 1.0) -> int:
        """A multi-holder post's size: ``base`` scaled by the preset and jittered, at least 1."""
        return max(1, round(base * scale * self.g.preset.staff * rng.uniform(0.7, 1.3)))

    def _history(self, post: PostPlan, rng: random.Random) -> None:
        """Former holders, vacancies and acting holders, for some posts."""
        if post.shares:
            return
        draw = rng.random()
        if post.holders > 1:
            post.history = draw < 0.15
        elif post.code in PINNED_HOLDERS:
            post.history = draw < 0.5
        elif draw < 0.02:
            post.holders, post.history, post.acting = 0, True, rng.random() < 0.5
        elif draw < 0.022:
            post.holders = 0  # created recently, never filled
        else:
            post.history = draw < 0.2

    def _upper_posts(self, unit: Unit, rng: random.Random) -> list[PostPlan]:
        level, code = unit.level, unit.code
        secretary, head, executive, deputy = _LEADERS[unit.kind]
        up = unit.parent.code + "-LD01" if unit.parent else None
        deputies = self.g.preset.deputies[level - 1]
        posts = [
            PostPlan(f"{code}-LD01", secretary, code, None, ("河长",), up, False, 1),
            PostPlan(f"{code}-LD02", head, code, None, ("河长",), f"{code}-LD01", False, 1),
            PostPlan(f"{code}-LD03", executive, code, None, (), f"{code}-LD02", False, 1),
            PostPlan(f"{code}-LD04", deputy, code, None, ("河长",), f"{code}-LD02", False, deputies),
        ]
        staff_scale = _SECTION_STAFF[level - 1] * unit.weight
        for dept, what in self.departments(unit):
            if isinstance(what, DeptType):
                posts += self._department_posts(unit, dept, what, rng, staff_scale)
            else:
                posts += self._institution_posts(unit, dept, what, rng)
        return posts

    def _department_posts(self, unit: Unit, dept: DeptPlan, dept_type: DeptType,
                          rng: random.Random, staff: float) -> list[PostPlan]:
        code, serves = dept.code, dept_type.serves
        head = ("主任" if dept.name.endswith(("委员会", "办公室", "办公厅"))
                else "厅长" if dept.name.endswith("厅") else "局长")
        boss = f"{unit.code}-LD03" if dept_type.type in _EXECUTIVE else f"{unit.code}-LD04"
        posts = [
            PostPlan(f"{code}-01", head, unit.code, code, dept_type.head_duties, boss, serves, 1),
            PostPlan(f"{code}-02", "副" + head, unit.code, code, (), f"{code}-01", serves,
                     self.grow(rng, 2.5 if unit.level < 3 else 2)),
        ]
        sections = dept_type.sections[: self.g.preset.sections or None]
        chief_of: dict[str, str] = {}
        for number, section in enumerate(sections):
            office = section.name if section.name.endswith("室") else (
                section.name + ("处" if unit.level == 1 else "科"))
            chief = f"{code}-{3 + 2 * number:02d}"
            chief_of[section.name] = chief
            chief_title = office + ("主任" if office.endswith("室") else office[-1] + "长")
            section_serves = serves if section.serves is None else section.serves
            posts.append(PostPlan(chief, chief_title, unit.code, code, section.duties, f"{code}-02",
                                  section_serves, 1))
            posts.append(PostPlan(f"{code}-{4 + 2 * number:02d}", office + dept_type.staff_title,
                                  unit.code, code, section.duties, chief, section_serves,
                                  self.grow(rng, staff)))
        if dept_type.type == "税务局" and unit.level == 3:
            supervisor = chief_of.get("税源管理", f"{code}-01")
            for number in range(1, self.g.tax_officers(unit) + 1):
                posts.append(PostPlan(f"{code}-{20 + number:02d}", f"税务专管员{number:02d}", unit.code,
                                      code, ("税务专管员",), supervisor, True, 1))
        return posts

    def _institution_posts(self, unit: Unit, dept: DeptPlan, what: tuple,
                           rng: random.Random) -> list[PostPlan]:
        code, kind = dept.code, what[0]
        boss = dept.parent + "-01" if dept.parent else None

        def post(slot: str, title: str, holders: int) -> PostPlan:
            supervisor = boss if slot == "01" else f"{code}-01"
            return PostPlan(f"{code}-{slot}", title, unit.code, code, (), supervisor, False,
                            holders)

        if kind == "派出所":
            return [post("01", "所长", 1), post("02", "民警", self.grow(rng, 13)),
                    post("03", "辅警", self.grow(rng, 11))]
        if kind == "学校":
            return [post("01", "校长", 1), post("02", "副校长", self.grow(rng, 2)),
                    post("03", "教师", self.grow(rng, what[1]))]
        return [post("01", "院长", 1), post("02", "副院长", self.grow(rng, 2)),
                post("03", "医生", self.grow(rng, what[1])),
                post("04", "护士", self.grow(rng, what[1] * 1.2))]

    def _township_posts(self, unit: Unit, rng: random.Random) -> list[PostPlan]:
        code = unit.code
        titles = _TOWNSHIP_LEADERS[unit.kind]
        up = unit.parent.code if unit.parent else ""
        supervisors = (f"{up}-LD01", "LD01", "LD01", "LD02", "LD01", "LD01", "LD01")
        duties = (("河长",), ("河长",), (), ("河长", "防汛责任人"), (), (), ())
        posts = []
        for number, (title, boss, duty) in enumerate(zip(titles, supervisors, duties), start=1):
            holders = self.grow(rng, 2.5) if number == 4 else 1
            supervisor = boss if "-" in boss else f"{code}-{boss}"
            posts.append(PostPlan(f"{code}-LD{number:02d}", title, code, None, duty, supervisor,
                                  False, holders))
        for dept, office in self.departments(unit):
            head = "站长" if dept.name.endswith("站") else "主任"
            boss = f"{code}-LD03" if office.abbr == "DZB" else f"{code}-LD04"
            posts += [
                PostPlan(f"{dept.code}-01", head, code, dept.code, (), boss, office.serves, 1),
                PostPlan(f"{dept.code}-02", "副" + head, code, dept.code, (), f"{dept.code}-01",
                         office.serves, 1),
                PostPlan(f"{dept.code}-03", "工作人员", code, dept.code, (), f"{dept.code}-01",
                         office.serves, self.grow(rng, 7)),
            ]
            if office.extra:
                title, duty, serves = office.extra
                posts.append(PostPlan(f"{dept.code}-04", title, code, dept.code, duty,
                                      f"{dept.code}-01", serves, self.grow(rng, 3)))
        return posts

    def _village_posts(self, unit: Unit, rng: random.Random) -> list[PostPlan]:
        code, community = unit.code, int(unit.kind == "社区")
        town = unit.parent.code if unit.parent else ""
        posts = []
        for spec in VILLAGE_POSTS:
            base = spec.holders[community]
            holders = self.grow(rng, base) if spec.grows else round(base)
            boss = spec.supervisor
            if boss.startswith("^"):
                office = boss[1:].split("-")[0]
                if "-" in boss and office not in self.office_abbrs:
                    boss = "^LD04"  # the office is not in this preset: a deputy head supervises
                supervisor = f"{town}-{boss[1:]}"
            else:
                supervisor = f"{code}-{boss}"
            post = PostPlan(f"{code}-{spec.slot}", spec.titles[community], code, None,
                            spec.duties[community], supervisor, False, holders)
            if spec.slot == "02" and rng.random() < (0.5 if community else 0.7):
                post.shares = f"{code}-01"  # 一肩挑: the party secretary also chairs the committee
            if "网格员" in post.duties:
                post.deputies = round(holders * 0.3)  # 兼职网格员
            posts.append(post)
        return posts
