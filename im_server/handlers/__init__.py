"""Operation handlers: the rules of messaging. Each module contributes ``OPS``; SQL lives in stores.

A handler gets a :class:`Context` — the acting principal and the node's runtime — and the
validated arguments, and returns the reply's result, or raises
:class:`~im_server.protocol.ProtocolError` / a directory error with a stable code. Handlers that
write hand a *job* to the committer, so that checks and writes happen in the same transaction
and the reply is sent only after COMMIT.

The context does not depend on how the request arrived: a websocket frame, an HTTP call and an
in-process bot build a :class:`Context` and call :func:`invoke`, so they share the rules, the
committer, the delivery, the idempotency keys and the audit log. The socket a request came
over, when there is one, rides along as the optional :attr:`Context.connection` (the reader's
*other* devices are those without it).
"""
from __future__ import annotations

import datetime as dt
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any, Literal

from im_server.delivery.connection import Connection
from im_server.protocol import ProtocolError
from im_server.protocol.schema import OPERATIONS, ArgumentError, validate_args
from im_server.runtime import Messaging
from orgchart.errors import ZhengdingError
from orgchart.service.viewer import Viewer

#: How a request reached the handlers: for the audit log and the logs, never for the rules.
Via = Literal["websocket", "http", "bot", "internal"]


@dataclass(frozen=True)
class Context:
    """Who acts (``viewer``), through what (``via``, ``remote``), on which node (``rt``)."""

    rt: Messaging
    viewer: Viewer
    #: The websocket the request came over, if it came over one.
    connection: Connection | None = None
    via: Via = "internal"
    #: The peer's address when there is one (recorded in the audit log).
    remote: str | None = None

    @property
    def me(self) -> int:
        return self.viewer.person_id

    @staticmethod
    def today() -> dt.date:
        return dt.date.today()


Handler = Callable[[Context, dict[str, Any]], Awaitable[Any]]


def _collect() -> dict[str, Handler]:
    from im_server.handlers import (
        conversations,
        messages,
        misc,
        notice_sender,
        notices,
        receipts,
        search,
    )

    table: dict[str, Handler] = {}
    for module in (conversations, messages, misc, notices, notice_sender, receipts, search):
        for op, handler in module.OPS.items():
            if op in table:
                raise RuntimeError(f"operation {op} registered twice")
            table[op] = handler
    return table


HANDLERS: dict[str, Handler] = _collect()


async def invoke(ctx: Context, op: str, args: Any, *, validated: bool = False) -> Any:
    """Run operation ``op`` as ``ctx``'s principal: the one entry point of every transport.

    ``args`` are checked against the protocol schema unless the caller already did
    (``validated=True``: the websocket's protocol core checks frames before dispatching). An
    unknown op is ``unknown_op``; bad arguments are ``invalid_args`` with ``details.field``.
    """
    handler = HANDLERS.get(op)
    if handler is None or op not in OPERATIONS or op == "auth":
        raise ProtocolError("unknown_op", f"未知操作: {str(op)[:40]!r}")
    if not validated:
        try:
            args = validate_args(op, args)
        except ArgumentError as exc:
            raise ProtocolError("invalid_args", str(exc), field=exc.field) from None
    return await handler(ctx, args)


def failure(exc: BaseException) -> tuple[str, str, dict[str, Any]] | None:
    """``(code, message, details)`` of an error a handler may raise on purpose, else ``None``."""
    if isinstance(exc, (ProtocolError, ZhengdingError)):
        return exc.code, exc.message, dict(exc.details)
    return None
