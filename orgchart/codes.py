"""Administrative division codes and unified social credit codes: pure functions, no I/O.

Division codes have 12 digits, 2+2+2+3+3: province, city, county, township, village.
Zhejiang is ``330000000000``, Quzhou ``330800000000``. A unit's *path* is the significant
prefix of its code (2, 4, 6, 9 or 12 digits), which makes subtrees prefix ranges.
"""
from __future__ import annotations

from enum import IntEnum


class Level(IntEnum):
    PROVINCE = 1
    CITY = 2
    COUNTY = 3
    TOWNSHIP = 4
    VILLAGE = 5

    @property
    def label(self) -> str:
        return LEVEL_LABELS[self]


LEVEL_LABELS = {
    Level.PROVINCE: "省",
    Level.CITY: "市",
    Level.COUNTY: "县",
    Level.TOWNSHIP: "乡镇",
    Level.VILLAGE: "村社区",
}
#: Names accepted for levels in selectors and files.
LEVEL_NAMES = {
    "province": Level.PROVINCE,
    "city": Level.CITY,
    "county": Level.COUNTY,
    "township": Level.TOWNSHIP,
    "village": Level.VILLAGE,
    "省": Level.PROVINCE,
    "市": Level.CITY,
    "县": Level.COUNTY,
    "乡镇": Level.TOWNSHIP,
    "村": Level.VILLAGE,
}
#: Significant digits of a code at each level.
PATH_LENGTH = {Level.PROVINCE: 2, Level.CITY: 4, Level.COUNTY: 6, Level.TOWNSHIP: 9, Level.VILLAGE: 12}


class CodeError(ValueError):
    """A division or credit code is malformed; the message says why (in Chinese for users)."""


def division_level(code: str) -> Level:
    """The level of a 12-digit division code, or :class:`CodeError` saying what is wrong."""
    if len(code) != 12 or not code.isascii() or not code.isdigit():
        raise CodeError(f"行政区划代码必须是 12 位数字: {code!r}")
    if code[:2] == "00":
        raise CodeError(f"行政区划代码的省级部分不能为 00: {code}")
    for level in reversed(Level):
        start = PATH_LENGTH[Level(level - 1)] if level > Level.PROVINCE else 0
        if code[start:PATH_LENGTH[level]].strip("0") and not code[PATH_LENGTH[level]:].strip("0"):
            return level
    if not code[2:].strip("0"):
        return Level.PROVINCE
    raise CodeError(f"行政区划代码层级不连续 (中间段为 0 而后段非 0): {code}")


def division_path(code: str) -> str:
    """The significant prefix of ``code``: its materialised path."""
    return code[: PATH_LENGTH[division_level(code)]]


def parent_division(code: str) -> str | None:
    """The code of the unit one level up, or None for a province."""
    level = division_level(code)
    if level == Level.PROVINCE:
        return None
    keep = PATH_LENGTH[Level(level - 1)]
    return code[:keep] + "0" * (12 - keep)


def path_upper_bound(path: str) -> str:
    """The smallest string greater than every string starting with ``path`` (digits only)."""
    return path + ":"  # ':' sorts right after '9'


# --- Unified social credit code, GB 32100-2015 -----------------------------------------------

CREDIT_CHARSET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
CREDIT_WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)
_CREDIT_VALUE = {char: value for value, char in enumerate(CREDIT_CHARSET)}


def credit_check_char(first17: str) -> str:
    """The 18th character for the first 17 characters of a credit code."""
    total = sum(_CREDIT_VALUE[char] * weight for char, weight in zip(first17, CREDIT_WEIGHTS))
    return CREDIT_CHARSET[(31 - total % 31) % 31]


def validate_credit_code(code: str) -> str:
    """Return ``code`` normalised (upper case) or raise :class:`CodeError` with the reason."""
    normalised = code.strip().upper()
    if len(normalised) != 18:
        raise CodeError(f"统一社会信用代码必须是 18 位, 实际 {len(normalised)} 位: {code!r}")
    for position, char in enumerate(normalised, start=1):
        if char not in _CREDIT_VALUE:
            raise CodeError(
                f"统一社会信用代码第 {position} 位字符 {char!r} 不合法 (不得使用 I、O、Z、S、V)"
            )
    if not normalised[2:8].isdigit():
        raise CodeError(f"统一社会信用代码第 3–8 位应为登记管理机关行政区划码: {code!r}")
    expected = credit_check_char(normalised[:17])
    if normalised[17] != expected:
        raise CodeError(f"统一社会信用代码校验位错误: 第 18 位应为 {expected}, 实际为 {normalised[17]}")
    return normalised


def make_credit_code(region6: str, serial: int, kind: str = "91") -> str:
    """A valid credit code for generated data: ``kind`` + region + 9-char org code + check."""
    body = f"{kind}{region6}{serial % 10**8:08d}"
    org_check = _gb11714_check(body[8:16])
    first17 = body + org_check
    return first17 + credit_check_char(first17)


def _gb11714_check(digits8: str) -> str:
    weights = (3, 7, 9, 10, 5, 8, 4, 2)
    remainder = 11 - sum(_CREDIT_VALUE[c] * w for c, w in zip(digits8, weights)) % 11
    return {10: "X", 11: "0"}.get(remainder, str(remainder))


# --- Mobile numbers ---------------------------------------------------------------------------


def validate_mobile(mobile: str) -> str:
    """A mainland mobile number: 11 digits starting 1[3-9]; raises :class:`CodeError`."""
    text = mobile.strip().removeprefix("+86").strip()
    if len(text) != 11 or not text.isdigit() or text[0] != "1" or text[1] not in "3456789":
        raise CodeError(f"手机号码格式不正确 (应为 11 位, 以 13–19 开头): {mobile!r}")
    return text
