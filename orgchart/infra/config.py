"""One typed configuration object, read once at start-up and passed down.

Precedence, highest first: explicit overrides (command-line options), ``ZHENGDING_*``
environment variables, a TOML file (``--config`` or ``ZHENGDING_CONFIG``), the defaults below.
"""
from __future__ import annotations

import dataclasses
import os
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ENV_PREFIX = "ZHENGDING_"
DEFAULT_DATABASE_URL = "sqlite+aiosqlite:///var/zhengding.sqlite3"
LOG_FORMATS = ("text", "json")


class ConfigError(ValueError):
    """A configuration value is missing, unknown or of the wrong type."""


@dataclass(frozen=True)
class Settings:
    host: str = "127.0.0.1"
    port: int = 8080
    #: Listen backlog: thousands of clients reconnecting at once overflow the default 128.
    backlog: int = 4096
    database_url: str = DEFAULT_DATABASE_URL
    redis_url: str | None = None
    #: Prefix of every Redis channel and key, so deployments (and test runs) can share a Redis.
    redis_namespace: str = "zhengding"
    #: Load the demo city directory when the database holds no org unit yet.
    demo_data: bool = True
    #: Lifetime of an API token issued by ``POST /api/v1/login``.
    token_ttl_seconds: int = 12 * 3600
    #: Browser origins allowed to open the websocket, besides the server's own.
    allowed_origins: tuple[str, ...] = field(default_factory=tuple)
    #: Start-up extensions, ``module:function`` each: an aiohttp cleanup context run after the
    #: messaging runtime starts (see im_server.app). The default runs the in-process bots.
    extensions: tuple[str, ...] = ("bots.runtime:cleanup_ctx",)

    # --- messaging ---------------------------------------------------------------------------
    #: Largest websocket frame accepted; larger ones close the socket with 1009.
    ws_max_frame_bytes: int = 256 * 1024
    #: Per-connection request rate (frames/s) and burst before ``rate_limited`` answers.
    ws_rate: float = 20.0
    ws_burst: int = 60
    #: A socket must authenticate within this many seconds of opening.
    ws_auth_timeout: float = 5.0
    #: Ping interval; a peer that does not answer a ping in time is closed.
    ws_heartbeat_seconds: float = 30.0
    #: Unsent bytes buffered for one client before it is disconnected as too slow (it resumes
    #: from its cursor later).
    ws_send_buffer_bytes: int = 4 * 1024 * 1024
    #: Requests one connection may have in flight at once.
    ws_max_in_flight: int = 64
    #: Lifetime of a websocket ticket from ``POST /api/v1/ws-ticket``.
    ws_ticket_ttl_seconds: int = 30
    #: Events are kept this long for resuming clients; older cursors get "resync".
    event_retention_days: int = 7
    #: Uploads: bytes per file, pixels per image, where files are kept.
    upload_max_bytes: int = 20 * 1024 * 1024
    image_max_pixels: int = 40_000_000
    media_dir: str = "var/media"
    #: DING re-reminders: the shortest interval a sender may ask for, and how often we look.
    ding_min_interval_seconds: int = 300
    scheduler_tick_seconds: float = 5.0

    # --- operations ----------------------------------------------------------------------------
    #: ``text`` (one line per record) or ``json`` (one JSON object per line, with request and
    #: connection ids); see orgchart.infra.logs.
    log_format: str = "text"
    #: Where ``GET /metrics`` is served: unset, on the main port to administrators' tokens only;
    #: ``HOST:PORT``, on that address of its own without authentication (and not on the main port).
    metrics_listen: str | None = None

    def __post_init__(self) -> None:
        if self.log_format not in LOG_FORMATS:
            raise ConfigError(f"log_format: expected one of {', '.join(LOG_FORMATS)}, got {self.log_format!r}")
        if self.metrics_listen is not None:
            self.metrics_address  # noqa: B018 - validates

    @property
    def metrics_address(self) -> tuple[str, int] | None:
        """``metrics_listen`` as (host, port); ``[::1]:9464`` for an IPv6 address."""
        if not self.metrics_listen:
            return None
        host, sep, port = self.metrics_listen.rpartition(":")
        host = host.removeprefix("[").removesuffix("]")
        if not sep or not host or not port.isdigit() or not 0 <= int(port) <= 65535:
            raise ConfigError(f"metrics_listen: expected HOST:PORT, got {self.metrics_listen!r}")
        return host, int(port)

    @property
    def database_backend(self) -> str:
        """``sqlite`` or ``postgresql``: safe to show, unlike the URL itself."""
        return self.database_url.split(":", 1)[0].split("+", 1)[0]


_FIELDS = {f.name: f for f in dataclasses.fields(Settings)}


def _coerce(name: str, raw: Any) -> Any:
    default = getattr(Settings(), name)
    kind = type(default) if default is not None else str
    if name in ("allowed_origins", "extensions"):
        if isinstance(raw, str):
            return tuple(part.strip() for part in raw.split(",") if part.strip())
        if isinstance(raw, (list, tuple)):
            return tuple(str(part) for part in raw)
        raise ConfigError(f"{name}: expected a comma-separated list, got {raw!r}")
    if raw is None:
        return None
    if kind is bool:
        if isinstance(raw, bool):
            return raw
        text = str(raw).strip().lower()
        if text in {"1", "true", "yes", "on"}:
            return True
        if text in {"0", "false", "no", "off"}:
            return False
        raise ConfigError(f"{name}: expected true or false, got {raw!r}")
    if kind in (int, float):
        try:
            return kind(raw)
        except (TypeError, ValueError):
            raise ConfigError(f"{name}: expected a number, got {raw!r}") from None
    return str(raw)


def load_settings(
    overrides: Mapping[str, Any] | None = None,
    *,
    environ: Mapping[str, str] | None = None,
    config_file: str | os.PathLike[str] | None = None,
) -> Settings:
    """Build the settings from defaults, a TOML file, the environment and overrides."""
    environ = os.environ if environ is None else environ
    values: dict[str, Any] = {}
    config_file = config_file or environ.get(ENV_PREFIX + "CONFIG")
    if config_file:
        try:
            data = tomllib.loads(Path(config_file).read_text(encoding="utf-8"))
        except (OSError, tomllib.TOMLDecodeError) as exc:
            raise ConfigError(f"cannot read configuration file {config_file}: {exc}") from None
        table = data.get("zhengding", data)
        for key, raw in table.items():
            name = key.replace("-", "_")
            if name not in _FIELDS:
                raise ConfigError(f"unknown setting {key!r} in {config_file}")
            values[name] = _coerce(name, raw)
    for name in _FIELDS:
        env_name = ENV_PREFIX + name.upper()
        if env_name in environ:
            values[name] = _coerce(name, environ[env_name])
    for name, raw in (overrides or {}).items():
        if raw is None:
            continue
        if name not in _FIELDS:
            raise ConfigError(f"unknown setting {name!r}")
        values[name] = _coerce(name, raw)
    return Settings(**values)
