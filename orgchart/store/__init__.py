"""The directory's SQL, and only SQL: one small store object per concern.

Each store wraps one :class:`~sqlalchemy.ext.asyncio.AsyncSession` and returns plain dicts,
so the rules above it (:mod:`orgchart.service`) and the CLI never see a query. Stores know
nothing about HTTP or roles: visibility arrives as an explicit ``enterprise_view`` flag.

    units.UnitStore             org units, breadcrumbs, children with subtree counts
    departments.DepartmentStore departments of a unit, nested
    posts.PostStore             posts, their duty tags, edits
    holdings.HoldingStore       who holds which post now, on a date, and the history
    people.PersonStore          people and their passwords
    tokens.TokenStore           API tokens (hashes only)
    enterprises.EnterpriseStore external enterprises
    virtual_orgs.VirtualOrgStore virtual organisations, groups, members
    search.search               prefix search by name, pinyin, initials, code and duty tag

Prefix matches are index range scans ``col >= p AND col < upper(p)`` (see :mod:`.ranges`),
never ``LIKE``: SQLite's LIKE is case-insensitive and skips a normal index.
"""
