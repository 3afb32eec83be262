"""A realistic synthetic directory: ``generate_records("city" | "province", seed=…)``.

``province`` is Zhejiang-sized: the real 11 cities and 90 counties, 1,360 townships, 20,400
villages and communities, the standard departments at each level with their posts, about
1.4 million people holding them (浙政钉 had over 1.4 million users in 2020), enterprises with
their members and the tax bureaus' virtual organisations. ``city`` is 衢州市 alone, small
enough for tests and the demo, with every kind of record.

The output is deterministic for a seed and streams in dependency order (units, departments,
posts, people, holdings, enterprises …). Nothing province-sized is kept in memory: each phase
plans a unit again from a random generator seeded by the unit's code (see
:mod:`orgchart.io.generate_posts`). No pinyin and no password is computed here: the importer
derives search keys, and generated people start without a password.
"""
from __future__ import annotations

import datetime as dt
import random
from collections.abc import Iterator
from dataclasses import dataclass, field
from functools import cached_property
from itertools import accumulate

from orgchart.io import generate_enterprises
from orgchart.io.generate_data import (
    ADMIN,
    CITIES,
    COMMUNITY_TAILS,
    COUNTIES,
    GIVEN_CHARS,
    OFFICIAL_PREFIXES,
    PINNED_HOLDERS,
    PLACE_HEADS,
    PLACE_TAILS,
    PROVINCE,
    REAL_TOWNSHIPS,
    SURNAMES,
)
from orgchart.io.generate_posts import Planner, PostPlan


@dataclass(frozen=True)
class Preset:
    name: str
    cities: tuple[str, ...] | None  # 4-digit codes of the cities included; None: all
    townships: int | None  # total, shared out over counties by weight; None: a fixed number each
    townships_per_county: int
    villages: int | None  # total, shared out over townships by weight; None: a fixed number each
    villages_per_township: int
    core_only: bool  # only the core department types and township offices
    sections: int | None  # sections per department; None: all of the department type's
    staff: float  # scale of every multi-holder post
    deputies: tuple[int, int, int]  # deputy governors / mayors / county heads (one post)
    enterprises_per_county: float
    tax_officers: float  # 税务专管员 posts per county tax bureau (times the county's weight)


PRESETS = {
    "city": Preset("city", ("3308",), None, 2, None, 2, True, 1, 0.25, (2, 2, 2), 8, 2),
    "province": Preset("province", None, 1360, 0, 20_400, 0, False, None, 1.0, (6, 5, 4), 450, 12),
}
TOWNSHIP_KIND_CODES = {"街道": 1, "镇": 100, "乡": 200}  # first code of each kind in a county
_TOWNSHIP_MIX = {"区": (0.6, 0.35, 0.05), "市": (0.3, 0.55, 0.15), "县": (0.15, 0.5, 0.35)}
_VILLAGE_SIZE = {"街道": 10.0, "镇": 18.0, "乡": 12.0}
_COMMUNITY_SHARE = {"街道": 0.8, "镇": 0.15, "乡": 0.04}

# Holding dates: ISO strings by day from _EPOCH, so a date is one list look-up.
_EPOCH = dt.date(2009, 1, 1)
_DAYS = [(_EPOCH + dt.timedelta(days=n)).isoformat() for n in range(12 * 366)]
_DAY_2012, _DAY_2017, _DAY_2020, _DAY_LAST = (
    (dt.date(*ymd) - _EPOCH).days
    for ymd in ((2012, 1, 1), (2017, 1, 1), (2020, 1, 1), (2020, 10, 31)))

_SURNAMES = tuple(name for name, _weight in SURNAMES)
_SURNAME_CUM = tuple(accumulate(weight for _name, weight in SURNAMES))
_PLACES = tuple(head + tail for head in PLACE_HEADS for tail in PLACE_TAILS)
_COMMUNITY_PLACES = _PLACES + tuple(h + t for h in PLACE_HEADS for t in COMMUNITY_TAILS)


def _given_names() -> tuple[str, ...]:
    """Two-character given names, and one-character ones for about a quarter of people."""
    rng = random.Random("given-names")
    pairs = {rng.choice(GIVEN_CHARS) + rng.choice(GIVEN_CHARS) for _ in range(7000)}
    singles = tuple(GIVEN_CHARS) * 10
    return tuple(sorted(pairs)) + singles


_GIVEN = _given_names()


def mobile(number: int, prefixes: tuple[str, ...] = OFFICIAL_PREFIXES) -> str:
    """The ``number``-th generated mobile: unique per number, scattered to look real.

    An affine map modulo ``len(prefixes) * 10**8`` whose multiplier is prime to it is a
    bijection, so distinct numbers give distinct mobiles.
    """
    scattered = (number * 1_618_033_987 + 271_828_183) % (len(prefixes) * 100_000_000)
    return f"{prefixes[scattered // 100_000_000]}{scattered % 100_000_000:08d}"


