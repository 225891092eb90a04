"""The first stage's index of the offers: the catalog partitioned by region (a request reads only the partitions it may
reach, so a small state never loses its offers to a cut-off taken over all of them) and, over each large partition's
embeddings, an approximate nearest-neighbour graph (HNSW, usearch) in float16."""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np

ANN_ABOVE = 10_000  # offers in a partition: up to here the exact product takes about a millisecond (4,000 offers: 1.0 ms
# against the graph's 0.5) and saves the graph's memory (a state's partition of a 100,000-offer catalog: 3 MB each)
EXACT_ALL_UP_TO = 200_000  # offers: a person without a region is searched by one exact product over all of them up
# to here, faster than asking each of 17 graphs (100,000 offers: 5 ms against 17)
CONNECTIVITY, EXPANSION_ADD, EXPANSION_SEARCH = 16, 128, 256  # the graph's M, efConstruction and ef (usearch)
ADD_CHUNK = 8_192  # vectors added to a graph at a time


class VectorIndex:
    """An HNSW graph over l2-normalised vectors, for inner-product search; positions 0..n-1 are its keys.

    Built on one thread, so that the same vectors give the same graph byte for byte (a full and an incremental train
    agree); kept and pickled as the bytes usearch writes, which a model loaded memory-mapped reads in place.
    """

    def __init__(self, vectors: np.ndarray, positions: np.ndarray | None = None):
        """A graph over `vectors`, or over its rows at `positions` (added a chunk at a time, in order: the same graph,
        and never a copy of a large partition's rows beside it; a state of 1,000,000 offers: 300 MB)."""
        from usearch.index import Index
        positions = np.arange(len(vectors)) if positions is None else positions
        self._index = Index(ndim=vectors.shape[1], metric="ip", dtype="f16", connectivity=CONNECTIVITY,
                            expansion_add=EXPANSION_ADD, expansion_search=EXPANSION_SEARCH)
        for start in range(0, len(positions), ADD_CHUNK):
            chunk = positions[start:start + ADD_CHUNK]
            self._index.add(np.arange(start, start + len(chunk)), np.asarray(vectors[chunk], dtype=np.float32),
                            threads=1)
        # kept as the bytes it is saved as, read in place: train never holds the graph twice (1,000,000 offers: 1 GB)
        self.__setstate__({"blob": np.frombuffer(self._index.save(), dtype=np.uint8)})

    def __len__(self) -> int:
        return len(self._index)

    def search(self, query: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
        """(positions, similarities) of about the k nearest vectors, nearest first."""
        found = self._index.search(np.asarray(query, dtype=np.float32), min(k, len(self)), threads=1)
        return np.asarray(found.keys, dtype=np.int64), 1.0 - np.asarray(found.distances, dtype=np.float64)

    def __getstate__(self):
        return {"blob": self._blob}

    def __setstate__(self, state):
        from usearch.index import Index
        self._blob = state["blob"]
        self._index = Index.restore(self._blob, view=True)  # a memory-mapped blob is read where it lies


@dataclass(frozen=True)
class RegionIndex:
    """The offers by region: positions (ascending) of each region code's offers, and a graph over the embeddings of
    each partition of more than ANN_ABOVE offers (the others are searched exactly)."""

    partitions: Mapping[str, np.ndarray]
    graphs: Mapping[str, VectorIndex]


def build_region_index(regions: np.ndarray, embeddings: np.ndarray | None, ann_above: int = ANN_ABOVE) -> RegionIndex:
    codes = sorted(set(regions.tolist()))
    partitions = {code: np.flatnonzero(regions == code) for code in codes}
    graphs = {} if embeddings is None else {code: VectorIndex(embeddings, positions)
                                             for code, positions in partitions.items() if len(positions) > ann_above}
    return RegionIndex(partitions, graphs)
