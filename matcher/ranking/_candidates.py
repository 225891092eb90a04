"""The first stage, for large catalogs: per person, the offers worth scoring are the union of the top N of two cheap
retrievers over the offers they may reach (nearest neighbours of the embeddings, exact in small partitions and by
the HNSW graph in large ones; the inverted index of the needs' words), and every signal is computed for those
candidates only, each text signal standardised by its mean and spread among the eligible offers of a fixed sample.

Region and validity stay hard rules: each region's offers are their own partition, searched on its own, so a small
state's offers never lose their places to a cut-off taken over the whole catalog.
"""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from scipy import sparse

from ..core import ROLES, Profile, reachable
from ..model import EXACT_ALL_UP_TO, TEXT_SIGNALS, MatchModel
from ..text import tfidf
from ._blend import field_fit, format_fit, role_fit, spread_of
from ._signals import PersonSignals, _vectorise_needs, cosines, feedback_fit, interpret, score


@dataclass(frozen=True)
class FirstStage:
    """candidates: how many offers each retriever hands on (the top N); full_below: catalogs of at most this many
    offers are scored in full, as the reference scorer does (exact, and as fast there)."""

    candidates: int = 300
    full_below: int = 20_000

    def applies(self, model: MatchModel) -> bool:
        return len(model.offers) > self.full_below


DEFAULT_FIRST_STAGE = FirstStage()


class AtPositions:
    """Values known for some offers, read by the offer's position in the model: `values[i]` for a candidate i;
    an offer that was no candidate reads 0.0 (for a standardised signal: as if average)."""

    def __init__(self, positions: np.ndarray, values: np.ndarray):
        self.positions, self.values = positions, values  # positions ascending

    def __getitem__(self, i):
        j = int(np.searchsorted(self.positions, i))
        found = j < len(self.positions) and self.positions[j] == i
        return self.values[j] if found else self.values.dtype.type(0)

    def __len__(self) -> int:
        return len(self.positions)


class RowsOf:
    """Rows of a matrix by candidate number (row i is the matrix's row positions[i]), sliced only when read: the
    selection reads the character vectors of its pool alone."""

    def __init__(self, matrix, positions: np.ndarray):
        self.matrix, self.positions = matrix, positions

    def __getitem__(self, i):
        return self.matrix[self.positions[i]]


def _partitions(model: MatchModel, region: str | None):
    """(positions, graph or None) of each partition a person of `region` may reach."""
    index = model.partitions
    codes = sorted(index.partitions) if region is None else [c for c in ("bund", region) if c in index.partitions]
    return [(index.partitions[c], index.graphs.get(c)) for c in codes]


def best(positions: np.ndarray, values: np.ndarray, n: int) -> np.ndarray:
    """The n positions with the highest values; equal values go to the smaller position, so runs agree."""
    if len(positions) > n:
        kth = np.partition(-values, n - 1)[n - 1]
        keep = -values <= kth
        positions, values = positions[keep], values[keep]
    return positions[np.lexsort((positions, -values))][:n]


def _nearest(model, query: np.ndarray, positions: np.ndarray, graph, today_ordinal: int, n: int):
    """(positions, similarities) of the n valid offers of one partition nearest to the query embedding: exactly, or
    from its graph, asked for as many more as its share of expired offers suggests, and for twice as many while
    fewer than n of them are valid (asking for all the expired ones at once costs the graph ten times the time)."""
    valid = model.expiry_ordinals[positions] >= today_ordinal
    if graph is None:
        chosen = positions[valid]
        return chosen, (model.embeddings[chosen] @ query).astype(np.float64)
    n_valid = int(valid.sum())
    k = min(len(positions), int(n * len(positions) / max(n_valid, 1) * 1.1) + 10)
    while True:
        local, similarity = graph.search(query, k)
        keep = valid[local]
        if keep.sum() >= min(n, n_valid) or k >= len(positions):
            return positions[local[keep]], similarity[keep]
        k = min(len(positions), 2 * k)


