"""Directory tables. The schema is made and changed only by the Alembic migrations.

Subtree queries use the significant prefix of the 12-digit division code as a materialised
path (``path``: 2, 4, 6, 9 or 12 digits by level). Posts carry their unit's path and level so
that "every post with tag T under unit U at level L" is one index range scan.
"""
from __future__ import annotations

import datetime as dt

from sqlalchemy import (
    BigInteger,
    Boolean,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    SmallInteger,
    String,
    Text,
    UniqueConstraint,
    func,
)
from sqlalchemy.orm import Mapped, mapped_column

from orgchart.infra.db import Base


class OrgUnit(Base):
    __tablename__ = "org_units"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    code: Mapped[str] = mapped_column(String(12), unique=True)
    name: Mapped[str] = mapped_column(String(100))
    level: Mapped[int] = mapped_column(SmallInteger)
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("org_units.id"), index=True)
    path: Mapped[str] = mapped_column(String(12), index=True)
    name_pinyin: Mapped[str] = mapped_column(String(300), index=True)
    name_initials: Mapped[str] = mapped_column(String(100), index=True)


class Department(Base):
    __tablename__ = "departments"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    code: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(100))
    dept_type: Mapped[str] = mapped_column(String(40), index=True)
    org_unit_id: Mapped[int] = mapped_column(ForeignKey("org_units.id"), index=True)
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("departments.id"), index=True)


class Post(Base):
    __tablename__ = "posts"
    __table_args__ = (
        Index("ix_posts_level_dept_type", "level", "dept_type", "unit_path"),
        Index("ix_posts_unit_path", "unit_path"),
        Index("ix_posts_title", "title"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    code: Mapped[str] = mapped_column(String(80), unique=True)
    title: Mapped[str] = mapped_column(String(100))
    org_unit_id: Mapped[int] = mapped_column(ForeignKey("org_units.id"), index=True)
    department_id: Mapped[int | None] = mapped_column(ForeignKey("departments.id"), index=True)
    supervisor_id: Mapped[int | None] = mapped_column(ForeignKey("posts.id"))
    serves_enterprises: Mapped[bool] = mapped_column(Boolean, default=False)
    # Denormalised from the org unit and department (codes never change once imported).
    unit_path: Mapped[str] = mapped_column(String(12))
    level: Mapped[int] = mapped_column(SmallInteger)
    dept_type: Mapped[str | None] = mapped_column(String(40))


class PostDuty(Base):
    """A duty tag of a post (河长, 网格员 …), with the post's path and level for range scans."""

    __tablename__ = "post_duties"
    # Covering: "tag T under path P" is answered from the index alone, post ids included.
    __table_args__ = (Index("ix_post_duties_tag_path", "tag", "unit_path", "level", "post_id"),)

    post_id: Mapped[int] = mapped_column(ForeignKey("posts.id", ondelete="CASCADE"), primary_key=True)
    tag: Mapped[str] = mapped_column(String(40), primary_key=True)
    unit_path: Mapped[str] = mapped_column(String(12))
    level: Mapped[int] = mapped_column(SmallInteger)


class DutyAlias(Base):
    """A short form people type for a duty tag (村支书 → 村党支部书记); an alias may stand for
    several tags, one row each. Selectors read ``duty:村支书`` as ``duty:村党支部书记``."""

    __tablename__ = "duty_aliases"

    alias: Mapped[str] = mapped_column(String(40), primary_key=True)
    tag: Mapped[str] = mapped_column(String(40), primary_key=True)


class Person(Base):
    __tablename__ = "people"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(100))
    #: Mainland mobile number; NULL only for bot accounts.
    mobile: Mapped[str | None] = mapped_column(String(11), unique=True)
    name_pinyin: Mapped[str] = mapped_column(String(300), index=True)
    name_initials: Mapped[str] = mapped_column(String(100), index=True)
    #: official | enterprise | bot | admin
    role: Mapped[str] = mapped_column(String(16), default="official")
    #: argon2id hash; NULL until the account is activated.
    password_hash: Mapped[str | None] = mapped_column(String(200))
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())


