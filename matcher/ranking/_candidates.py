"""The first stage, for large catalogs: per person, the offers worth scoring are the union of the top N of two cheap
retrievers over the offers they may reach (nearest neighbours of the embeddings, exact in small partitions and by
the HNSW graph in large ones; the inverted index of the needs' words), and every signal is computed for those
candidates only, each text signal standardised by its mean and spread among the eligible offers of a fixed sample.
A team is read on the union of its members' and its shared need's candidates and that sample (team_candidates).

Region and validity stay hard rules: each region's offers are their own partition, searched on its own, so a small
state's offers never lose their places to a cut-off taken over the whole catalog.
"""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace

import numpy as np
from scipy import sparse

from ..core import ROLES, Profile, reachable
from ..model import EXACT_ALL_UP_TO, TEXT_SIGNALS, MatchModel, OfferIndex
from ._blend import field_fit, format_fit, role_fit, spread_of
from ._signals import Interpretation, PersonSignals, _vectorise_needs, cosines, feedback_fit, interpret, score


@dataclass(frozen=True)
class FirstStage:
    """candidates: how many offers each retriever hands on (the top N, per partition); full_below: catalogs of at
    most this many offers are scored in full, as the reference scorer does (exact, and as fast there)."""

    # 100,000 synthetic offers (benchmarks/results_scale.md): 0.90 of the full scorer's top 10 shown, where 300 and a
    # third retriever (the blend without the character signals over both retrievers' best 500) showed 0.89 in more time
    candidates: int = 500
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


def offer_index(model: MatchModel, positions: np.ndarray | None = None) -> OfferIndex:
    """What selection needs of the offers at `positions` (the candidates), or of all (None)."""
    if positions is None:
        return model.offer_index
    return OfferIndex(model.offer_ids[positions], model.providers[positions], RowsOf(model.char_matrix, positions))


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


def best_per_partition(model: MatchModel, positions: np.ndarray, values: np.ndarray, region: str | None,
                       n: int) -> np.ndarray:
    """The n best of each partition a person of `region` may reach (their state's, the nationwide one), or the n best
    of all for a person without a region."""
    if region is None:
        return best(positions, values, n)
    home = model.regions[positions] == region
    return np.concatenate([best(positions[home], values[home], n), best(positions[~home], values[~home], n)])


NONE_EXTRA = 20  # neighbours asked of each partition beyond twice its share, for a person without a region


def semantic_candidates(model: MatchModel, query: np.ndarray, region: str | None, today_ordinal: int,
                        n: int) -> np.ndarray:
    """The valid offers nearest to the query embedding: the n best of each partition a person of `region` may reach
    (their state's and the nationwide ones), or the n best of all offers for a person without a region: by one exact
    product over all of them up to EXACT_ALL_UP_TO offers (faster there than asking every partition's graph), above
    it from every partition's graph, each asked for twice its share of the n (1,000,000 offers in 17 partitions: 17
    searches for 500 neighbours each took 130 ms)."""
    if region is None and len(model.offers) <= EXACT_ALL_UP_TO:
        positions = np.flatnonzero(model.expiry_ordinals >= today_ordinal)
        return best(positions, (model.embeddings @ query)[positions].astype(np.float64), n)
    parts = _partitions(model, region)
    if region is None:  # the n best of all: each partition asked for twice its share of them (and 20 more), not n
        total = sum(len(positions) for positions, _ in parts)
        found = [_nearest(model, query, positions, graph, today_ordinal,
                          min(n, int(2 * n * len(positions) / total) + NONE_EXTRA)) for positions, graph in parts]
    else:
        found = [_nearest(model, query, positions, graph, today_ordinal, n) for positions, graph in parts]
    return best_per_partition(model, np.concatenate([f[0] for f in found]), np.concatenate([f[1] for f in found]),
                              region, n)


def lexical_candidates(model: MatchModel, word_scores: np.ndarray, region: str | None, today_ordinal: int,
                       n: int) -> np.ndarray:
    """The valid offers whose words meet the needs' best (word_scores: the word TF-IDF cosine over all offers, from
    the postings of the needs' words only), the n best per partition as semantic_candidates takes them; offers
    sharing no word are none."""
    positions = np.concatenate([positions for positions, _ in _partitions(model, region)])
    positions = positions[(model.expiry_ordinals[positions] >= today_ordinal) & (word_scores[positions] > 0)]
    return best_per_partition(model, positions, word_scores[positions].astype(np.float64), region, n)


def candidates(model: MatchModel, word_scores: np.ndarray, query: np.ndarray | None, region: str | None,
               today_ordinal: int, n: int) -> np.ndarray:
    """Positions (ascending) of the union of the retrievers' candidates: the n best of the word index and of the
    embeddings (none without an embedding: the lexical mode)."""
    found = [lexical_candidates(model, word_scores, region, today_ordinal, n)]
    if query is not None:
        found.append(semantic_candidates(model, query, region, today_ordinal, n))
    return np.unique(np.concatenate(found))


@dataclass(frozen=True)
class Reading:
    """What the first stage reads of one person, once: their profile and interpretation, the field weights, the word
    cosine over all offers (from the needs' postings), the needs' and the query's character vectors and the query
    embedding (None in the lexical mode)."""

    profile: Profile
    interpretation: Interpretation
    field_weight: np.ndarray
    word_all: np.ndarray
    chars: sparse.csr_matrix  # row 0: the needs, row 1: title and needs
    query: np.ndarray | None


