"""Generated enterprises, their members and the virtual organisations that hold them.

Every county tax bureau owns "<county>税务局纳税人" with the enterprises of its county, nested
in groups (重点税源企业 → 千户集团, 省级重点税源企业; 一般纳税人; 小规模纳税人), each with one of
the bureau's 税务专管员 posts as its officer. Every city 经信局 owns an enterprise service
organisation ("<city>企业服务直通车") for its 专精特新, high-tech and above-scale enterprises.
Enterprises are few enough (about 40,000 in a province) to plan once and keep in memory.
"""
from __future__ import annotations

import random
from collections.abc import Iterator
from dataclasses import dataclass
from itertools import accumulate
from typing import TYPE_CHECKING

from orgchart.codes import make_credit_code
from orgchart.io.generate_data import (
    BRAND_CHARS,
    ENTERPRISE_PREFIXES,
    INDUSTRIES,
    PINNED_ENTERPRISE,
    SCALES,
)

if TYPE_CHECKING:
    from orgchart.io.generate import Generator, Unit

_INDUSTRY_CUM = tuple(accumulate(weight for _name, weight, _words in INDUSTRIES))
_SCALE_CUM = tuple(accumulate(weight for _scale, weight, _capital in SCALES))
_SUFFIXES = {"micro": "有限公司", "small": "有限公司", "medium": "有限公司", "large": "股份有限公司"}
#: Tax groups: suffix -> (name, parent suffix)
TAX_GROUPS = {
    "ZD": ("重点税源企业", None),
    "ZD-QH": ("千户集团", "ZD"),
    "ZD-SZ": ("省级重点税源企业", "ZD"),
    "YB": ("一般纳税人", None),
    "XGM": ("小规模纳税人", None),
}
#: Service groups, in the order an enterprise is placed: suffix -> (name, tag)
SERVICE_GROUPS = {
    "ZJTX": ("专精特新企业", "专精特新"),
    "GX": ("高新技术企业", "高新技术企业"),
    "GS": ("规上工业企业", "规上工业"),
}


@dataclass(slots=True)
class EnterprisePlan:
    record: dict
    county: str  # 12-digit code of the county whose tax bureau holds it
    tax_group: str  # a TAX_GROUPS suffix
    officer: str  # post code of its 税务专管员
    members: list[tuple[str, str, str]]  # (mobile, name, role)


def plan(generator: Generator) -> list[EnterprisePlan]:
    """The enterprises of every county, in county order, with their people and tax groups."""
    plans: list[EnterprisePlan] = []
    serial = 0
    person = 0
    for county in (unit for unit in generator.units if unit.level == 3):
        rng = generator.rng(county.code, "enterprises")
        count = max(3, round(generator.preset.enterprises_per_county * county.weight
                             * rng.uniform(0.8, 1.2)))
        officers = [f"{county.code}-SWJ-{20 + n:02d}" for n in
                    range(1, generator.tax_officers(county) + 1)]
        names: set[str] = set()
        for index in range(count):
            serial += 1
            plans.append(_enterprise(generator, county, rng, index, serial, names,
                                     officers[index % len(officers)]))
            members = []
            for role in _member_roles(rng, plans[-1].record["scale"]):
                members.append((_enterprise_mobile(person), role))
                person += 1
            people = generator.names(rng, len(members))
            plans[-1].members = [(m, name, role) for (m, role), name in zip(members, people)]
            if index == 0 and county.code[:6] == PINNED_ENTERPRISE[0]:
                plans[-1].members[0] = (PINNED_ENTERPRISE[2], PINNED_ENTERPRISE[3],
                                        "legal_representative")
    return plans


def _scatter(serial: int) -> int:
    """A bijection of 0…10**8-1 so that registration numbers do not look like a counter."""
    return (serial * 48_271_693 + 10_458_337) % 100_000_000


def _enterprise_mobile(number: int) -> str:
    from orgchart.io.generate import mobile

    return mobile(number, ENTERPRISE_PREFIXES)


def _enterprise(generator: Generator, county: Unit, rng: random.Random, index: int, serial: int,
                names: set[str], officer: str) -> EnterprisePlan:
    industry, _weight, words = rng.choices(INDUSTRIES, cum_weights=_INDUSTRY_CUM)[0]
    scale, _weight, (low, high) = rng.choices(SCALES, cum_weights=_SCALE_CUM)[0]
    region = rng.choice(county.children) if county.children and rng.random() < 0.4 else county
    pinned = index == 0 and county.code[:6] == PINNED_ENTERPRISE[0]
    if pinned:
        industry, scale, region, (low, high) = "制造业", "large", county, (50000, 50001)
        name = PINNED_ENTERPRISE[1]
    else:
        name = _name(county, rng, scale, words, names)
    names.add(name)
    tags = _tags(rng, industry, scale)
    if pinned:
        tags = ["规上工业", "高新技术企业", "纳税信用A级"]
    record = {
        "kind": "enterprise", "credit_code": make_credit_code(county.code[:6], _scatter(serial)),
        "name": name, "industry": industry, "scale": scale,
        "registered_capital": rng.randrange(low, high) * 10_000, "region": region.code,
    }
    if tags:
        record["tags"] = tags
    group = "ZD-QH" if pinned else _tax_group(rng, scale)
    return EnterprisePlan(record, county.code, group, officer, [])


