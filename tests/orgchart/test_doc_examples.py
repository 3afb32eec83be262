"""Every selector example a user can copy — in docs/selectors.md, README.md and the CLI's
``--help`` — runs against the demo directory, on SQLite and PostgreSQL.

The examples are extracted from the texts themselves, so a new example naming a unit, code or
tag the demo lacks fails here:

- in docs/selectors.md: the *At a glance* table, ``zhengding org resolve '…'`` lines, the
  lines of ``text`` blocks that are selectors — each must select something; the error tables
  (``| `text` | message |``) — each must give exactly that message; and every inline code
  span that is a selector must resolve without a name error (unless it is an error example);
- in README.md and the ``--help`` texts: ``org resolve '…'``, ``--selector '…'`` and
  ``selector=…`` — each must select something;
- everywhere: every post, department, virtual-organisation or group code (``330802000000-SWJ-01``)
  and every 12-digit unit code mentioned must exist in the demo.
"""
from __future__ import annotations

import argparse
import re
from dataclasses import dataclass
from pathlib import Path

import pytest
from sqlalchemy import select

from clients.cli.main import build_parser
from orgchart import models as m
from orgchart.errors import ZhengdingError
from orgchart.io.demo import DEMO_PRESET
from orgchart.io.generate import generate_records
from orgchart.io.importer import import_records
from orgchart.selectors import SelectorSyntaxError, parse, resolve
from orgchart.selectors.parser import KEYS

ROOT = Path(__file__).resolve().parents[2]
SELECTORS_MD = ROOT / "docs" / "selectors.md"
README = ROOT / "README.md"

_KEY = re.compile(r"(?<![\w-])(?:" + "|".join(map(re.escape, KEYS)) + r")[:：]")
_CODE = re.compile(r"(?<![\w-])\d{12}(?:-[A-Z0-9]+)+(?![\w-])")
_UNIT = re.compile(r"(?<![\w.-])\d{12}(?![\w-])")
#: How selectors are written into commands: org resolve '…', --selector '…', selector=…
_COMMANDS = [re.compile(r"org resolve '([^']+)'"), re.compile(r"--selector '([^']+)'"),
             re.compile(r"'selector=([^']+)'")]


@dataclass(frozen=True)
class Example:
    text: str
    where: str
    #: "selects": must select something; "message": must give ``message`` (error or empty
    #: result); "names": must name only what exists (no name error)
    kind: str = "selects"
    message: str = ""


def _sections(markdown: str) -> list[tuple[str, str]]:
    parts = re.split(r"^(#{2,3} .*)$", markdown, flags=re.MULTILINE)
    return [("intro", parts[0])] + list(zip(parts[1::2], parts[2::2]))


def _table_rows(section: str) -> list[list[str]]:
    return [[cell.strip() for cell in line.strip().strip("|").split("|")]
            for line in section.splitlines() if line.startswith("|") and not line.startswith("|--")]


def selectors_md_examples() -> list[Example]:
    markdown = SELECTORS_MD.read_text(encoding="utf-8")
    found: list[Example] = []
    for title, body in _sections(markdown):
        where = f"docs/selectors.md {title.strip('# ')}"
        blocks = re.findall(r"```(\w*)\n(.*?)```", body, flags=re.DOTALL)
        for language, block in blocks:
            for line in block.splitlines():
                if language == "text" and _KEY.search(line) and _parses(line):
                    found.append(Example(line.strip(), where))
            found += [Example(t, where) for pattern in _COMMANDS for t in pattern.findall(block)]
        prose = re.sub(r"```.*?```", "", body, flags=re.DOTALL)
        for row in _table_rows(prose):
            if title == "## At a glance" and len(row) == 2:
                found += [Example(t, where) for t in re.findall(r"`([^`]+)`", row[1])]
            elif len(row) == 2 and row[0].startswith("`") and row[0].endswith("`") \
                    and "个字符处" in row[1] or row[1].startswith("没有匹配"):
                found.append(Example(row[0].strip("`"), where, "message", row[1]))
        tables = {line for line in prose.splitlines() if line.startswith("|")}
        for line in prose.splitlines():
            if line in tables and title != "## Combining: `+`, `-` and the words `or`, `and`, `not`":
                continue
            for span in re.findall(r"`([^`]+)`", line):
                if _KEY.search(span) and _parses(span):
                    found.append(Example(span, where, "names"))
    return found


