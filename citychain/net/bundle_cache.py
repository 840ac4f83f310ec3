"""Gzipped full entry bundles, kept in memory for the /tlog routes.

A full bundle never changes, and gzipping one costs far more than reading
it (docs/protocol.md §13.3): a node serving many readers, or a mirror
catching up, would otherwise compress the same bytes again and again. The
newest bundles are kept up to a byte budget, least recently used out first.
"""

from __future__ import annotations

import gzip
import threading
from collections import OrderedDict
from collections.abc import Callable

GZIP_LEVEL = 1  # a third of level 6's cost for bundles within 10 % of its size
DEFAULT_BUDGET = 32 << 20


class BundleCache:
    """Gzipped bundles by key (log origin, bundle index), at most `budget` bytes in all."""

    def __init__(self, budget: int = DEFAULT_BUDGET) -> None:
        self.budget = budget
        self._held: OrderedDict[tuple[str, int], bytes] = OrderedDict()
        self._bytes = 0
        self._lock = threading.Lock()

    def gzipped(self, key: tuple[str, int], read: Callable[[], bytes]) -> bytes:
        """The bundle `read()` gives, gzipped: from memory when it is there."""
        with self._lock:
            data = self._held.get(key)
            if data is not None:
                self._held.move_to_end(key)
                return data
        data = compress(read())
        with self._lock:
            if key not in self._held and len(data) <= self.budget:
                self._held[key] = data
                self._bytes += len(data)
                while self._bytes > self.budget:
                    _, dropped = self._held.popitem(last=False)
                    self._bytes -= len(dropped)
        return data


def compress(data: bytes) -> bytes:
    return gzip.compress(data, GZIP_LEVEL, mtime=0)  # mtime 0: the same bytes every time, as a cache expects
