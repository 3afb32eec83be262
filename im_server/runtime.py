"""The messaging runtime of one node: everything the gateway and handlers share, built once.

Started and stopped as one unit by the application's ``cleanup_ctx``.
"""
from __future__ import annotations

import datetime as dt
import logging
import uuid
import weakref
from collections import OrderedDict
from dataclasses import dataclass, field

from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from im_server.delivery.bus import Bus, make_bus
from im_server.delivery.committer import Committer
from im_server.delivery.dispatcher import Dispatcher
from im_server.delivery.hub import Hub
from im_server.gc_policy import GcPolicy
from im_server.media.shared_check import MediaShareCheck
from im_server.metrics import Metrics
from im_server.notifier import Notifier, OutboxNotifier
from im_server.presence import Presence, make_presence
from im_server.protocol.ratelimit import TokenBucket
from im_server.replay_rules import Page
from im_server.replay_rules import apply as apply_replay_rules
from im_server.scheduler import PeriodicJob, Scheduler
from im_server.stores.inbox import Resume, first_pages
from orgchart.infra.batching import BatchLoader
from orgchart.infra.config import Settings
from orgchart.service.accounts import AccountService
from orgchart.service.viewer import Viewer

log = logging.getLogger(__name__)

#: Events per replay page (a client owed more reads page after page).
REPLAY_PAGE = 500
#: Clients answered by one lookup in a reconnect storm: big enough that 10,000 reconnects cost
#: tens of queries, small enough that one batch of first pages stays a few thousand rows.
LOOKUP_BATCH = 200
#: Budgets of HTTP callers kept between their requests (least recently used dropped first).
KEPT_BUCKETS = 10_000


def utc_now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


