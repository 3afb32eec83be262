"""argparse in Simplified Chinese: headings, the ``-h`` help, usage prefix and error messages.

argparse writes its own words ("usage:", "options:", "show this help message and exit", "the
following arguments are required") through ``gettext`` without shipping a Chinese catalogue.
Rather than patch the ``argparse`` module for the whole process (tests run the CLI in-process),
:class:`ArgumentParser` sets those words itself; sub-command parsers inherit the class. Error
messages are built by argparse in English and translated here, pattern by pattern, at the one
place they are printed (:meth:`ArgumentParser.error`).
"""
from __future__ import annotations

import argparse
import re
import sys
import unicodedata
from collections.abc import Iterable
from typing import Any, NoReturn

USAGE = "用法: "
HELP = "显示此帮助信息并退出"
VERSION = "显示版本号并退出"

#: argparse's type names in "invalid <type> value" messages.
_TYPE_NAMES = {"int": "整数", "float": "数字", "fromisoformat": "日期 (YYYY-MM-DD)"}

#: argparse's English error messages (Python 3.11–3.13 wording) and their Chinese forms.
_ERRORS: list[tuple[re.Pattern[str], str]] = [(re.compile(pattern, re.DOTALL), text) for pattern, text in [
    (r"the following arguments are required: (?P<a>.*)", "缺少必需的参数: {a}"),
    (r"unrecognized arguments: (?P<a>.*)", "无法识别的参数: {a}"),
    (r"one of the arguments (?P<a>.*) is required", "以下参数必须提供一个: {a}"),
    (r"ambiguous option: (?P<a>\S+) could match (?P<b>.*)", "选项 {a} 有歧义, 可能是: {b}"),
    (r"argument (?P<a>\S+): invalid choice: (?P<b>.*?) \(choose from (?P<c>.*)\)",
     "参数 {a}: 无效的选择 {b} (可选: {c})"),
    (r"argument (?P<a>\S+): invalid (?P<t>\S+) value: (?P<b>.*)", "参数 {a}: 无效的{t}值 {b}"),
    (r"argument (?P<a>\S+): expected one argument", "参数 {a}: 需要一个值"),
    (r"argument (?P<a>\S+): expected at least one argument", "参数 {a}: 至少需要一个值"),
    (r"argument (?P<a>\S+): expected (?P<n>\d+) arguments?", "参数 {a}: 需要 {n} 个值"),
    (r"argument (?P<a>\S+): not allowed with argument (?P<b>.*)", "参数 {a} 不能与 {b} 同时使用"),
    (r"argument (?P<a>\S+): ignored explicit argument (?P<b>.*)", "参数 {a}: 不接受取值 {b}"),
    (r"argument (?P<a>\S+): (?P<b>.*)", "参数 {a}: {b}"),  # our own (Chinese) ArgumentTypeError
]]


def translate_error(message: str) -> str:
    """argparse's English error message in Chinese (unknown wording is kept as it is)."""
    for pattern, text in _ERRORS:
        found = pattern.fullmatch(message)
        if found:
            parts = found.groupdict()
            if "t" in parts:
                parts["t"] = _TYPE_NAMES.get(parts["t"], parts["t"])
            return text.format(**parts)
    return message


def display_width(text: str) -> int:
    """Terminal columns: Chinese characters (East Asian wide or full-width) take two."""
    return sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in text)


_WIDE = "\u2e80-\u9fff\uf900-\ufaff\uff00-\uffef"
_TOKENS = re.compile(rf"\s+|[{_WIDE}]|[^\s{_WIDE}]+")


def _words(text: str) -> list[str]:
    """Unbreakable pieces: a break may fall at a space or between two Chinese characters, not
    between Latin text and the Chinese character next to it (``conv:<会话id>`` stays whole)."""
    words: list[str] = []
    for token in _TOKENS.findall(" ".join(text.split())):
        wide = display_width(token) == 2 * len(token)
        if words and not token.isspace() and not words[-1].isspace():
            previous_wide = display_width(words[-1][-1]) == 2
            if not (wide and previous_wide):
                words[-1] += token
                continue
        words.append(token)
    return words


