"""Reconnect delays: exponential growth with jitter, so that thousands of clients dropped at once
(a node restart) do not all come back in the same millisecond. Pure; the random source is injected.
"""
from __future__ import annotations

import random
from collections.abc import Callable


class Backoff:
    """``next()`` gives ``[c/2, c]`` seconds with ``c = min(maximum, initial * factor**attempt)``.

    "Equal jitter": half the ceiling is fixed so the delay still grows with every failure, the
    other half is random so clients spread out. ``reset()`` after a connection that worked.
    """

    def __init__(self, *, initial: float = 0.5, factor: float = 2.0, maximum: float = 30.0,
                 rand: Callable[[], float] = random.random) -> None:
        if initial <= 0 or factor < 1 or maximum < initial:
            raise ValueError("need 0 < initial <= maximum and factor >= 1")
        self.initial = initial
        self.factor = factor
        self.maximum = maximum
        self.attempt = 0
        self._rand = rand

    def next(self) -> float:
        ceiling = min(self.maximum, self.initial * self.factor ** min(self.attempt, 64))
        self.attempt += 1
        return ceiling / 2 + self._rand() * ceiling / 2

    def reset(self) -> None:
        self.attempt = 0