def _name(county: Unit, rng: random.Random, scale: str, words: tuple[str, ...],
          taken: set[str]) -> str:
    city = county.parent.name[:-1] if county.parent else "浙江"
    while True:
        if scale == "large" and rng.random() < 0.5:
            place = "浙江"
        elif county.kind != "区" and rng.random() < 0.4:
            place = county.name  # 江山市…, 常山县…
        else:
            place = city
        brand = rng.choice(BRAND_CHARS) + rng.choice(BRAND_CHARS)
        name = f"{place}{brand}{rng.choice(words)}{_SUFFIXES[scale]}"
        if name not in taken:
            return name


def _tags(rng: random.Random, industry: str, scale: str) -> list[str]:
    big = scale in ("medium", "large")
    technical = industry in ("制造业", "信息传输、软件和信息技术服务业", "科学研究和技术服务业")
    tags = []
    if industry == "制造业" and big and rng.random() < 0.8:
        tags.append("规上工业")
    if technical and rng.random() < (0.3 if big else 0.06):
        tags.append("高新技术企业")
    if industry == "制造业" and big and rng.random() < 0.15:
        tags.append("专精特新")
    if industry in ("制造业", "批发和零售业") and rng.random() < 0.12:
        tags.append("出口企业")
    if rng.random() < 0.2:
        tags.append("纳税信用A级")
    if not big:
        tags.append("小微企业")
    return tags


def _tax_group(rng: random.Random, scale: str) -> str:
    draw = rng.random()
    if scale == "large":
        return "ZD-QH" if draw < 0.4 else "ZD-SZ"
    if scale == "medium":
        return "ZD" if draw < 0.35 else "YB"
    if scale == "small":
        return "YB" if draw < 0.6 else "XGM"
    return "XGM"


def _member_roles(rng: random.Random, scale: str) -> list[str]:
    roles = ["legal_representative"]
    big = scale in ("medium", "large")
    if big or rng.random() < 0.35:
        roles.append("finance")
    if big or rng.random() < 0.4:
        roles.append("tax_contact")
    roles += ["staff"] * rng.randint(1 if big else 0, 3 if scale == "large" else 1)
    return roles


def records(generator: Generator, plans: list[EnterprisePlan]) -> Iterator[dict]:
    """Enterprises, their members and the virtual organisations, grouped by kind."""
    for enterprise in plans:
        yield enterprise.record
    for enterprise in plans:
        for person_mobile, _name, role in enterprise.members:
            yield {"kind": "enterprise_member", "credit_code": enterprise.record["credit_code"],
                   "mobile": person_mobile, "role": role}
    counties = [unit for unit in generator.units if unit.level == 3]
    cities = [unit for unit in generator.units if unit.level == 2]
    for county in counties:
        yield {"kind": "virtual_org", "code": f"{county.code}-SWJ-NSR",
               "name": f"{county.name}税务局纳税人", "owner": f"{county.code}-SWJ"}
    for city in cities:
        yield {"kind": "virtual_org", "code": f"{city.code}-JXJ-QYFW",
               "name": f"{city.name}企业服务直通车", "owner": f"{city.code}-JXJ"}
    for county in counties:
        org = f"{county.code}-SWJ-NSR"
        for suffix, (name, parent) in TAX_GROUPS.items():
            group = {"kind": "virtual_group", "code": f"{org}-{suffix}", "name": name,
                     "virtual_org": org}
            if parent:
                group["parent"] = f"{org}-{parent}"
            yield group
    for city in cities:
        org = f"{city.code}-JXJ-QYFW"
        for suffix, (name, _tag) in SERVICE_GROUPS.items():
            yield {"kind": "virtual_group", "code": f"{org}-{suffix}", "name": name,
                   "virtual_org": org}
    for enterprise in plans:
        org = f"{enterprise.county}-SWJ-NSR"
        yield {"kind": "virtual_member", "virtual_org": org,
               "credit_code": enterprise.record["credit_code"],
               "group": f"{org}-{enterprise.tax_group}", "officer": enterprise.officer}
    for enterprise in plans:
        tags = enterprise.record.get("tags", ())
        for suffix, (_name, tag) in SERVICE_GROUPS.items():
            if tag in tags:
                org = f"{enterprise.county[:4]}00000000-JXJ-QYFW"
                yield {"kind": "virtual_member", "virtual_org": org,
                       "credit_code": enterprise.record["credit_code"], "group": f"{org}-{suffix}",
                       "officer": f"{enterprise.county[:4]}00000000-JXJ-03"}
                break