def semantic_candidates(model: MatchModel, query: np.ndarray, region: str | None, today_ordinal: int,
                        n: int) -> np.ndarray:
    """The valid offers nearest to the query embedding: the n best of each partition a person of `region` may reach
    (their state's and the nationwide ones), or the n best of all offers for a person without a region: by one exact
    product over all of them up to EXACT_ALL_UP_TO offers (faster there than asking every partition's graph)."""
    if region is None and len(model.offers) <= EXACT_ALL_UP_TO:
        positions = np.flatnonzero(model.expiry_ordinals >= today_ordinal)
        return best(positions, (model.embeddings @ query)[positions].astype(np.float64), n)
    found = [_nearest(model, query, positions, graph, today_ordinal, n) for positions, graph in _partitions(model, region)]
    if region is not None:
        return np.concatenate([best(positions, similarity, n) for positions, similarity in found])
    return best(np.concatenate([f[0] for f in found]), np.concatenate([f[1] for f in found]), n)


def lexical_candidates(model: MatchModel, word_scores: np.ndarray, region: str | None, today_ordinal: int,
                       n: int) -> np.ndarray:
    """The valid offers whose words meet the needs' best (word_scores: the word TF-IDF cosine over all offers, from
    the postings of the needs' words only), the n best per partition as semantic_candidates takes them; offers
    sharing no word are none."""
    found = []
    for positions, _ in _partitions(model, region):
        positions = positions[(model.expiry_ordinals[positions] >= today_ordinal) & (word_scores[positions] > 0)]
        found.append((positions, word_scores[positions].astype(np.float64)))
    if region is not None:
        return np.concatenate([best(positions, scores, n) for positions, scores in found])
    return best(np.concatenate([f[0] for f in found]), np.concatenate([f[1] for f in found]), n)


def candidates(model: MatchModel, word_scores: np.ndarray, query: np.ndarray | None, region: str | None,
               today_ordinal: int, n: int) -> np.ndarray:
    """Positions (ascending) of the union of both retrievers' candidates; the lexical ones alone without an
    embedding (the lexical mode)."""
    found = [lexical_candidates(model, word_scores, region, today_ordinal, n)]
    if query is not None:
        found.append(semantic_candidates(model, query, region, today_ordinal, n))
    return np.unique(np.concatenate(found))


def score_candidates(model: MatchModel, profiles: Sequence[Profile], today_ordinal: int,
                     stage: FirstStage = DEFAULT_FIRST_STAGE) -> list[PersonSignals]:
    """Each profile's signals on its candidates (PersonSignals.positions), texts vectorised and encoded in one batch.

    A person for whom the retrievers find fewer than stage.candidates offers while more are reachable (needs that
    share no word with the catalog, in the lexical mode) is scored in full, so nobody gets a shorter list.
    """
    if not profiles:
        return []
    words, chars, query_chars, emb = _vectorise_needs(model, profiles)
    read = interpret(model, profiles, words, emb)
    stem_map = model.vectorizer.analyzer_.stem_map
    sample = model.sample
    out = []
    for i, (p, (it, field_weight)) in enumerate(zip(profiles, read)):
        word_all = cosines(words[i], model.word_columns)[0]
        positions = candidates(model, word_all, None if emb is None else emb[i], p.region, today_ordinal,
                               stage.candidates)
        if len(positions) < stage.candidates and len(positions) < sum(len(q) for q, _ in _partitions(model, p.region)):
            out.append(score(model, [p])[0])
            continue
        both = sparse.vstack([chars[i], query_chars[i]]).tocsr()
        char = (model.char_matrix[positions] @ both.T.toarray()).astype(np.float32)  # dense query: no sparse product
        raw = {
            "word": word_all[positions], "char": char[:, 0], "title": char[:, 1],
            "semantic": (model.embeddings[positions] @ emb[i] if emb is not None else np.zeros(len(positions))),
            "role": role_fit(model.role_targets[positions], [ROLES.index(r) for r in it.roles]),
            "open": model.open_to_all[positions].astype(float),
            "field": field_fit(model.field_matrix[positions], field_weight),
            "format": format_fit(model.formats[positions], p.format_preference),
            "feedback": feedback_fit(model, it.role)[positions],
        }
        # each text signal's mean and spread among the eligible offers of the sample, as standardise takes them
        eligible = reachable(model.regions[sample], model.expiry_ordinals[sample], p.region, today_ordinal)
        sample_char = cosines(both, model.sample_char_columns)
        in_sample = {"word": word_all[sample], "char": sample_char[0], "title": sample_char[1],
                     "semantic": (model.sample_embeddings @ emb[i] if emb is not None else np.zeros(len(sample)))}
        spreads = {name: spread_of(in_sample[name], eligible) for name in TEXT_SIGNALS}
        out.append(PersonSignals(p, it, raw, stem_map(p.needs), positions=positions, spreads=spreads))
    return out
