"""Messaging tables: conversations, messages, the event log and inboxes, notices, DING, media, audit.

Delivery model (see docs/protocol.md): every change a user must see is an *event* with a global
position. Positions are allocated while holding the ``stream_state`` row lock, so they are in
commit order on every backend; ``inbox`` maps each recipient to the positions meant for them, and
a client's cursor is the last position it received. Replay is ``inbox > cursor`` in order.
"""
from __future__ import annotations

import datetime as dt

from sqlalchemy import (
    BigInteger,
    Boolean,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    SmallInteger,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from orgchart.infra.db import Base


class Conversation(Base):
    __tablename__ = "conversations"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    #: direct | post | group | service | channel
    kind: Mapped[str] = mapped_column(String(10))
    title: Mapped[str] = mapped_column(String(200), default="")
    #: Deduplicates direct and post conversations: the same pair always finds the same one.
    pair_key: Mapped[str | None] = mapped_column(String(64), unique=True)
    created_by: Mapped[int | None] = mapped_column(ForeignKey("people.id"))
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    #: Highest message sequence number in this conversation (the per-conversation order).
    last_seq: Mapped[int] = mapped_column(BigInteger, default=0)


class ConversationMember(Base):
    """A member: a person, a post (its current holders) or a selector (resolved when used)."""

    __tablename__ = "conversation_members"
    __table_args__ = (
        Index("ix_conversation_members_person", "person_id"),
        Index("ix_conversation_members_post", "post_id"),
        Index("ix_conversation_members_conversation", "conversation_id"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    conversation_id: Mapped[int] = mapped_column(ForeignKey("conversations.id", ondelete="CASCADE"))
    #: person | post | selector | enterprise
    member_type: Mapped[str] = mapped_column(String(10))
    person_id: Mapped[int | None] = mapped_column(ForeignKey("people.id"))
    post_id: Mapped[int | None] = mapped_column(ForeignKey("posts.id"))
    enterprise_id: Mapped[int | None] = mapped_column(ForeignKey("enterprises.id"))
    selector: Mapped[str | None] = mapped_column(Text)
    #: owner | admin | member
    role: Mapped[str] = mapped_column(String(10), default="member")
    #: In announcement channels only members with can_post may post.
    can_post: Mapped[bool] = mapped_column(Boolean, default=True)


class Message(Base):
    __tablename__ = "messages"
    __table_args__ = (
        UniqueConstraint("conversation_id", "seq", name="uq_messages_conversation_seq"),
        UniqueConstraint("sender_id", "client_msg_id", name="uq_messages_sender_client_msg"),
    )

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    conversation_id: Mapped[int] = mapped_column(ForeignKey("conversations.id"))
    seq: Mapped[int] = mapped_column(BigInteger)
    sender_id: Mapped[int] = mapped_column(ForeignKey("people.id"))
    #: Set when a holder sends "as the post".
    as_post_id: Mapped[int | None] = mapped_column(ForeignKey("posts.id"))
    client_msg_id: Mapped[str] = mapped_column(String(64))
    #: text | markdown | image | file | card
    content_type: Mapped[str] = mapped_column(String(10))
    #: The content as JSON text (shape depends on content_type; see docs/protocol.md).
    body: Mapped[str] = mapped_column(Text)
    #: Plain text used by search (text, markdown source, file name, card title).
    search_text: Mapped[str] = mapped_column(Text, default="")
    reply_to_id: Mapped[int | None] = mapped_column(ForeignKey("messages.id"))
    #: A DING: pushed at once and re-reminded until read.
    urgent: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    edited_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    recalled_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))


class ReadState(Base):
    __tablename__ = "read_states"

    conversation_id: Mapped[int] = mapped_column(ForeignKey("conversations.id"), primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("people.id"), primary_key=True)
    last_read_seq: Mapped[int] = mapped_column(BigInteger, default=0)


class StreamState(Base):
    """Named counters; the ``events`` row is locked by every batch that appends events."""

    __tablename__ = "stream_state"

    name: Mapped[str] = mapped_column(String(20), primary_key=True)
    position: Mapped[int] = mapped_column(BigInteger, default=0)


class Event(Base):
    __tablename__ = "events"

    #: Global position, allocated under the stream_state lock (not autoincrement).
    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True,
                                    autoincrement=False)
    type: Mapped[str] = mapped_column(String(40))
    #: The event as sent to clients (JSON text), shared by all its recipients.
    payload: Mapped[str] = mapped_column(Text)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), index=True)
    #: What the event is about, for the read rule and the current state at replay time
    #: (im_server.replay_rules): set by the committer from the event's data.
    conversation_id: Mapped[int | None] = mapped_column(Integer)
    message_id: Mapped[int | None] = mapped_column(BigInteger().with_variant(Integer, "sqlite"))
    notice_id: Mapped[int | None] = mapped_column(Integer)


