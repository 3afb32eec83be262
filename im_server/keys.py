"""Typed application keys of the IM server (the directory's own are in orgchart.http.keys)."""
from __future__ import annotations

from aiohttp import web

from im_server.runtime import Messaging

MESSAGING = web.AppKey("messaging", Messaging)
