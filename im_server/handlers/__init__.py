"""Operation handlers: the rules of messaging. Each module contributes ``OPS``; SQL lives in stores.

A handler gets a :class:`Context` and the validated arguments and returns the reply's result, or
raises :class:`~im_server.protocol.ProtocolError` / a directory error with a stable code.
Handlers that write hand a *job* to the committer, so that checks and writes happen in the same
transaction and the reply is sent only after COMMIT.
"""
from __future__ import annotations

import datetime as dt
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from im_server.delivery.connection import Connection
from im_server.runtime import Messaging
from orgchart.service.viewer import Viewer


@dataclass
class Context:
    rt: Messaging
    viewer: Viewer
    connection: Connection

    @property
    def me(self) -> int:
        return self.viewer.person_id

    @staticmethod
    def today() -> dt.date:
        return dt.date.today()


Handler = Callable[[Context, dict[str, Any]], Awaitable[Any]]


def _collect() -> dict[str, Handler]:
    from im_server.handlers import conversations, messages, misc, notices, search

    table: dict[str, Handler] = {}
    for module in (conversations, messages, misc, notices, search):
        for op, handler in module.OPS.items():
            if op in table:
                raise RuntimeError(f"operation {op} registered twice")
            table[op] = handler
    return table


HANDLERS: dict[str, Handler] = _collect()
