"""BatchLoader: concurrent lookups share one load; failures and cancellations stay in their batch."""
from __future__ import annotations

import asyncio

import pytest

from orgchart.infra.batching import BatchLoader


class Recorder:
    """A load_many that records each batch and can be held open or made to fail."""

    def __init__(self) -> None:
        self.batches: list[list[int]] = []
        self.release = asyncio.Event()
        self.release.set()
        self.fail_next = False

    async def __call__(self, keys: list[int]) -> dict[int, str]:
        self.batches.append(list(keys))
        await self.release.wait()
        if self.fail_next:
            self.fail_next = False
            raise TimeoutError("database away")
        return {key: f"v{key}" for key in keys if key >= 0}  # negative keys: not found


async def test_concurrent_loads_are_one_batch_with_each_key_once():
    load = Recorder()
    loader = BatchLoader(load)
    results = await asyncio.gather(*(loader.load(k) for k in (1, 2, 2, 3, -1)))
    assert results == ["v1", "v2", "v2", "v3", None]
    assert load.batches == [[1, 2, 3, -1]] and loader.batches == 1


async def test_requests_arriving_during_a_load_go_in_the_next_batch():
    load = Recorder()
    load.release.clear()
    loader = BatchLoader(load)
    first = asyncio.ensure_future(loader.load(1))
    await asyncio.sleep(0)
    await asyncio.sleep(0)
    later = [asyncio.ensure_future(loader.load(k)) for k in (2, 3)]
    await asyncio.sleep(0)
    assert load.batches == [[1]]  # still loading the first
    load.release.set()
    assert await first == "v1" and await asyncio.gather(*later) == ["v2", "v3"]
    assert load.batches == [[1], [2, 3]]


async def test_max_batch_splits_a_storm():
    load = Recorder()
    loader = BatchLoader(load, max_batch=3)
    assert await asyncio.gather(*(loader.load(k) for k in range(7))) == [f"v{k}" for k in range(7)]
    assert [len(b) for b in load.batches] == [3, 3, 1]


async def test_a_failed_batch_fails_its_requests_only():
    load = Recorder()
    load.fail_next = True
    loader = BatchLoader(load)
    failed = await asyncio.gather(loader.load(1), loader.load(2), return_exceptions=True)
    assert all(isinstance(result, TimeoutError) for result in failed)
    assert await loader.load(3) == "v3"  # the next batch is tried afresh


async def test_a_caller_that_goes_away_does_not_disturb_the_others():
    load = Recorder()
    load.release.clear()
    loader = BatchLoader(load)
    leaving, staying = asyncio.ensure_future(loader.load(1)), asyncio.ensure_future(loader.load(2))
    await asyncio.sleep(0)
    leaving.cancel()
    load.release.set()
    assert await staying == "v2"
    with pytest.raises(asyncio.CancelledError):
        await leaving


async def test_close_cancels_whoever_is_still_waiting():
    load = Recorder()
    load.release.clear()
    loader = BatchLoader(load)
    waiting = [asyncio.ensure_future(loader.load(k)) for k in (1, 2)]
    await asyncio.sleep(0)
    await loader.close()
    for future in waiting:
        with pytest.raises(asyncio.CancelledError):
            await future


def test_max_batch_must_be_positive():
    with pytest.raises(ValueError):
        BatchLoader(Recorder(), max_batch=0)
