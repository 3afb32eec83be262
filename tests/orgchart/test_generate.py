"""The synthetic directory generator: deterministic, valid codes, consistent references, scale."""
from __future__ import annotations

import time
from collections import Counter, defaultdict

import pytest

from orgchart.codes import (
    Level,
    division_level,
    parent_division,
    validate_credit_code,
    validate_mobile,
)
from orgchart.io.demo import DEMO_ACCOUNTS
from orgchart.io.formats import FIELDS, KIND_ORDER
from orgchart.io.generate import generate_records, mobile
from orgchart.io.generate_data import ENTERPRISE_PREFIXES

SUFFIXES = {Level.TOWNSHIP: ("街道", "镇", "乡"), Level.VILLAGE: ("村", "社区")}
KEYS = {
    "unit": ("code",), "department": ("code",), "post": ("code",), "person": ("mobile",),
    "holding": ("post", "mobile", "start"), "enterprise": ("credit_code",),
    "enterprise_member": ("credit_code", "mobile"), "virtual_org": ("code",),
    "virtual_group": ("code",), "virtual_member": ("virtual_org", "credit_code"),
}


@pytest.fixture(scope="module")
def city() -> list[dict]:
    return list(generate_records("city"))


@pytest.fixture(scope="module")
def by_kind(city) -> dict[str, dict[tuple, dict]]:
    indexed: dict[str, dict[tuple, dict]] = defaultdict(dict)
    for record in city:
        indexed[record["kind"]][tuple(record[field] for field in KEYS[record["kind"]])] = record
    return indexed


def test_deterministic_for_a_seed(city):
    assert list(generate_records("city")) == city
    assert list(generate_records("city", seed=7)) != city


def test_unknown_preset():
    with pytest.raises(ValueError, match="unknown preset"):
        generate_records("country")


def test_every_kind_grouped_in_dependency_order(city):
    kinds = [record["kind"] for record in city]
    assert set(kinds) == set(KIND_ORDER)
    assert kinds == sorted(kinds, key=KIND_ORDER.index)
    for record in city:
        assert set(record) - {"kind"} <= set(FIELDS[record["kind"]]), record


def test_city_is_small(city):
    counts = Counter(record["kind"] for record in city)
    assert 30 <= counts["unit"] <= 100
    assert 300 <= counts["post"] <= 1000 and 500 <= counts["person"] <= 1500


def test_keys_are_unique(city, by_kind):
    for kind in KIND_ORDER:
        assert len(by_kind[kind]) == sum(record["kind"] == kind for record in city), kind


def test_units_have_valid_consistent_codes(by_kind):
    units = {code: record for (code,), record in by_kind["unit"].items()}
    levels = Counter()
    for code, unit in units.items():
        level = division_level(code)
        levels[level] += 1
        parent = parent_division(code)
        if level == Level.PROVINCE:
            assert (code, unit["name"]) == ("330000000000", "浙江省")
            continue
        assert parent in units and division_level(parent) == level - 1
        if level in SUFFIXES:
            assert unit["name"].endswith(SUFFIXES[level]), unit
    assert units["330800000000"]["name"] == "衢州市"
    assert units["330802000000"]["name"] == "柯城区" and units["330881000000"]["name"] == "江山市"
    assert levels == {Level.PROVINCE: 1, Level.CITY: 1, Level.COUNTY: 6, Level.TOWNSHIP: 12,
                      Level.VILLAGE: 24}
    townships = [u for (c,), u in by_kind["unit"].items() if division_level(c) == Level.TOWNSHIP]
    for township in townships:  # 街道 001…, 镇 100…, 乡 200…
        number = int(township["code"][6:9])
        kind = "街道" if township["name"].endswith("街道") else township["name"][-1]
        assert {"街道": 1 <= number < 100, "镇": 100 <= number < 200, "乡": 200 <= number < 400}[kind]


def test_references_resolve(by_kind):
    units, depts = by_kind["unit"], by_kind["department"]
    posts, people = by_kind["post"], by_kind["person"]
    for dept in depts.values():
        assert (dept["unit"],) in units
        if "parent" in dept:
            assert depts[(dept["parent"],)]["unit"] == dept["unit"]
    for post in posts.values():
        assert (post["unit"],) in units
        if "department" in post:
            assert depts[(post["department"],)]["unit"] == post["unit"]
        if "supervisor" in post:
            assert (post["supervisor"],) in posts
    for holding in by_kind["holding"].values():
        assert (holding["post"],) in posts and (holding["mobile"],) in people
        assert holding.get("type", "primary") in {"primary", "acting", "deputy"}
        if "end" in holding:
            assert holding["end"] > holding["start"]
    for enterprise in by_kind["enterprise"].values():
        assert (enterprise["region"],) in units
        assert enterprise["scale"] in {"micro", "small", "medium", "large"}
        assert int(enterprise["registered_capital"]) > 0
    for member in by_kind["enterprise_member"].values():
        assert people[(member["mobile"],)]["role"] == "enterprise"
        assert (member["credit_code"],) in by_kind["enterprise"]
    groups = by_kind["virtual_group"]
    for org in by_kind["virtual_org"].values():
        assert (org["owner"],) in depts
    for group in groups.values():
        assert (group["virtual_org"],) in by_kind["virtual_org"]
        if "parent" in group:
            assert groups[(group["parent"],)]["virtual_org"] == group["virtual_org"]
    for member in by_kind["virtual_member"].values():
        assert groups[(member["group"],)]["virtual_org"] == member["virtual_org"]
        officer = posts[(member["officer"],)]
        owner = by_kind["virtual_org"][(member["virtual_org"],)]["owner"]
        assert officer["serves_enterprises"] and officer["department"] == owner


