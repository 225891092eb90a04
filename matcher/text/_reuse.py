"""Embeddings kept by content: a retrain encodes only the texts that changed.

A key is the hash of the encoder's name, the kind of text (query or passage) and the text itself, so an edited
offer, a new offer or another encoder always means a fresh encoding. The encoder is batch-invariant (a text's
embedding does not depend on the texts encoded with it), so reusing equals encoding again, bit for bit.
"""
from __future__ import annotations

import hashlib
from collections.abc import MutableMapping

import numpy as np

from ._encoder import Encoder


def content_key(encoder_name: str, kind: str, text: str) -> str:
    return hashlib.sha256(f"{encoder_name}\x00{kind}\x00{text}".encode("utf-8", "surrogatepass")).hexdigest()


class ReusingEncoder:
    """Wraps an encoder: texts found in `known` (key -> row) are not encoded again; `used` collects the rows this
    run needed, `encoded` and `reused` count the passages."""

    def __init__(self, encoder: Encoder, known: MutableMapping[str, np.ndarray] | None = None):
        self.encoder, self.name = encoder, encoder.name
        self.known = known if known is not None else {}
        self.used: dict[str, np.ndarray] = {}
        self.encoded = self.reused = 0

    def _encode(self, texts: list[str], kind: str, encode) -> np.ndarray:
        keys = [content_key(self.name, kind, t) for t in texts]
        missing = {k: t for k, t in zip(keys, texts) if k not in self.known and k not in self.used}
        fresh = dict(zip(missing, encode(list(missing.values())))) if missing else {}
        if kind == "passage":
            self.encoded += len(missing)
            self.reused += len(set(keys)) - len(missing)
        rows = [fresh[k] if k in fresh else self.used.get(k, self.known.get(k)) for k in keys]
        self.used.update(zip(keys, rows))
        if not rows:
            return encode([])
        return np.array(rows, dtype=np.float32)

    def encode_queries(self, texts: list[str]) -> np.ndarray:
        return self._encode(texts, "query", self.encoder.encode_queries)

    def encode_passages(self, texts: list[str]) -> np.ndarray:
        return self._encode(texts, "passage", self.encoder.encode_passages)