def wrap(text: str, width: int) -> list[str]:
    """Wrap by terminal columns (a Chinese character takes two)."""
    lines, line = [], ""
    for word in _words(text):
        if line and display_width(line + word) > width:
            lines.append(line.rstrip())
            line = "" if word.isspace() else word
        else:
            line += word
    if line.strip():
        lines.append(line.rstrip())
    return lines or [""]


class HelpFormatter(argparse.HelpFormatter):
    """"用法: " instead of "usage: ", columns measured in terminal cells (a Chinese character is
    two), and the sub-command list without the repeated metavar line above it."""

    def add_usage(self, usage: str | None, actions: Iterable[argparse.Action],
                  groups: Iterable[Any], prefix: str | None = None) -> None:
        super().add_usage(usage, actions, groups, USAGE if prefix is None else prefix)

    def add_argument(self, action: argparse.Action) -> None:
        super().add_argument(action)
        if action.help is not argparse.SUPPRESS:  # argparse measured with len(): re-measure
            invocations = [self._format_action_invocation(action)]
            invocations += [self._format_action_invocation(sub) for sub in self._iter_indented_subactions(action)]
            width = max(map(display_width, invocations)) + self._current_indent
            self._action_max_length = max(self._action_max_length, width)

    def _split_lines(self, text: str, width: int) -> list[str]:
        return wrap(text, width)

    def _fill_text(self, text: str, width: int, indent: str) -> str:
        return "\n".join(indent + line for line in wrap(text, width - len(indent)))

    def _format_action(self, action: argparse.Action) -> str:
        # argparse's own layout, with display widths instead of len()
        help_position = min(self._action_max_length + 2, self._max_help_position)
        help_width = max(self._width - help_position, 11)
        action_width = help_position - self._current_indent - 2
        invocation = self._format_action_invocation(action)
        indent_first = 0
        if isinstance(action, argparse._SubParsersAction):
            parts = []  # "命令:" already heads the list; the metavar line would repeat it
        elif not action.help:
            parts = [f"{'':{self._current_indent}}{invocation}\n"]
        elif display_width(invocation) <= action_width:
            padding = " " * (action_width - display_width(invocation))
            parts = [f"{'':{self._current_indent}}{invocation}{padding}  "]
        else:
            parts = [f"{'':{self._current_indent}}{invocation}\n"]
            indent_first = help_position
        if action.help and action.help.strip() and parts:
            lines = self._split_lines(self._expand_help(action), help_width)
            parts.append(f"{'':{indent_first}}{lines[0]}\n")
            parts += [f"{'':{help_position}}{line}\n" for line in lines[1:]]
        elif parts and not parts[0].endswith("\n"):
            parts.append("\n")
        for subaction in self._iter_indented_subactions(action):
            parts.append(self._format_action(subaction))
        return self._join_parts(parts)


class ArgumentParser(argparse.ArgumentParser):
    """An ``argparse.ArgumentParser`` that speaks Chinese; sub-parsers are of the same class."""

    def __init__(self, *args: Any, add_help: bool = True,
                 formatter_class: type[argparse.HelpFormatter] = HelpFormatter, **kwargs: Any) -> None:
        super().__init__(*args, add_help=False, formatter_class=formatter_class, **kwargs)
        self._positionals.title = "位置参数"
        self._optionals.title = "选项"
        if add_help:
            self.add_argument("-h", "--help", action="help", default=argparse.SUPPRESS, help=HELP)

    def error(self, message: str) -> NoReturn:
        self.print_usage(sys.stderr)
        self.exit(2, f"{self.prog}: 错误: {translate_error(message)}\n")
