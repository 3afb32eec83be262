"""Argument schemas of every operation: a tiny declarative validator (pure).

Each field is ``(type, required)`` plus optional limits. Unknown fields are refused so that a
typo never silently does nothing. Every integer has bounds (a field without its own maximum is
a 32-bit row id's), so no number reaches the database that its column cannot hold; text that
cannot be encoded (lone surrogates) or stored (NUL) and integers too long to parse are refused
wherever they occur in the arguments, naming the argument.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from orgchart.infra.safe_json import find_unsafe

#: Row ids are 32-bit on PostgreSQL (messages and sequence numbers 64-bit): a larger number is
#: refused here with invalid_args instead of failing in the database.
INT32, INT64 = 2**31 - 1, 2**63 - 1


@dataclass(frozen=True)
class Field:
    kind: type | tuple[type, ...]
    required: bool = False
    max_length: int | None = None  # for str and list
    choices: frozenset[str] | None = None
    minimum: int | None = None
    maximum: int | None = None
    min_length: int | None = None  # for str and list
    #: every element of a list is an integer within ``minimum``/``maximum`` (ids)
    int_items: bool = False


def f(kind, required=False, *, max_length=None, choices=None, minimum=None, maximum=None,
      min_length=None, int_items=False) -> Field:
    if kind is int or int_items:  # every integer is bounded: by default a 32-bit row id's range
        minimum = -INT32 if minimum is None else minimum
        maximum = INT32 if maximum is None else maximum
    return Field(kind, required, max_length, frozenset(choices) if choices else None, minimum, maximum,
                 min_length, int_items)


ID = f(int, True, minimum=1, maximum=INT32)
MESSAGE_ID = f(int, True, minimum=1, maximum=INT64)
CLIENT_MSG_ID = f(str, True, max_length=64, min_length=1)
CONTENT_TYPES = ("text", "markdown", "image", "file", "card")

#: op -> {field: Field}; ``auth`` is the only op accepted before authentication.
OPERATIONS: dict[str, dict[str, Field]] = {
    "auth": {"token": f(str, max_length=200), "ticket": f(str, max_length=200),
             "cursor": f(int, minimum=0, maximum=INT64)},
    "ping": {},
    "conv.open": {
        "kind": f(str, True, choices=("direct", "post", "group", "service", "channel")),
        "person": f(int, minimum=1),
        "post": f(str, max_length=80),
        "as_post": f(str, max_length=80),
        "title": f(str, max_length=200),
        "members": f(list, max_length=500),
        "posters": f(list, max_length=100),
        "enterprise": f(str, max_length=18),  # service, by an enterprise user of several
    },
    "conv.list": {"limit": f(int, minimum=1, maximum=500)},
    "conv.get": {"conversation": ID},
    "conv.history": {"conversation": ID, "before_seq": f(int, minimum=1, maximum=INT64),
                     "limit": f(int, minimum=1, maximum=200)},
    "msg.send": {
        "conversation": ID,
        "client_msg_id": CLIENT_MSG_ID,
        "type": f(str, True, choices=CONTENT_TYPES),
        "content": f(dict, True),
        "reply_to": f(int, minimum=1, maximum=INT64),
        "as_post": f(str, max_length=80),
        "urgent": f(bool),
    },
    "msg.edit": {"message": MESSAGE_ID, "content": f(dict, True)},
    "msg.recall": {"message": MESSAGE_ID},
    "msg.read": {"conversation": ID, "seq": f(int, True, minimum=0, maximum=INT64)},
    "msg.receipts": {"conversation": ID, "messages": f(list, max_length=200)},
    "msg.readers": {"message": MESSAGE_ID},
    "card.click": {"message": MESSAGE_ID, "action": f(str, True, max_length=64), "value": f(str, max_length=2000)},
    "notice.send": {
        "client_msg_id": CLIENT_MSG_ID,
        "as_post": f(str, True, max_length=80),
        "selector": f(str, True, max_length=4000),
        "title": f(str, True, max_length=200),
        "body": f(str, True, max_length=20000),
        "require_confirm": f(bool),
        "urgent": f(bool),
        "remind_interval_seconds": f(int, minimum=1, maximum=INT32),
        "remind_max_attempts": f(int, minimum=1, maximum=20),
    },
    "notice.list": {"limit": f(int, minimum=1, maximum=200), "before": f(int, minimum=1)},
    "notice.open": {"notice": ID},
    "notice.sent": {"limit": f(int, minimum=1, maximum=200), "before": f(int, minimum=1, maximum=INT32)},
    "notice.ding": {"notice": ID},
    "notice.confirm": {"notice": ID, "feedback": f(str, max_length=2000)},
    "notice.status": {"notice": ID, "offset": f(int, minimum=0), "limit": f(int, minimum=1, maximum=200),
                      "under": f(str, max_length=12), "depth": f(int, minimum=1, maximum=4)},
    "search": {"query": f(str, True, max_length=200), "conversation": f(int, minimum=1),
               "limit": f(int, minimum=1, maximum=100)},
    "presence": {"people": f(list, True, max_length=500, int_items=True, minimum=1, maximum=INT32)},
}


class ArgumentError(ValueError):
    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field


_TYPE_NAMES = {int: "整数", str: "字符串", bool: "布尔值", dict: "对象", list: "数组"}


def validate_args(op: str, args: Any) -> dict[str, Any]:
    """Check ``args`` against the schema of ``op``; raise :class:`ArgumentError` on the first problem."""
    schema = OPERATIONS[op]
    if not isinstance(args, dict):
        raise ArgumentError("args", "args 必须是对象")
    for name, value in args.items():
        unsafe = find_unsafe(name) or find_unsafe(value)
        if unsafe is not None:  # before any message quotes the name: it may be the bad text
            field = name if find_unsafe(name) is None else "args"
            raise ArgumentError(field, f"参数 {field} 中的数值超出范围" if unsafe == "number"
                                else f"参数 {field} 含有无法处理的字符 (孤立的代理字符或 NUL)")
    for name in args:
        if name not in schema:
            raise ArgumentError(name, f"未知参数 “{name[:40]}”")
    for name, spec in schema.items():
        if name not in args or args[name] is None:
            if spec.required:
                raise ArgumentError(name, f"缺少参数 {name}")
            continue
        value = args[name]
        # bool is an int subclass in Python: refuse true where a number is expected
        if not isinstance(value, spec.kind) or (spec.kind is int and isinstance(value, bool)):
            raise ArgumentError(name, f"参数 {name} 应为{_TYPE_NAMES.get(spec.kind, '正确类型')}")
        if spec.max_length is not None and len(value) > spec.max_length:
            raise ArgumentError(name, f"参数 {name} 过长 (上限 {spec.max_length})")
        if spec.min_length is not None and len(value) < spec.min_length:
            raise ArgumentError(name, f"参数 {name} 不能为空" if spec.min_length == 1
                                else f"参数 {name} 过短 (至少 {spec.min_length})")
        if spec.int_items:
            _check_items(name, value, spec)
            continue
        if spec.choices is not None and value not in spec.choices:
            raise ArgumentError(name, f"参数 {name} 应为 {'/'.join(sorted(spec.choices))} 之一")
        if spec.minimum is not None and value < spec.minimum:
            raise ArgumentError(name, f"参数 {name} 不能小于 {spec.minimum}")
        if spec.maximum is not None and value > spec.maximum:
            raise ArgumentError(name, f"参数 {name} 不能大于 {spec.maximum}")
    return args


def _check_items(name: str, items: list, spec: Field) -> None:
    for item in items:
        if not isinstance(item, int) or isinstance(item, bool) \
                or not spec.minimum <= item <= spec.maximum:  # type: ignore[operator]
            raise ArgumentError(name, f"参数 {name} 应为 {spec.minimum}–{spec.maximum} 的整数 id 数组")
