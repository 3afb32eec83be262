"""Typed application keys of the IM server (the directory's own are in orgchart.http.keys)."""
from __future__ import annotations

from aiohttp import web

from im_server.metrics import Metrics, MetricsListener
from im_server.runtime import Messaging

MESSAGING = web.AppKey("messaging", Messaging)
#: The application's Prometheus figures (one registry per application).
METRICS = web.AppKey("metrics", Metrics)
#: Set when ``metrics_listen`` serves /metrics on an address of its own: where it is bound.
METRICS_LISTENER = web.AppKey("metrics_listener", MetricsListener)
