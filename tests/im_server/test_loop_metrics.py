"""Loop-local counters and histograms expose what Prometheus expects (cumulative ``le`` buckets)."""
from __future__ import annotations

from prometheus_client import CollectorRegistry
from prometheus_client.exposition import generate_latest
from prometheus_client.parser import text_string_to_metric_families

from im_server.loop_metrics import LoopCollector, LoopCounter, LoopHistogram


def _samples(*metrics) -> dict:
    registry = CollectorRegistry()
    registry.register(LoopCollector(metrics))
    text = generate_latest(registry).decode()
    return {(s.name, tuple(sorted(s.labels.items()))): s.value
            for family in text_string_to_metric_families(text) for s in family.samples}


def test_histogram_buckets_are_cumulative_and_bounds_inclusive():
    histogram = LoopHistogram("demo_seconds", "demo", (0.1, 1.0))
    for value in (0.05, 0.1, 0.5, 1.0, 7.0):
        histogram.observe(value)
    samples = _samples(histogram)
    assert samples[("demo_seconds_bucket", (("le", "0.1"),))] == 2  # 0.1 itself is "le 0.1"
    assert samples[("demo_seconds_bucket", (("le", "1.0"),))] == 4
    assert samples[("demo_seconds_bucket", (("le", "+Inf"),))] == 5
    assert samples[("demo_seconds_count", ())] == 5
    assert abs(samples[("demo_seconds_sum", ())] - 8.65) < 1e-9


def test_counter_by_labels():
    counter = LoopCounter("demo_frames", "demo", ["op"])
    counter.inc(("a",))
    counter.inc(("a",), 2)
    counter.inc(("b",))
    samples = _samples(counter)
    assert samples[("demo_frames_total", (("op", "a"),))] == 3
    assert samples[("demo_frames_total", (("op", "b"),))] == 1