class Inbox(Base):
    """Which positions are meant for whom: the hottest table (a notice to 10,000 people writes
    10,000 rows before it is acknowledged). No foreign keys, on purpose: PostgreSQL checks them
    row by row (60 of 83 ms for 10,000 rows), and only the committer writes here, with ids it
    has just read in the same transaction; retention deletes inbox rows before their events."""

    __tablename__ = "inbox"

    person_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    event_id: Mapped[int] = mapped_column(
        BigInteger().with_variant(Integer, "sqlite"), primary_key=True, index=True)


class AnnouncedHolder(Base):
    """Who was last announced as holding a post that is a member of conversations: the state
    rotations are computed against (im_server.rotation). The current holders minus these got
    ``conversation.new``; these minus the current holders get ``conversation.removed``. Seeded
    when a conversation gets a post member; no foreign keys (written only by committer jobs)."""

    __tablename__ = "announced_holders"

    post_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    person_id: Mapped[int] = mapped_column(Integer, primary_key=True)


class Notice(Base):
    __tablename__ = "notices"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    sender_id: Mapped[int] = mapped_column(ForeignKey("people.id"))
    sender_post_id: Mapped[int] = mapped_column(ForeignKey("posts.id"))
    title: Mapped[str] = mapped_column(String(200))
    body: Mapped[str] = mapped_column(Text)
    selector: Mapped[str] = mapped_column(Text)
    require_confirm: Mapped[bool] = mapped_column(Boolean, default=False)
    urgent: Mapped[bool] = mapped_column(Boolean, default=False)
    client_msg_id: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))

    __table_args__ = (UniqueConstraint("sender_id", "client_msg_id", name="uq_notices_sender_client_msg"),)


class NoticeRecipient(Base):
    """Who a notice reached and how far they got. No foreign keys, for the inbox's reason: a
    notice to 10,000 people would check (and share-lock) 40,000 referenced rows one by one;
    only the notice job writes here, with ids read in the same transaction."""

    __tablename__ = "notice_recipients"
    __table_args__ = (
        Index("ix_notice_recipients_person", "person_id"),
        Index("ix_notice_recipients_rollup", "notice_id", "unit_path"),
    )

    notice_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    person_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    #: The post (or enterprise) through which the notice reached this person.
    via_post_id: Mapped[int | None] = mapped_column(Integer)
    enterprise_id: Mapped[int | None] = mapped_column(Integer)
    #: The recipient's org unit path, for the roll-up by city, county, township, village.
    unit_path: Mapped[str | None] = mapped_column(String(12))
    read_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    confirmed_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    feedback: Mapped[str | None] = mapped_column(Text)


class Reminder(Base):
    """A DING re-reminder: due at ``next_due_at`` until all confirm or ``max_attempts`` is reached."""

    __tablename__ = "reminders"
    __table_args__ = (Index("ix_reminders_due", "done", "next_due_at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    notice_id: Mapped[int | None] = mapped_column(ForeignKey("notices.id"))
    message_id: Mapped[int | None] = mapped_column(ForeignKey("messages.id"))
    interval_seconds: Mapped[int] = mapped_column(Integer)
    attempt: Mapped[int] = mapped_column(SmallInteger, default=0)
    max_attempts: Mapped[int] = mapped_column(SmallInteger)
    next_due_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    done: Mapped[bool] = mapped_column(Boolean, default=False)


class OutboxEntry(Base):
    """Every reminder the notifier sent (the recording default) — in_app, sms or voice."""

    __tablename__ = "notifier_outbox"
    __table_args__ = (Index("ix_notifier_outbox_notice", "notice_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    channel: Mapped[str] = mapped_column(String(10))
    person_id: Mapped[int] = mapped_column(ForeignKey("people.id"))
    mobile: Mapped[str | None] = mapped_column(String(11))
    notice_id: Mapped[int | None] = mapped_column(ForeignKey("notices.id"))
    message_id: Mapped[int | None] = mapped_column(ForeignKey("messages.id"))
    reminder_id: Mapped[int | None] = mapped_column(ForeignKey("reminders.id"))
    attempt: Mapped[int] = mapped_column(SmallInteger)
    text: Mapped[str] = mapped_column(Text)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))


class Media(Base):
    __tablename__ = "media"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    #: Random public identifier used in URLs and message bodies.
    token: Mapped[str] = mapped_column(String(40), unique=True)
    owner_id: Mapped[int] = mapped_column(ForeignKey("people.id"))
    conversation_id: Mapped[int] = mapped_column(ForeignKey("conversations.id"), index=True)
    #: image | file
    kind: Mapped[str] = mapped_column(String(8))
    filename: Mapped[str] = mapped_column(String(255))
    content_type: Mapped[str] = mapped_column(String(100))
    size: Mapped[int] = mapped_column(BigInteger)
    width: Mapped[int | None] = mapped_column(Integer)
    height: Mapped[int | None] = mapped_column(Integer)
    sha256: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))


class WsTicket(Base):
    """A short-lived, single-use ticket for opening the websocket (stored as its SHA-256)."""

    __tablename__ = "ws_tickets"

    ticket_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("people.id"))
    expires_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    used_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
