"""Saved searches and new-offer alerts: a profile stored on consent behind a secret link, the offers new in its
top k after each retrain (noticed once), as an Atom feed and as German digests for whoever sends mail."""
from ._digest import Digest, describe, render_digest, search_links, write_digests
from ._feed import atom_feed
from ._notices import model_fingerprint, refresh_notices
from ._store import Notice, SavedSearch, SearchStore, default_locations, metadata, utcnow
from ._tokens import load_key, token_hash

__all__ = [
    "Digest", "Notice", "SavedSearch", "SearchStore", "atom_feed", "default_locations", "describe", "load_key",
    "metadata", "model_fingerprint", "refresh_notices", "render_digest", "search_links", "token_hash", "utcnow",
    "write_digests",
]
