"""What one node counts for Prometheus: one :class:`Metrics` per application, on its own registry.

Every application builds its own :class:`Metrics` (its own ``CollectorRegistry``, not the
library's global default), so several servers in one process — the tests, two nodes in a
benchmark — never see each other's figures.

Cheap on the hot paths by construction: what the gateway and the hub's writer count per frame
or per event are loop-local numbers (:mod:`im_server.loop_metrics`, no locks), turned into
Prometheus families only when scraped; the committer observes once per batch. Values that
already exist elsewhere (open connections, the committer's queue, the database pool) are read
only when someone scrapes.

Served by :mod:`im_server.http_metrics` at ``GET /metrics``.
"""
from __future__ import annotations

import json
from collections import Counter as Tally
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.exposition import generate_latest
from prometheus_client.registry import Collector
from sqlalchemy.ext.asyncio import AsyncEngine

from im_server.loop_metrics import LoopCollector, LoopCounter, LoopHistogram

#: The Prometheus text exposition format that :func:`generate_latest` writes.
CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"
#: Batch sizes: the committer takes at most 256 jobs at once.
BATCH_SIZES = (1, 2, 4, 8, 16, 32, 64, 128, 256)
#: Seconds, from a fast SQLite batch to a database that is struggling.
LATENCIES = (0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)
#: HTTP methods counted by name; anything else a client invents is ``other`` (bounded labels).
HTTP_METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})


@dataclass(frozen=True)
class MetricsListener:
    """Where the separate metrics listener is bound (the real port when 0 was asked for)."""

    host: str
    port: int


