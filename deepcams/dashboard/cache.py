"""A process-wide, thread-safe LRU cache of downscaled results, bounded by bytes (server memory stays bounded)."""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Hashable

import xarray as xr

DEFAULT_MAX_BYTES = 2 * 1024**3


class ResultCache:
    """Datasets by request key; the least recently used go first once `max_bytes` is exceeded."""

    def __init__(self, max_bytes: int = DEFAULT_MAX_BYTES):
        self.max_bytes = max_bytes
        self._items: OrderedDict[Hashable, xr.Dataset] = OrderedDict()
        self._lock = threading.Lock()
        self.hits = 0
        self.misses = 0

    def get(self, key: Hashable) -> xr.Dataset | None:
        with self._lock:
            if key not in self._items:
                self.misses += 1
                return None
            self.hits += 1
            self._items.move_to_end(key)
            return self._items[key]

    def put(self, key: Hashable, value: xr.Dataset) -> None:
        with self._lock:
            self._items[key] = value
            self._items.move_to_end(key)
            while len(self._items) > 1 and self.nbytes > self.max_bytes:
                self._items.popitem(last=False)

    @property
    def nbytes(self) -> int:
        return sum(ds.nbytes for ds in self._items.values())

    def __len__(self) -> int:
        return len(self._items)

    def clear(self) -> None:
        with self._lock:
            self._items.clear()
