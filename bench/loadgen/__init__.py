"""The load generator shared by every messaging benchmark.

``lean`` is a receive-mostly websocket client written straight on ``asyncio.Protocol``: no
library, no per-frame JSON parsing, a byte search for the frames a benchmark cares about.
``worker`` runs thousands of them in one process, driven by JSON lines on stdin; ``pool`` spreads
the connections over several worker processes; ``sender`` is the full client that sends.
"""
