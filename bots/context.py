"""What a bot handler gets: the triggering message and the ways to answer it.

Every answer runs through :func:`im_server.handlers.invoke` as the bot's person with
``via="bot"``: the same rules (membership, channels), committer, delivery and audit as a
person's frame. The ``client_msg_id`` of each answer is derived from the triggering message
(``bot:<message id>:<n>``), so handling the same message twice cannot answer it twice.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from im_server.handlers import Context, invoke


@dataclass
class BotContext:
    #: The bot's own principal (its ``Context(via="bot")``).
    principal: Context
    #: The triggering message as clients see it (``message.new``'s ``data.message``).
    message: dict[str, Any]
    #: For a command: the text after the command word; for a pattern: the whole text.
    args: str = ""
    #: For a pattern: its match.
    match: re.Match[str] | None = None
    _sent: int = field(default=0, init=False)

    @property
    def text(self) -> str:
        content = self.message.get("content") or {}
        return content.get("text", "") if isinstance(content, dict) else ""

    @property
    def conversation(self) -> int:
        return self.message["conversation"]

    @property
    def sender(self) -> dict[str, Any]:
        return self.message["sender"]

    async def reply(self, text: str) -> dict[str, Any]:
        """Answer in the message's conversation, quoting it."""
        return await self._send(self.conversation, text, reply_to=self.message["id"])

    async def send(self, conversation: int, text: str) -> dict[str, Any]:
        """Post ``text`` into any conversation the bot is a member of."""
        return await self._send(conversation, text)

    async def _send(self, conversation: int, text: str, *, reply_to: int | None = None) -> dict[str, Any]:
        self._sent += 1
        args: dict[str, Any] = {"conversation": conversation, "type": "text", "content": {"text": text},
                                "client_msg_id": f"bot:{self.message['id']}:{self._sent}"}
        if reply_to is not None:
            args["reply_to"] = reply_to
        return await invoke(self.principal, "msg.send", args)