@dataclass
class Messaging:
    settings: Settings
    engine: AsyncEngine
    sessions: async_sessionmaker[AsyncSession]
    bus: Bus
    hub: Hub
    committer: Committer
    dispatcher: Dispatcher
    presence: Presence
    accounts: AccountService
    node_id: str
    #: How DING re-reminders reach people (default: recorded in the notifier outbox).
    notifier: Notifier = field(default_factory=OutboxNotifier)
    #: This node's Prometheus figures (the application's registry; see im_server.metrics).
    metrics: Metrics = field(default_factory=Metrics)
    scheduler: Scheduler = field(init=False)
    _rate_limits: weakref.WeakValueDictionary[int, TokenBucket] = field(
        init=False, default_factory=weakref.WeakValueDictionary)
    _kept_buckets: OrderedDict[int, TokenBucket] = field(init=False, default_factory=OrderedDict)
    #: Token → viewer for websocket authentication, many tokens per query.
    token_viewers: BatchLoader[str, Viewer] = field(init=False)
    #: The retention floor and first replay page of each resuming client, many per query.
    replay_pages: BatchLoader[Resume, tuple[int, Page]] = field(init=False)
    #: Short garbage-collector passes with thousands of sockets (see im_server.gc_policy).
    gc_policy: GcPolicy = field(init=False)
    #: With several nodes (Redis): is media_dir really shared? (None on a single node.)
    media_check: MediaShareCheck | None = field(init=False, default=None)

    def __post_init__(self) -> None:
        tick = self.settings.scheduler_tick_seconds
        self.scheduler = Scheduler([
            PeriodicJob("ding-reminders", self.run_due_reminders, tick),
            PeriodicJob("post-rotation", self.hand_over_pending_notices, 60 if tick > 0 else 0),
            PeriodicJob("event-retention", self.prune_events, 3600 if tick > 0 else 0),
            PeriodicJob("media-shared", self.check_media_shared, 300 if tick > 0 else 0),
        ], self.metrics)
        self.gc_policy = GcPolicy(lambda: len(self.hub))
        if self.settings.redis_url:
            self.media_check = MediaShareCheck(self.settings.redis_url, self.settings.redis_namespace,
                                               self.node_id, self.settings.media_dir)
        self.token_viewers = BatchLoader(self._viewers_for_tokens, max_batch=LOOKUP_BATCH)
        self.replay_pages = BatchLoader(self._first_pages, max_batch=LOOKUP_BATCH)

    async def _viewers_for_tokens(self, tokens: list[str]) -> dict[str, Viewer]:
        return await self.accounts.viewers_for_tokens(tokens)

    async def _first_pages(self, wanted: list[Resume]) -> dict[Resume, tuple[int, Page]]:
        async with self.engine.connect() as conn:
            pruned, pages = await first_pages(conn, wanted, REPLAY_PAGE)
            keys = list(pages)
            shown = await apply_replay_rules(conn, [(key.person_id, pages[key]) for key in keys],
                                             REPLAY_PAGE)
        return {key: (pruned, page) for key, page in zip(keys, shown)}

    async def authenticate(self, token: str) -> Viewer | None:
        """The viewer of a live API token, or ``None``; concurrent calls share one query."""
        return await self.token_viewers.load(token) if token else None

    @classmethod
    def build(cls, settings: Settings, engine: AsyncEngine,
              sessions: async_sessionmaker[AsyncSession], *,
              notifier: Notifier | None = None, metrics: Metrics | None = None) -> Messaging:
        metrics = metrics or Metrics()
        bus = make_bus(settings.redis_url, settings.redis_namespace)
        hub = Hub(metrics)
        metrics.watch_connections(hub.__len__)
        metrics.watch_pool("main", engine)
        node_id = uuid.uuid4().hex[:8]
        return cls(
            settings=settings, engine=engine, sessions=sessions, bus=bus, hub=hub,
            committer=Committer(engine, bus, metrics=metrics), dispatcher=Dispatcher(engine, hub),
            presence=make_presence(settings.redis_url, node_id, settings.redis_namespace),
            accounts=AccountService(sessions, token_ttl_seconds=settings.token_ttl_seconds),
            node_id=node_id, notifier=notifier or OutboxNotifier(), metrics=metrics,
        )

    def rate_limit_for(self, person_id: int, *, keep: bool = False) -> TokenBucket:
        """The user's request budget on this node, shared by all their connections (and their
        HTTP calls): opening more sockets does not buy more requests. Dropped when their last
        connection goes — or, with ``keep`` (HTTP callers hold no socket that would keep it),
        when it is among the least recently used of :data:`KEPT_BUCKETS`."""
        bucket = self._rate_limits.get(person_id)
        if bucket is None:
            bucket = TokenBucket(rate=self.settings.ws_rate, burst=self.settings.ws_burst)
            self._rate_limits[person_id] = bucket
        if keep:
            self._kept_buckets[person_id] = bucket
            self._kept_buckets.move_to_end(person_id)
            if len(self._kept_buckets) > KEPT_BUCKETS:
                self._kept_buckets.popitem(last=False)
        return bucket

    async def start(self) -> None:
        await self.committer.start()
        await self.dispatcher.start()
        await self.bus.start(self.dispatcher.on_batch)
        await self.presence.start()
        await self.check_media_shared()
        await self.scheduler.start()
        await self.gc_policy.start()

    async def check_media_shared(self, _now: dt.datetime | None = None) -> int:
        """How many other nodes' uploads this node cannot see (see im_server.media.shared_check)."""
        if self.media_check is None:
            return 0
        try:
            return len(await self.media_check.check())
        except Exception:  # a Redis blip must not stop the node; the next check retries
            log.warning("checking that media_dir is shared failed", exc_info=True)
            return 0

    async def run_due_reminders(self, now: dt.datetime | None = None) -> int:
        """Handle the DING reminders due at ``now``; see :mod:`im_server.ding`."""
        from im_server.ding import run_due_reminders

        return await run_due_reminders(self, now)

    async def hand_over_pending_notices(self, now: dt.datetime | None = None) -> int:
        """The minute's sweep over every post: pending notices follow posts to their holders
        and conversations are announced to both sides (:mod:`im_server.rotation`); returns
        the notice rows moved."""
        rotation = await self.follow_holdings(None, now)
        return rotation.notices_moved

    async def follow_holdings(self, posts: set[int] | None, now: dt.datetime | None = None):
        """The holdings of ``posts`` (all when None) changed: run the rotation at once."""
        from im_server.rotation import rotation_job

        # the day as the read rule sees it (handlers' Context.today, AdminService): a holding
        # ended "today" must be over for both at the same moment
        return await self.committer.submit(rotation_job(posts, now.date() if now else dt.date.today()))

    async def prune_events(self, now: dt.datetime | None = None) -> int:
        """Forget events older than the retention period; see :mod:`im_server.delivery.retention`."""
        from im_server.delivery.retention import prune_events

        cutoff = (now or utc_now()) - dt.timedelta(days=self.settings.event_retention_days)
        return await prune_events(self.engine, cutoff)

    async def close(self) -> None:
        await self.gc_policy.close()
        if self.media_check is not None:
            try:
                await self.media_check.close()
            except Exception:  # shutting down: the probe expires by itself
                log.warning("removing the media probe failed", exc_info=True)
        await self.token_viewers.close()
        await self.replay_pages.close()
        await self.scheduler.close()
        await self.presence.close()
        await self.bus.close()
        await self.dispatcher.close()
        await self.committer.close()
        await self.hub.close()
