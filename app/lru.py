"""A bounded least-recently-used map, shared by a worker's threads.

functools.lru_cache memoises a function; the caches here need explicit get and put, because what
is stored depends on the outcome (a page without errors, a cookie that verified).
"""

import threading
from collections import OrderedDict
from collections.abc import Hashable
from typing import Any


class LRU:
    def __init__(self, size: int):
        self.size = size
        self.entries: OrderedDict[Hashable, Any] = OrderedDict()
        self.lock = threading.Lock()

    def get(self, key: Hashable) -> Any:
        with self.lock:
            value = self.entries.get(key)
            if value is not None:
                self.entries.move_to_end(key)
            return value

    def put(self, key: Hashable, value: Any) -> None:
        with self.lock:
            self.entries[key] = value
            self.entries.move_to_end(key)
            while len(self.entries) > self.size:
                self.entries.popitem(last=False)
