"""The GC policy freezes settled connections' objects and lets go when half have left."""
from __future__ import annotations

import gc

from im_server.gc_policy import GcPolicy


def test_freezes_after_a_burst_and_unfreezes_after_losing_half():
    open_connections = 0
    policy = GcPolicy(lambda: open_connections, burst=100)
    try:
        gc.unfreeze()
        assert policy.adjust() is None and gc.get_freeze_count() == 0  # nothing new
        open_connections = 99
        assert policy.adjust() is None
        open_connections = 150
        keep = [[i] for i in range(1000)]  # objects of the "connections", in a container
        assert policy.adjust() == "froze" and policy.frozen_at == 150
        assert gc.get_freeze_count() >= 1000
        open_connections = 200  # fewer than a burst more: left to the collector
        assert policy.adjust() is None and policy.frozen_at == 150
        open_connections = 74  # under half of 150 left: back to the collector's usual rules
        assert policy.adjust() == "unfroze" and gc.get_freeze_count() == 0
        assert policy.frozen_at == 74
        del keep
    finally:
        gc.unfreeze()
