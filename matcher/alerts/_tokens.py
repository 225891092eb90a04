"""The secret links of saved searches: a token per search, derived from a key the database never holds.

A token is HMAC-SHA256(key, search id), 256 bits, as unguessable as `secrets.token_urlsafe(32)`. The database
stores only the search id and the token's SHA-256, so a leaked database gives no link away; whoever holds the key
file as well (the service and `matcher alerts`, beside the model) can rebuild a search's link for its digest.
Tokens are looked up by their hash and compared in constant time.
"""
from __future__ import annotations

import base64
import hashlib
import hmac
import os
import secrets
from pathlib import Path

KEY_BYTES = 32


def load_key(path: str | Path) -> bytes:
    """The key in `path`, made (random, readable by its owner only) when there is none yet.

    Two processes starting at once (two workers, a worker and `matcher alerts`) agree on one key: it is written to
    a temporary file and linked into place, which fails when the other process was first.
    """
    path = Path(path)
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(f".{path.name}.{secrets.token_hex(6)}")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as f:
            f.write(secrets.token_hex(KEY_BYTES) + "\n")
        try:
            os.link(tmp, path)
        except FileExistsError:
            pass  # another process made it first: use theirs
        finally:
            tmp.unlink()
    key = bytes.fromhex(path.read_text().strip())
    if len(key) < KEY_BYTES:
        raise ValueError(f"the key file {str(path)!r} holds {len(key)} bytes, expected {KEY_BYTES}")
    return key


def new_search_id() -> str:
    """A search's public id: random, says nothing about its token; names its digest files."""
    return secrets.token_hex(8)


def token_for(key: bytes, search_id: str) -> str:
    """The search's secret token (43 URL-safe characters)."""
    mac = hmac.new(key, b"saved-search:" + search_id.encode(), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(mac).rstrip(b"=").decode()


def token_hash(token: str) -> str:
    """What the database stores of a token. Any text hashes, so a garbage token takes the path of a real one."""
    return hashlib.sha256(token.encode("utf-8", "surrogatepass")).hexdigest()


def same_hash(stored: str, computed: str) -> bool:
    return hmac.compare_digest(stored.encode(), computed.encode())
