"""Typed application keys shared by every package's views (no string keys, no singletons)."""
from __future__ import annotations

from pathlib import Path

from aiohttp import web
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from orgchart.infra.config import Settings
from orgchart.infra.notify import Notifier
from orgchart.service.admin import HoldingsChanged
from orgchart.service.counts_cache import SubtreeCountsCache

SETTINGS = web.AppKey("settings", Settings)
ENGINE = web.AppKey("engine", AsyncEngine)
SESSIONS = web.AppKey("sessions", async_sessionmaker[AsyncSession])
#: The app's cache of big subtrees' counts (set up by ``orgchart.http.routes.setup``).
COUNTS_CACHE = web.AppKey("directory_counts_cache", SubtreeCountsCache)
#: OpenAPI files of other packages' routes, merged into the served document: a package's
#: ``setup(app)`` does ``app.setdefault(OPENAPI_PARTS, []).append(path)``.
OPENAPI_PARTS = web.AppKey("openapi_parts", list[Path])
#: The ``info`` (title, description) of the served document when the app is more than the
#: directory: the package that assembles the whole server sets it.
OPENAPI_INFO = web.AppKey("openapi_info", dict)
#: How the directory reaches people by SMS (activation codes); the IM server sets it.
NOTIFIER = web.AppKey("notifier", Notifier)
#: Told after an admin change of holdings (set by the IM server: notices and conversations follow).
HOLDINGS_CHANGED = web.AppKey("holdings_changed", HoldingsChanged)
