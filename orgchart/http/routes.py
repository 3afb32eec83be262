"""Route table of the directory API under ``/api/v1/``."""
from __future__ import annotations

from aiohttp import web


def setup(app: web.Application) -> None:
    """Add the directory's routes to ``app``."""