class Holding(Base):
    """A person holding a post over a period; the history is kept, never overwritten."""

    __tablename__ = "holdings"
    __table_args__ = (
        UniqueConstraint("post_id", "person_id", "start_date", name="uq_holdings_post_person_start"),
        # Covering: "who holds post P on day D" reads no table rows (selectors count holders
        # of 20,000 posts at a time; children counts do the same per subtree).
        Index("ix_holdings_post_current", "post_id", "end_date", "start_date", "person_id"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    post_id: Mapped[int] = mapped_column(ForeignKey("posts.id"))
    person_id: Mapped[int] = mapped_column(ForeignKey("people.id"), index=True)
    #: primary | acting | deputy
    kind: Mapped[str] = mapped_column(String(10), default="primary")
    start_date: Mapped[dt.date] = mapped_column(Date)
    #: Exclusive end; NULL while the holding is current.
    end_date: Mapped[dt.date | None] = mapped_column(Date)


class Enterprise(Base):
    __tablename__ = "enterprises"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    credit_code: Mapped[str] = mapped_column(String(18), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    name_pinyin: Mapped[str] = mapped_column(String(600), index=True)
    name_initials: Mapped[str] = mapped_column(String(200), index=True)
    industry: Mapped[str | None] = mapped_column(String(100))
    #: micro | small | medium | large
    scale: Mapped[str | None] = mapped_column(String(10))
    #: Registered capital in yuan.
    registered_capital: Mapped[int | None] = mapped_column(BigInteger)
    region_id: Mapped[int | None] = mapped_column(ForeignKey("org_units.id"), index=True)
    region_path: Mapped[str | None] = mapped_column(String(12), index=True)
    #: Comma-separated tags (高新技术企业, 规上工业 …).
    tags: Mapped[str] = mapped_column(Text, default="")


class EnterpriseMember(Base):
    """An external user (a Person with role ``enterprise``) acting for an enterprise."""

    __tablename__ = "enterprise_members"

    enterprise_id: Mapped[int] = mapped_column(ForeignKey("enterprises.id"), primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("people.id"), primary_key=True, index=True)
    #: legal_representative | finance | tax_contact | staff
    member_role: Mapped[str] = mapped_column(String(24), default="staff")


class VirtualOrg(Base):
    """A department's virtual organisation (a tax office's taxpayers)."""

    __tablename__ = "virtual_orgs"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    code: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(100))
    owner_department_id: Mapped[int] = mapped_column(ForeignKey("departments.id"), index=True)


class VirtualGroup(Base):
    """A nested sub-group of a virtual organisation; ``path`` is ``/id/id/…/`` from the top."""

    __tablename__ = "virtual_groups"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    virtual_org_id: Mapped[int] = mapped_column(ForeignKey("virtual_orgs.id"), index=True)
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("virtual_groups.id"), index=True)
    code: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(100))
    path: Mapped[str] = mapped_column(String(200), index=True)


class VirtualMembership(Base):
    """An enterprise in a virtual organisation, in one group, with its assigned officer post."""

    __tablename__ = "virtual_memberships"
    __table_args__ = (Index("ix_virtual_memberships_group", "group_id"),)

    virtual_org_id: Mapped[int] = mapped_column(ForeignKey("virtual_orgs.id"), primary_key=True)
    enterprise_id: Mapped[int] = mapped_column(
        ForeignKey("enterprises.id"), primary_key=True, index=True
    )
    group_id: Mapped[int] = mapped_column(ForeignKey("virtual_groups.id"))
    officer_post_id: Mapped[int | None] = mapped_column(ForeignKey("posts.id"), index=True)


class AuthToken(Base):
    """An API token: only its SHA-256 is stored; expiring and revocable."""

    __tablename__ = "auth_tokens"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("people.id"), index=True)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    expires_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    revoked_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))


class ActivationCode(Base):
    """A single-use code with which a person sets their first password (activates the account).

    Only a digest of the code is stored; the code itself leaves in the SMS and nowhere else.
    Issuing a new code revokes the person's earlier unused ones. Wrong guesses are counted on
    the code; enough of them and it is dead.
    """

    __tablename__ = "activation_codes"
    __table_args__ = (Index("ix_activation_codes_person_created", "person_id", "created_at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("people.id"))
    code_hash: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    expires_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    #: The admin who issued it (NULL when issued from the command line).
    issued_by: Mapped[int | None] = mapped_column(ForeignKey("people.id"))
    failed_attempts: Mapped[int] = mapped_column(SmallInteger, default=0)
    used_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    #: Set when a newer code replaced this one before it was used.
    revoked_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))


class BotAccount(Base):
    """What makes a ``bot`` person a bot: its description, its owner and whether it runs.

    The person row (role ``bot``, no mobile) is what conversations, messages and the audit log
    point at; a bot is owned by a department or by a post (exactly one of the two).
    """

    __tablename__ = "bot_accounts"

    person_id: Mapped[int] = mapped_column(ForeignKey("people.id"), primary_key=True)
    description: Mapped[str] = mapped_column(String(500), default="")
    owner_department_id: Mapped[int | None] = mapped_column(ForeignKey("departments.id"))
    owner_post_id: Mapped[int | None] = mapped_column(ForeignKey("posts.id"))
    #: A disabled bot receives nothing and says nothing.
    enabled: Mapped[bool] = mapped_column(Boolean, default=True)
