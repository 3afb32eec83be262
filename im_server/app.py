"""The application factory: one place that wires settings, database and routes together.

Tests build the same application with :func:`create_app` and their own settings.
"""
from __future__ import annotations

import importlib
import logging
from collections.abc import AsyncIterator, Callable

from aiohttp import web

from im_server import http_metrics
from im_server import routes as messaging_routes
from im_server.keys import MESSAGING
from im_server.metrics import Metrics
from im_server.notifier import Notifier, OutboxNotifier
from im_server.runtime import Messaging
from orgchart import __version__
from orgchart.http import parse_errors
from orgchart.http import routes as directory_routes
from orgchart.http.errors import json_errors
from orgchart.http.keys import ENGINE, HOLDINGS_CHANGED, NOTIFIER, SESSIONS, SETTINGS
from orgchart.infra import migrate
from orgchart.infra.config import Settings
from orgchart.infra.db import create_engine, session_maker

log = logging.getLogger(__name__)


def create_app(settings: Settings, *, run_migrations: bool = True,
               notifier: Notifier | None = None) -> web.Application:
    """The whole server as an aiohttp application; start-up work happens in ``cleanup_ctx``.

    ``notifier`` is how DING reminders and activation codes leave the system (SMS, voice); the
    default records them in the notifier outbox, where the API and the tests can see them.
    """
    parse_errors.install()  # unparsable requests answered as JSON, without a traceback
    metrics = Metrics()
    app = web.Application(middlewares=[http_metrics.request_context(metrics), json_errors],
                          client_max_size=64 * 1024 * 1024)
    app[SETTINGS] = settings
    notifier = notifier or OutboxNotifier()
    app[NOTIFIER] = notifier  # the directory's activation codes go out the same way

    async def database(app: web.Application) -> AsyncIterator[None]:
        engine = create_engine(settings.database_url)
        if run_migrations:
            await migrate.upgrade(engine)
        app[ENGINE] = engine
        app[SESSIONS] = session_maker(engine)
        if settings.demo_data:
            from orgchart.io.demo import ensure_demo_directory

            await ensure_demo_directory(app[SESSIONS])
        yield
        await engine.dispose()

    async def messaging(app: web.Application) -> AsyncIterator[None]:
        runtime = Messaging.build(settings, app[ENGINE], app[SESSIONS], notifier=notifier, metrics=metrics)
        await runtime.start()
        app[MESSAGING] = runtime
        app[HOLDINGS_CHANGED] = runtime.follow_holdings  # rotations by the admin API: at once
        yield
        await runtime.close()

    async def close_sockets(app: web.Application) -> None:
        # on_shutdown runs before cleanup: say goodbye so clients reconnect elsewhere and resume
        for connection in app[MESSAGING].hub.connections():
            await connection.ws.close(code=1001, message=b"server shutting down")

    app.cleanup_ctx.append(database)
    app.cleanup_ctx.append(messaging)
    for name in settings.extensions:  # e.g. the bot runtime: started once messaging runs
        app.cleanup_ctx.append(load_extension(name))
    app.on_shutdown.append(close_sockets)
    app.router.add_get("/healthz", healthz)
    directory_routes.setup(app)
    messaging_routes.setup(app)
    http_metrics.setup(app, settings, metrics)
    return app


def load_extension(name: str) -> Callable[[web.Application], AsyncIterator[None]]:
    """The cleanup context ``module:function`` names (the ``extensions`` setting).

    The extension point that keeps dependencies one way: the server names what to start in
    its settings and imports it only here, by name, so ``bots/`` builds on ``im_server`` and
    never the other way round. A name that does not resolve stops start-up with the reason.
    """
    module_name, _, attribute = name.partition(":")
    try:
        return getattr(importlib.import_module(module_name), attribute)
    except (ImportError, AttributeError) as exc:
        raise RuntimeError(f"extension {name!r} cannot be loaded: {exc}") from exc


async def healthz(request: web.Request) -> web.Response:
    settings = request.app[SETTINGS]
    health = {"status": "ok", "version": __version__, "database": settings.database_backend}
    media_check = request.app[MESSAGING].media_check if MESSAGING in request.app else None
    if media_check is not None:  # several nodes: can this one serve every node's uploads?
        health["media_dir_shared"] = not media_check.unshared
        if media_check.unshared:
            health["media_dir_unshared_with"] = media_check.unshared
    return web.json_response(health)