def test_no_cycles(by_kind):
    chains = {
        "department": {k[0]: r.get("parent") for k, r in by_kind["department"].items()},
        "post": {k[0]: r.get("supervisor") for k, r in by_kind["post"].items()},
        "virtual_group": {k[0]: r.get("parent") for k, r in by_kind["virtual_group"].items()},
    }
    for kind, parent_of in chains.items():
        for start in parent_of:
            seen, key = set(), start
            while key is not None:
                assert key not in seen, f"{kind} cycle through {key}"
                seen.add(key)
                key = parent_of[key]


def test_mobiles_and_credit_codes_are_valid(by_kind):
    for (number,) in by_kind["person"]:
        assert validate_mobile(number) == number
    for (code,) in by_kind["enterprise"]:
        assert validate_credit_code(code) == code
    numbers = [mobile(n) for n in range(200_000)]
    numbers += [mobile(n, ENTERPRISE_PREFIXES) for n in range(50_000)]
    assert len(set(numbers)) == len(numbers)
    assert all(not number.startswith("139") for number in numbers)  # reserved for the demo accounts


def test_directory_has_history_vacancies_and_holder_kinds(by_kind):
    holdings = list(by_kind["holding"].values())
    kinds = Counter(h.get("type", "primary") for h in holdings)
    assert kinds["acting"] and kinds["deputy"] and kinds["primary"]
    ended = [h for h in holdings if "end" in h]
    assert ended
    current = defaultdict(int)
    for holding in holdings:
        if "end" not in holding:
            current[holding["post"]] += 1
    assert any(count > 2 for count in current.values())  # multi-holder posts
    assert [code for (code,) in by_kind["post"] if code not in current]  # vacant posts
    # a former holder hands over on the day the successor starts
    starts = {(h["post"], h["start"]) for h in holdings if "end" not in h}
    assert sum((h["post"], h["end"]) in starts for h in ended) >= len(ended) // 2


def test_duties_and_posts_that_serve_enterprises(by_kind):
    posts = list(by_kind["post"].values())
    duties = Counter(tag for post in posts for tag in post.get("duties", ()))
    for tag in ("河长", "网格员", "税务专管员", "村党支部书记", "安全生产监管员"):
        assert duties[tag], tag
    secretaries = [p for p in posts if "村党支部书记" in p.get("duties", ())]
    for post in secretaries:  # supervised by the township's party secretary
        assert post["supervisor"] == post["unit"][:9] + "000-LD01"
    serving = {by_kind["department"][(p["department"],)]["type"] for p in posts
               if p.get("serves_enterprises") and "department" in p}
    assert {"税务局", "市场监管局", "经信局"} <= serving


def test_demo_accounts_are_in_the_city(by_kind):
    people = by_kind["person"]
    for account in DEMO_ACCOUNTS:
        assert people[(account.mobile,)]["role"] == account.role, account
    holdings = by_kind["holding"].values()
    held = {h["post"] for h in holdings if h["mobile"] == "13900000001" and "end" not in h}
    assert "330802000000-SWJ-01" in held
    assert by_kind["post"][("330802000000-SWJ-01",)]["title"] == "局长"
    held = {h["post"] for h in holdings if h["mobile"] == "13900000002" and "end" not in h}
    assert "330802100200-01" in held
    assert "村党支部书记" in by_kind["post"][("330802100200-01",)]["duties"]
    member = [m for m in by_kind["enterprise_member"].values() if m["mobile"] == "13900000003"]
    assert [m["role"] for m in member] == ["legal_representative"]
    vm = by_kind["virtual_member"][("330802000000-SWJ-NSR", member[0]["credit_code"])]
    assert vm["group"] == "330802000000-SWJ-NSR-ZD-QH"


@pytest.mark.slow
def test_province_preset_is_zhejiang_sized():
    """Counts while streaming: the province is never held in memory."""
    started = time.perf_counter()
    counts: Counter[str] = Counter()
    levels: Counter[Level] = Counter()
    current = ended = 0
    cities = {}
    for record in generate_records("province"):
        kind = record["kind"]
        counts[kind] += 1
        if kind == "unit":
            level = division_level(record["code"])
            levels[level] += 1
            if level == Level.CITY:
                cities[record["code"][:4]] = record["name"]
        elif kind == "holding":
            if "end" in record:
                ended += 1
            else:
                current += 1
    seconds = time.perf_counter() - started
    assert levels[Level.PROVINCE] == 1 and levels[Level.COUNTY] == 90
    assert cities == {"3301": "杭州市", "3302": "宁波市", "3303": "温州市", "3304": "嘉兴市",
                      "3305": "湖州市", "3306": "绍兴市", "3307": "金华市", "3308": "衢州市",
                      "3309": "舟山市", "3310": "台州市", "3311": "丽水市"}
    assert levels[Level.TOWNSHIP] == 1360
    assert 19_000 <= levels[Level.VILLAGE] <= 21_000
    assert 1_300_000 <= current <= 1_500_000
    assert 0 < ended < current // 10
    assert 100_000 <= counts["post"] <= 600_000
    assert counts["person"] >= current * 0.95
    assert counts["enterprise"] >= 10_000 and counts["virtual_org"] >= 90
    print(f"province generated in {seconds:.1f} s: {dict(counts)}")
