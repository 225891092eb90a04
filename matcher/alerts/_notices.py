"""After a retrain: the offers that are new in each saved search's top k, noticed once per search, ever."""
from __future__ import annotations

import hashlib
import json
from collections import defaultdict
from datetime import datetime

from ..model import MatchModel
from ..ranking import recommend_many
from ._store import SearchStore, utcnow


def model_fingerprint(model: MatchModel) -> str:
    """Names one trained model in one mode: its card (which has the time it was fitted) and its offers."""
    digest = hashlib.sha256(json.dumps(model.card, sort_keys=True, default=str).encode())
    digest.update(model.mode.encode())
    for offer in model.offers:
        digest.update(b"\0" + offer.id.encode())
    return digest.hexdigest()[:32]


def refresh_notices(store: SearchStore, model: MatchModel, now: datetime | None = None) -> dict:
    """Purge expired searches, then note for each search not yet checked against this model the offers of its top
    k it has never been told about. Idempotent: a second run for the same model ranks nothing, and two processes
    running at once store each notice once. Returns {"purged", "active", "searches" (computed now), "new"}."""
    now = now or utcnow()
    purged = store.purge(now)
    fingerprint = model_fingerprint(model)
    pending = store.unchecked(fingerprint, now)
    by_k = defaultdict(list)  # recommend_many ranks many profiles in one batch, for one k
    for search in pending:
        by_k[search.top_k].append(search)
    new = 0
    for k, group in by_k.items():
        results = recommend_many(model, [s.profile for s in group], k, today=now.date())
        for search, result in zip(group, results):
            new += store.record(search.id, [rec.offer for rec in result.recommendations], fingerprint, now)
    return {"purged": purged, "active": len(store.active(now)), "searches": len(pending), "new": new}