class Metrics:
    """The node's counters, gauges and histograms; see docs/operations.md for each one."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        r = self.registry
        self.connections_open = Gauge(
            "zhengding_ws_connections_open", "Authenticated websocket connections on this node", registry=r)
        self.connections_opened = Counter(
            "zhengding_ws_connections_opened", "Websocket connections authenticated on this node", registry=r)
        self.frames_in = LoopCounter(
            "zhengding_ws_frames_in", "Websocket frames received, by operation (rejected: refused before "
            "dispatch — not JSON, no id, unknown op, rate limited…; binary: a binary frame)", ["op"])
        self.frames_out = LoopCounter(
            "zhengding_ws_frames_out", "Websocket frames sent: replies by the request's operation, "
            "events by event type (live and replayed; held: live events released after a replay)", ["kind", "op"])
        self.errors = LoopCounter(
            "zhengding_errors", "Error replies by code: websocket replies and HTTP JSON errors",
            ["transport", "code"])
        self.http_requests = LoopCounter(
            "zhengding_http_requests", "HTTP requests answered, by method and status", ["method", "status"])
        self.batch_size = Histogram(
            "zhengding_committer_batch_size", "Jobs per committed batch", buckets=BATCH_SIZES, registry=r)
        self.batch_seconds = Histogram(
            "zhengding_committer_batch_seconds", "Time to commit one batch (run its jobs, append events, "
            "COMMIT, publish)", buckets=LATENCIES, registry=r)
        self.batches_failed = Counter(
            "zhengding_committer_batches_failed", "Batches whose transaction failed (nobody acknowledged)",
            registry=r)
        self.committer_queue = Gauge(
            "zhengding_committer_queue", "Jobs waiting for the committer's next batch", registry=r)
        self.fanout_seconds = LoopHistogram(
            "zhengding_fanout_seconds", "From an event handed to this node's hub to its frames written to "
            "every local recipient", LATENCIES)
        self.replays = Counter(
            "zhengding_replays", "Connections resumed, by how the replay ended (live: no cursor; "
            "caught_up; resync: cursor out of range)", ["outcome"], registry=r)
        self.replay_pages = Counter(
            "zhengding_replay_pages", "Pages of missed events read for resuming clients", registry=r)
        self.replay_events = Counter(
            "zhengding_replay_events", "Missed events sent to resuming clients", registry=r)
        self.scheduler_runs = Counter(
            "zhengding_scheduler_runs", "Periodic job runs by job and outcome (ok, error)",
            ["job", "outcome"], registry=r)
        self.scheduler_handled = Counter(
            "zhengding_scheduler_handled", "Items handled by periodic jobs (reminders sent, notices "
            "handed over, events pruned…)", ["job"], registry=r)
        self.scheduler_seconds = Histogram(
            "zhengding_scheduler_run_seconds", "Duration of periodic job runs", ["job"], buckets=LATENCIES,
            registry=r)
        r.register(LoopCollector([self.frames_in, self.frames_out, self.errors, self.http_requests,
                                  self.fanout_seconds]))
        self._pools = _PoolCollector()
        r.register(self._pools)

    # --- wiring, once at start-up --------------------------------------------------------------

    def watch_connections(self, count: Callable[[], int]) -> None:
        """``zhengding_ws_connections_open`` is ``count()`` at scrape time."""
        self.connections_open.set_function(count)

    def watch_committer_queue(self, size: Callable[[], int]) -> None:
        self.committer_queue.set_function(size)

    def watch_pool(self, name: str, engine: AsyncEngine) -> None:
        """Report the connection pool of ``engine`` as ``zhengding_db_pool_*{pool=name}``."""
        self._pools.engines[name] = engine

    # --- hot paths -------------------------------------------------------------------------------

    def frame_in(self, op: str) -> None:
        self.frames_in.inc((op,))

    def reply(self, op: str, code: str | None = None) -> None:
        """A reply to a request of ``op`` went out; ``code`` when it is an error."""
        self.frames_out.inc(("reply", op))
        if code is not None:
            self.errors.inc(("ws", code))

    def ws_error(self, code: str) -> None:
        self.errors.inc(("ws", code))

    def rejected(self, reply_text: str | None) -> None:
        """The protocol core refused a frame, answering ``reply_text`` (an error frame) or not."""
        self.frame_in("rejected")
        if reply_text is not None:
            self.reply("rejected", error_code(reply_text))

    def events_out(self, counts: dict[str, int]) -> None:
        """Event frames written, by type (the hub and replays count a turn or a page at once)."""
        for event_type, count in counts.items():
            self.frames_out.inc(("event", event_type), count)

    def replay_page(self, event_types: Iterable[str]) -> None:
        """One page of missed events was read for a resuming client (it may be empty)."""
        tally = Tally(event_types)
        self.replay_pages.inc()
        self.replay_events.inc(sum(tally.values()))
        self.events_out(tally)

    def replayed(self, outcome: str, held: int) -> None:
        """A connection went live after its replay: its ``sync.<outcome>`` event went out, and
        ``held`` live events that had arrived meanwhile (counted as ``op="held"``)."""
        self.replays.labels(outcome).inc()
        self.events_out({"sync." + outcome: 1, "held": held} if held else {"sync." + outcome: 1})

    def http_response(self, method: str, status: int, code: str | None) -> None:
        self.http_requests.inc((method if method in HTTP_METHODS else "other", str(status)))
        if code is not None:
            self.errors.inc(("http", code))

    # --- exposition ------------------------------------------------------------------------------

    def exposition(self) -> bytes:
        """Everything, in the Prometheus text format."""
        return generate_latest(self.registry)


def error_code(frame_text: str) -> str:
    """The ``error.code`` of an error frame we encoded (``unknown`` if it is not one)."""
    try:
        error = json.loads(frame_text).get("error") or {}
    except (ValueError, AttributeError):
        return "unknown"
    code = error.get("code") if isinstance(error, dict) else None
    return code if isinstance(code, str) else "unknown"


class _PoolCollector(Collector):
    """SQLAlchemy pool figures, read from the pools at scrape time (nothing on the hot path)."""

    FIGURES = (
        ("size", "Connections the pool keeps (its pool_size)"),
        ("checked_out", "Connections in use"),
        ("checked_in", "Idle connections in the pool"),
        ("overflow", "Connections open beyond pool_size (negative: fewer than pool_size open)"),
    )

    def __init__(self) -> None:
        self.engines: dict[str, AsyncEngine] = {}

    def collect(self) -> Iterator[GaugeMetricFamily]:
        families = {figure: GaugeMetricFamily(f"zhengding_db_pool_{figure}", doc, labels=["pool"])
                    for figure, doc in self.FIGURES}
        for name, engine in self.engines.items():
            pool = engine.sync_engine.pool
            readers = {"size": "size", "checked_out": "checkedout", "checked_in": "checkedin",
                       "overflow": "overflow"}
            for figure, method in readers.items():
                read = getattr(pool, method, None)
                if read is not None:  # pools without a queue (NullPool, StaticPool) lack some
                    families[figure].add_metric([name], float(read()))
        yield from families.values()

    def describe(self) -> Iterator[GaugeMetricFamily]:
        return iter(())
