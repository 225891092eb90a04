"""A small LRU cache of recommendation results, so a shared result URL is answered without recomputing."""
from __future__ import annotations

import threading
from collections import OrderedDict
from datetime import date

from ..core import Profile
from ..model import MatchModel
from ._recommend import Result, recommend


class CachedRecommender:
    """recommend() with the last `maxsize` results kept; profiles are frozen, so they key the cache as they are.

    The day is part of the key: an offer that expires at midnight must not be served from yesterday's entry.
    """

    def __init__(self, model: MatchModel, maxsize: int = 1024):
        self.model, self.maxsize = model, maxsize
        self._entries: OrderedDict = OrderedDict()
        self._lock = threading.Lock()
        self.hits = self.misses = 0

    def recommend(self, profile: Profile, top_k: int, today: date | None = None) -> Result:
        key = (profile, top_k, today or date.today())
        with self._lock:
            if key in self._entries:
                self._entries.move_to_end(key)
                self.hits += 1
                return self._entries[key]
        result = recommend(self.model, profile, top_k, today=key[2])
        with self._lock:
            self.misses += 1
            self._entries[key] = result
            if len(self._entries) > self.maxsize:
                self._entries.popitem(last=False)
        return result