@dataclass(eq=False, slots=True)
class Unit:
    code: str
    name: str
    level: int
    kind: str  # province, city; 区/县/市; 街道/镇/乡; 社区/村
    parent: Unit | None
    weight: float = 1.0  # staff scale of a county (and of its townships' enterprises)
    children: list[Unit] = field(default_factory=list)

    @property
    def short(self) -> str:
        for suffix in ("街道", "社区", "镇", "乡", "村"):
            if self.name.endswith(suffix) and len(self.name) > len(suffix) + 1:
                return self.name[: -len(suffix)]
        return self.name


def generate_records(preset: str, *, seed: int = 2020) -> Iterator[dict]:
    """Yield the records of a synthetic directory, grouped by kind in dependency order."""
    if preset not in PRESETS:
        raise ValueError(f"unknown preset {preset!r}; choose one of {', '.join(PRESETS)}")
    return Generator(PRESETS[preset], seed).records()


class Generator:
    def __init__(self, preset: Preset, seed: int) -> None:
        self.preset = preset
        self.seed = seed
        self.units = self._build_units()
        self.planner = Planner(self)
        #: The number of each unit's first generated person, noted by ``_people``.
        self._first_person: dict[str, int] = {}

    def rng(self, code: str, purpose: str) -> random.Random:
        return random.Random(f"{self.seed}:{code}:{purpose}")

    def tax_officers(self, county: Unit) -> int:
        return max(1, round(self.preset.tax_officers * county.weight))

    @cached_property
    def enterprises(self) -> list[generate_enterprises.EnterprisePlan]:
        return generate_enterprises.plan(self)

    # --- the records, phase by phase ----------------------------------------------------------

    def records(self) -> Iterator[dict]:
        for unit in self.units:
            yield {"kind": "unit", "code": unit.code, "name": unit.name}
        for unit in self.units:
            for dept, _what in self.planner.departments(unit):
                yield dept.record()
        for unit in self.units:
            for post in self.planner.posts(unit):
                yield post.record()
        yield from self._people()
        for unit in self.units:
            yield from self._holdings(unit)
        yield from generate_enterprises.records(self, self.enterprises)

    def _people(self) -> Iterator[dict]:
        yield {"kind": "person", "mobile": ADMIN[0], "name": ADMIN[1], "role": "admin"}
        number = 0
        for unit in self.units:
            self._first_person[unit.code] = number
            _slots, new, number = self._allocate(self.planner.posts(unit), number)
            names = iter(self.names(self.rng(unit.code, "names"), len(new)))
            for person_mobile, name in new:
                yield {"kind": "person", "mobile": person_mobile, "name": name or next(names),
                       "role": "official"}
        for enterprise in self.enterprises:
            for person_mobile, name, _role in enterprise.members:
                yield {"kind": "person", "mobile": person_mobile, "name": name,
                       "role": "enterprise"}

    def _holdings(self, unit: Unit) -> Iterator[dict]:
        """The unit's holdings, after ``_people`` has numbered the unit's people."""
        number = self._first_person[unit.code]
        slots, _new, _end = self._allocate(self.planner.posts(unit), number)
        rng = self.rng(unit.code, "dates")
        randrange, days = rng.randrange, _DAYS
        post: PostPlan | None = None
        change = 0
        for holder_post, role, person_mobile in slots:
            record = {"kind": "holding", "post": holder_post.code, "mobile": person_mobile}
            if holder_post is not post:  # the first slot of a post
                post = holder_post
                # The day the post changed hands: a former holder left, the current one came.
                change = (randrange(_DAY_2017, _DAY_LAST) if post.holders
                          else randrange(_DAY_2020, _DAY_LAST - 30))
                first = True
            if role == "former":
                record["start"] = days[randrange(0, change - 365)]
                record["end"] = days[change]
            elif role == "primary" and first and post.history:
                record["start"] = days[change]
            elif role == "acting":
                record["start"], record["type"] = days[change + 1], "acting"
            else:
                record["start"] = days[randrange(_DAY_2012, _DAY_LAST)]
                if role == "deputy":
                    record["type"] = "deputy"
            if role == "primary":
                first = False
            yield record

    @staticmethod
    def _allocate(posts: list[PostPlan], number: int) -> tuple[list, list, int]:
        """Who holds what: ``(post, role, mobile)`` slots and the new ``(mobile, name)`` people."""
        slots: list[tuple[PostPlan, str, str]] = []
        new: list[tuple[str, str | None]] = []
        first_holder: dict[str, str] = {}

        def person(name: str | None = None, pinned: str | None = None) -> str:
            nonlocal number
            if pinned is None:
                pinned, number = mobile(number), number + 1
            new.append((pinned, name))
            return pinned

        for post in posts:
            if post.history:
                slots.append((post, "former", person()))
            for index in range(post.holders):
                if index == 0 and post.shares and post.shares in first_holder:
                    holder = first_holder[post.shares]
                elif index == 0 and post.code in PINNED_HOLDERS:
                    pinned_mobile, pinned_name = PINNED_HOLDERS[post.code]
                    holder = person(pinned_name, pinned_mobile)
                else:
                    holder = person()
                first_holder.setdefault(post.code, holder)
                slots.append((post, "primary", holder))
            for _ in range(post.deputies):
                slots.append((post, "deputy", person()))
            if post.acting:
                slots.append((post, "acting", person()))
        return slots, new, number

    @staticmethod
    def names(rng: random.Random, count: int) -> list[str]:
        surnames = rng.choices(_SURNAMES, cum_weights=_SURNAME_CUM, k=count)
        return [s + g for s, g in zip(surnames, rng.choices(_GIVEN, k=count))]

    # --- the unit tree ------------------------------------------------------------------------

    def _build_units(self) -> list[Unit]:
        preset = self.preset
        province = Unit(PROVINCE[0], PROVINCE[1], 1, "province", None)
        cities = [Unit(code + "00000000", name, 2, "city", province) for code, name in CITIES
                  if preset.cities is None or code in preset.cities]
        province.children = cities
        by_code = {city.code[:4]: city for city in cities}
        counties_data = [c for c in COUNTIES if c[0][:4] in by_code]
        if preset.townships is not None:
            shares = _share(preset.townships, [float(c[2]) for c in counties_data])
        else:
            shares = [preset.townships_per_county] * len(counties_data)
        counties, towns = [], []
        for (code, name, _approx), count in zip(counties_data, shares):
            city = by_code[code[:4]]
            weight = min(2.0, max(0.5, count / 15)) if preset.townships is not None else 1.0
            county = Unit(code + "000000", name, 3, name[-1], city, weight)
            city.children.append(county)
            counties.append(county)
            county.children = self._townships(county, count)
            towns += county.children
        if preset.villages is not None:
            weights = [_VILLAGE_SIZE[t.kind] * self.rng(t.code, "size").uniform(0.6, 1.4)
                       for t in towns]
            sizes = _share(preset.villages, weights)
        else:
            sizes = [preset.villages_per_township] * len(towns)
        villages = []
        for town, size in zip(towns, sizes):
            town.children = self._villages(town, size)
            villages += town.children
        return [province, *cities, *counties, *towns, *villages]

    def _townships(self, county: Unit, count: int) -> list[Unit]:
        rng = self.rng(county.code, "townships")
        names = list(REAL_TOWNSHIPS.get(county.code[:6], ()))
        used = {name[:2] for name in names}
        mix = _TOWNSHIP_MIX[county.kind]
        while len(names) < count:
            suffix = rng.choices(("街道", "镇", "乡"), weights=mix)[0]
            stem = rng.choice(_PLACES)
            if suffix == "镇" and county.kind == "县" and "城关" not in used and rng.random() < 0.5:
                stem = "城关"
            if stem not in used:
                used.add(stem)
                names.append(stem + suffix)
        next_code = dict(TOWNSHIP_KIND_CODES)
        towns = []
        for name in names:  # codes follow the whole list so that truncating it keeps them
            kind = "街道" if name.endswith("街道") else name[-1]
            code = f"{county.code[:6]}{next_code[kind]:03d}000"
            next_code[kind] += 1
            towns.append(Unit(code, name, 4, kind, county, county.weight))
        return towns[:count]

    def _villages(self, town: Unit, count: int) -> list[Unit]:
        rng = self.rng(town.code, "villages")
        communities = round(count * _COMMUNITY_SHARE[town.kind])
        if town.kind == "街道":
            communities = max(1, communities)
        communities = min(communities, count)
        units = [Unit(f"{town.code[:9]}{number:03d}", name + "社区", 5, "社区", town) for number, name
                 in enumerate(rng.sample(_COMMUNITY_PLACES, communities), start=1)]
        units += [Unit(f"{town.code[:9]}{number:03d}", name + "村", 5, "村", town) for number, name
                  in enumerate(rng.sample(_PLACES, count - communities), start=200)]
        return units


def _share(total: int, weights: list[float]) -> list[int]:
    """``total`` split in proportion to ``weights`` (largest remainder), at least 1 each."""
    scale = total / sum(weights)
    exact = [w * scale for w in weights]
    counts = [max(1, int(x)) for x in exact]
    by_remainder = sorted(range(len(weights)), key=lambda i: exact[i] - int(exact[i]), reverse=True)
    missing = total - sum(counts)
    for i in by_remainder[:max(0, missing)]:
        counts[i] += 1
    surplus = -missing  # only when many weights were raised to the minimum of 1
    for i in reversed(by_remainder):
        if surplus <= 0:
            break
        if counts[i] > 1:
            counts[i] -= 1
            surplus -= 1
    return counts
