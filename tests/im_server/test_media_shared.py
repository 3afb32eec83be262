"""Nodes check that they really share media_dir (against the real Redis on this machine)."""
from __future__ import annotations

import uuid

from im_server.media.shared_check import MediaShareCheck
from tests.im_server.nodes import REDIS_URL, forget_namespace, require_redis


async def _checks(namespace, *media_dirs):
    return [MediaShareCheck(REDIS_URL, namespace, f"node{i}", str(d)) for i, d in enumerate(media_dirs)]


async def test_nodes_with_one_media_dir_see_each_other(tmp_path):
    await require_redis()
    namespace = f"zdtest-{uuid.uuid4().hex[:8]}"
    first, second = await _checks(namespace, tmp_path / "media", tmp_path / "media")
    try:
        assert await first.check() == []  # alone so far
        assert await second.check() == []
        assert await first.check() == [] and first.unshared == []
    finally:
        for check in (first, second):
            await check.close()
        await forget_namespace(namespace)
    assert not list((tmp_path / "media" / ".nodes").iterdir())  # probes removed on close


async def test_nodes_with_separate_media_dirs_are_reported(tmp_path, caplog):
    await require_redis()
    namespace = f"zdtest-{uuid.uuid4().hex[:8]}"
    first, second = await _checks(namespace, tmp_path / "a", tmp_path / "b")
    try:
        await first.check()
        assert await second.check() == ["node0"]
        assert await first.check() == ["node1"] and first.unshared == ["node1"]
        assert "not shared with node(s) node1" in caplog.text
        # a stale file from another run does not pass for the live node's probe
        (tmp_path / "a" / ".nodes" / "node1.probe").write_text("an old nonce")
        assert await first.check() == ["node1"]
    finally:
        for check in (first, second):
            await check.close()
        await forget_namespace(namespace)