def read(model: MatchModel, profiles: Sequence[Profile]) -> list[Reading]:
    """Each profile read for the first stage, texts vectorised and encoded in one batch."""
    words, chars, query_chars, emb = _vectorise_needs(model, profiles)
    return [Reading(p, it, field_weight, cosines(words[i], model.word_columns)[0],
                    sparse.vstack([chars[i], query_chars[i]]).tocsr(), None if emb is None else emb[i])
            for i, (p, (it, field_weight)) in enumerate(zip(profiles, interpret(model, profiles, words, emb)))]


def spreads(model: MatchModel, person: Reading, eligible: np.ndarray) -> dict[str, tuple[float, float]]:
    """Each text signal's mean and spread among the offers of the model's sample that `eligible` (over the sample)
    marks, as standardise takes them."""
    sample = model.sample
    sample_char = cosines(person.chars, model.sample_char_columns)
    in_sample = {"word": person.word_all[sample], "char": sample_char[0], "title": sample_char[1],
                 "semantic": (model.sample_embeddings @ person.query if person.query is not None
                              else np.zeros(len(sample)))}
    return {name: spread_of(in_sample[name], eligible) for name in TEXT_SIGNALS}


def _structured(model: MatchModel, person: Reading, at: np.ndarray) -> dict[str, np.ndarray]:
    it = person.interpretation
    return {"role": role_fit(model.role_targets[at], [ROLES.index(r) for r in it.roles]),
            "open": model.open_to_all[at].astype(float), "field": field_fit(model.field_matrix[at], person.field_weight),
            "format": format_fit(model.formats[at], person.profile.format_preference),
            "feedback": feedback_fit(model, it.role, at)}


def signals_at(model: MatchModel, person: Reading, positions: np.ndarray, rows=None) -> PersonSignals:
    """The person's raw signals over the offers at `positions` (PersonSignals.positions; spreads not set); rows:
    (character rows, embeddings) of those offers, sliced once for several people."""
    char_rows, embedded = rows or (model.char_matrix[positions], None)
    char = (char_rows @ person.chars.T.toarray()).astype(np.float32)  # dense query: no sparse product
    if person.query is None:  # the lexical mode
        semantic = np.zeros(len(positions))
    else:
        semantic = (embedded if embedded is not None else model.embeddings[positions]) @ person.query
    raw = {"word": person.word_all[positions], "char": char[:, 0], "title": char[:, 1], "semantic": semantic,
           **_structured(model, person, positions)}
    p = person.profile
    return PersonSignals(p, person.interpretation, raw, model.vectorizer.analyzer_.stem_map(p.needs),
                         positions=positions)


def first_stage(model: MatchModel, person: Reading, region: str | None, today_ordinal: int,
                stage: FirstStage) -> np.ndarray | None:
    """The person's candidates among the offers of `region`'s partitions; None when the retrievers find fewer than
    stage.candidates while more are reachable (needs that share no word with the catalog, in the lexical mode)."""
    positions = candidates(model, person.word_all, person.query, region, today_ordinal, stage.candidates)
    if len(positions) < stage.candidates and len(positions) < sum(len(q) for q, _ in _partitions(model, region)):
        return None
    return positions


def score_candidates(model: MatchModel, profiles: Sequence[Profile], today_ordinal: int,
                     stage: FirstStage = DEFAULT_FIRST_STAGE) -> list[PersonSignals]:
    """Each profile's signals on its candidates (PersonSignals.positions), texts vectorised and encoded in one batch.
    A person for whom the first stage finds too few candidates (first_stage) is scored in full, so nobody gets a
    shorter list.
    """
    if not profiles:
        return []
    sample = model.sample
    out = []
    for person in read(model, profiles):
        p = person.profile
        eligible = reachable(model.regions[sample], model.expiry_ordinals[sample], p.region, today_ordinal)
        spread = spreads(model, person, eligible)
        positions = first_stage(model, person, p.region, today_ordinal, stage)
        if positions is None:
            out.append(score(model, [p])[0])
            continue
        out.append(replace(signals_at(model, person, positions), spreads=spread))
    return out


def team_candidates(model: MatchModel, profiles: Sequence[Profile], mask: np.ndarray, region: str | None,
                    today_ordinal: int, stage: FirstStage = DEFAULT_FIRST_STAGE
                    ) -> tuple[np.ndarray, np.ndarray, list[PersonSignals]] | None:
    """For a team (its members and its shared need): (positions, stats, each person's signals over them), where
    positions are the union of everyone's candidates and of the model's sample among the offers `mask` marks (those
    every member may reach), and stats marks the sample's among them: over those, any quantity of the team is
    standardised as over all eligible offers. Everyone's retrievers search the partitions of the team's `region`.
    None when someone's first stage finds too few (score in full)."""
    sample = model.sample
    found = []
    for person in (people := read(model, profiles)):
        positions = first_stage(model, person, region, today_ordinal, stage)
        if positions is None:
            return None
        found.append(positions)
    positions = np.union1d(np.concatenate(found), sample)
    positions = positions[mask[positions]]
    rows = (model.char_matrix[positions], None if model.embeddings is None else np.asarray(model.embeddings[positions]))
    return positions, np.isin(positions, sample), [signals_at(model, person, positions, rows) for person in people]
