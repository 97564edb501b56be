"""The last result of a computation on fixed objects, kept while it is asked about the very same objects again.

An ensemble worker plans member after member on one scenario: the members' zones and sites are copies with other
numbers (population, usable fraction) but the same geometry objects, so what depends on the geometry alone (the
zones' parts inside the footprints, the sites' land outside them) is computed once per worker. Objects are compared
by identity and held by the cache, so their ids cannot be reused while it keeps them."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Generic, TypeVar

T = TypeVar("T")


class LastCall(Generic[T]):
    """``get(key, compute)``: compute() the first time and whenever ``key`` (a tuple of objects) is not, object for
    object, the last call's (the same object, or an equal number or string); else the last call's result."""

    def __init__(self) -> None:
        self._last: tuple[tuple[object, ...], T] | None = None
        self._lock = threading.Lock()

    def get(self, key: tuple[object, ...], compute: Callable[[], T]) -> T:
        with self._lock:
            last = self._last
        if last is not None and len(last[0]) == len(key) and all(map(_same, last[0], key)):
            return last[1]
        value = compute()
        with self._lock:
            self._last = (key, value)
        return value


def _same(a: object, b: object) -> bool:
    return a is b or (type(a) is type(b) and isinstance(a, (int, float, str)) and a == b)
