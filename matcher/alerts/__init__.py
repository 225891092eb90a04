"""Saved searches and new-offer alerts: a profile stored on consent behind a secret link, the offers new in its
top k after each retrain (noticed once), as an Atom feed and as German digests for whoever sends mail."""
from ._digest import atom_feed, describe, refresh_notices, render_digest, save_search, send_alerts
from ._store import Notice, SavedSearch, SearchStore, default_locations, load_key, metadata, token_hash

__all__ = [
    "Notice", "SavedSearch", "SearchStore", "atom_feed", "default_locations", "describe", "load_key", "metadata",
    "refresh_notices", "render_digest", "save_search", "send_alerts", "token_hash",
]