def readme_examples() -> list[Example]:
    text = README.read_text(encoding="utf-8")
    return [Example(t, "README.md") for pattern in _COMMANDS for t in pattern.findall(text)]


def help_texts(parser: argparse.ArgumentParser, path: str = "zhengding") -> list[tuple[str, str]]:
    """(command, text) for the description, epilog and every option's help, recursively."""
    texts = [(path, parser.description or ""), (path, parser.epilog or "")]
    for action in parser._actions:
        texts.append((path, action.help or ""))
        if isinstance(action, argparse._SubParsersAction):
            for name, sub in action.choices.items():
                texts += help_texts(sub, f"{path} {name}")
    return [(where, text) for where, text in texts if text]


def help_examples() -> list[Example]:
    found = []
    for where, text in help_texts(build_parser()):
        found += [Example(t, f"{where} --help") for pattern in _COMMANDS for t in pattern.findall(text)]
        found += [Example(t, f"{where} --help") for t in re.findall(r"'([^']+)'|\"([^\"]+)\"", text)
                  for t in t if t and _KEY.search(t) and _parses(t)]
    return found


def mentioned_codes() -> list[tuple[str, str]]:
    """(code, where) for every code-shaped word in the docs, README and help texts."""
    sources = [("docs/selectors.md", SELECTORS_MD.read_text(encoding="utf-8")),
               ("README.md", README.read_text(encoding="utf-8"))]
    sources += [(f"{where} --help", text) for where, text in help_texts(build_parser())]
    return [(code, where) for where, text in sources
            for pattern in (_CODE, _UNIT) for code in pattern.findall(text)]


def _parses(text: str) -> bool:
    try:
        parse(text)
    except SelectorSyntaxError:
        return False
    return True


def test_the_extractors_find_the_examples() -> None:
    # Guards the extraction itself: a reformatted page must not silently check nothing.
    docs = selectors_md_examples()
    assert sum(e.kind == "selects" for e in docs) >= 30
    assert sum(e.kind == "message" for e in docs) >= 15
    assert sum(e.kind == "names" for e in docs) >= 15
    assert len(readme_examples()) >= 3
    assert any("org resolve" in where for where, _ in help_texts(build_parser()))
    assert len(help_examples()) >= 2
    assert len(mentioned_codes()) >= 20


async def test_every_example_runs_against_the_demo_directory(sessions) -> None:
    report = await import_records(sessions, generate_records(DEMO_PRESET))
    assert report.ok, report.errors[:3]
    problems: list[str] = []
    examples = selectors_md_examples() + readme_examples() + help_examples()
    error_texts = {e.text for e in examples if e.kind == "message"}
    async with sessions() as session:
        for example in examples:
            problems += await _check(session, example, error_texts)
        problems += await _check_codes(session)
    assert problems == [], "\n".join(problems)


async def _check(session, example: Example, error_texts: set[str]) -> list[str]:
    label = f"{example.where}: {example.text!r}"
    try:
        result = await resolve(session, example.text, limit=1)
    except ZhengdingError as error:
        if example.kind == "message" and error.message == example.message:
            return []
        if example.kind == "names" and example.text in error_texts:
            return []
        if example.kind == "message":
            return [f"{label}: the docs say {example.message!r}, the demo says {error.message!r}"]
        return [f"{label}: {error.message}"]
    if example.kind == "message":
        if result.message == example.message:
            return []
        return [f"{label}: the docs say {example.message!r}, the demo says {result.message!r}"]
    if example.kind == "selects" and result.empty:
        return [f"{label}: selects nothing in the demo directory ({result.message})"]
    return []


async def _check_codes(session) -> list[str]:
    known: set[str] = set()
    for column in (m.Post.code, m.Department.code, m.VirtualOrg.code, m.VirtualGroup.code,
                   m.OrgUnit.code):
        known |= set((await session.execute(select(column))).scalars())
    return [f"{where}: {code} is no code in the demo directory"
            for code, where in mentioned_codes() if code not in known]


@pytest.mark.parametrize("text", ["duty:宇航员 under:衢州市", "under:火星市", "dept:税务局 title:总局长"])
async def test_a_wrong_example_would_be_caught(sessions, text: str) -> None:
    """The checks can fail: examples the demo cannot satisfy are reported, not passed."""
    report = await import_records(sessions, generate_records(DEMO_PRESET))
    assert report.ok
    async with sessions() as session:
        assert await _check(session, Example(text, "here"), set()) != []
