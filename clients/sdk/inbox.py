"""The notice and conversation-list operations of :class:`~clients.sdk.ZhengdingClient`.

A mixin over the client's :meth:`call` / :meth:`request`, so that ``client.py`` keeps to the
connection and messages. The answers are the server's, as docs/protocol.md describes them.
"""
from __future__ import annotations

import uuid
from typing import TYPE_CHECKING, Any


class InboxMethods:
    """Notices (send, status, the recipient's inbox) and the conversation list."""

    if TYPE_CHECKING:  # provided by ZhengdingClient
        async def call(self, op: str, args: dict[str, Any], *, retry: bool = False,
                       timeout: float | None = None) -> Any: ...

        async def request(self, op: str, **args: Any) -> Any: ...

    # --- the sender's side -----------------------------------------------------------------------

    async def send_notice(self, *, as_post: str, selector: str, title: str, body: str,
                          require_confirm: bool = False, urgent: bool = False,
                          client_msg_id: str | None = None, **extra: Any) -> dict[str, Any]:
        """Send a notice from a post you hold to the posts a selector picks (retried safely)."""
        args: dict[str, Any] = {"as_post": as_post, "selector": selector, "title": title, "body": body,
                                "client_msg_id": client_msg_id or uuid.uuid4().hex, **extra}
        if require_confirm:
            args["require_confirm"] = True
        if urgent:
            args["urgent"] = True
        return await self.call("notice.send", args, retry=True)

    async def notice_status(self, notice: int, *, under: str | None = None, offset: int = 0,
                            limit: int = 50) -> dict[str, Any]:
        """Totals, the roll-up by org unit and a page of who is still pending (senders, admins)."""
        args: dict[str, Any] = {"notice": notice, "offset": offset, "limit": limit}
        if under:
            args["under"] = under
        return await self.request("notice.status", **args)

    # --- the recipient's side --------------------------------------------------------------------

    async def list_notices(self, *, limit: int = 50, before: int | None = None) -> dict[str, Any]:
        """``{notices: [notice + {read_at, confirmed_at, feedback, excerpt}], unread}``, newest first;
        ``before``: only notices with a smaller id (the next page)."""
        args: dict[str, Any] = {"limit": limit}
        if before is not None:
            args["before"] = before
        return await self.request("notice.list", **args)

    async def open_notice(self, notice: int) -> dict[str, Any]:
        """The notice with its body and your state; marks it read (safe to repeat)."""
        return (await self.request("notice.open", notice=notice))["notice"]

    async def confirm_notice(self, notice: int, feedback: str | None = None) -> dict[str, Any]:
        """Confirm receipt (确认收到), with optional feedback: ``{notice, already_confirmed}``.

        Retried across reconnects: confirming twice changes nothing (``already_confirmed``).
        """
        args: dict[str, Any] = {"notice": notice}
        if feedback:
            args["feedback"] = feedback
        return await self.call("notice.confirm", args, retry=True)

    # --- conversations ---------------------------------------------------------------------------

    async def list_conversations(self, *, limit: int = 100) -> list[dict[str, Any]]:
        """``[{id, kind, title, last_seq, last_at, unread}]``, most recently active first."""
        return (await self.request("conv.list", limit=limit))["conversations"]

    async def get_conversation(self, conversation: int) -> dict[str, Any]:
        """``{conversation, members, may_post, role}`` (members only)."""
        return await self.request("conv.get", conversation=conversation)
