"""The first stage (matcher/ranking/_candidates.py, issue 23): candidates from the region partitions, the union of
both retrievers, graph and exact search agreeing, and the ranking on candidates matching the full scorer."""
from dataclasses import replace
from datetime import date
from types import SimpleNamespace

import numpy as np
import pytest

from matcher import parse_profile
from matcher.model import SIGNALS, VectorIndex, build_region_index
from matcher.ranking import FirstStage, rank, recommend_many, score, score_candidates
from matcher.ranking._candidates import best, candidates, lexical_candidates, semantic_candidates

TODAY = date(2026, 11, 25)
FOREVER = date.max.toordinal()


def tiny(regions, embeddings=None, expiry=None, ann_above=1_000):
    """What the retrievers read of a model: the partitions, the embeddings and the last valid days."""
    regions = np.array(regions, dtype="U4")
    expiry = np.full(len(regions), FOREVER) if expiry is None else np.array(expiry)
    return SimpleNamespace(partitions=build_region_index(regions, embeddings, ann_above), embeddings=embeddings,
                           expiry_ordinals=expiry, offers=regions, regions=regions)


def unit(*rows):
    rows = np.array(rows, dtype=np.float32)
    return rows / np.linalg.norm(rows, axis=1, keepdims=True)


def test_best_breaks_ties_on_the_smaller_position():
    # values by position 5, 7, 9: 0.5, 0.9, 0.5 -> 7 first, then 5 before 9
    assert best(np.array([5, 7, 9]), np.array([0.5, 0.9, 0.5]), 2).tolist() == [7, 5]


@pytest.mark.parametrize("ann_above", [1_000, 0], ids=["exact", "graph"])
def test_a_small_state_keeps_its_offers_however_many_nationwide_offers_fit_better(ann_above):
    # six nationwide offers all nearer the query than the two of HB; N = 2 per partition
    regions = ["bund"] * 6 + ["HB", "HB", "NW"]
    embeddings = unit(*[[1, 0.1 * i, 0] for i in range(6)], [0.2, 1, 0], [0.1, 1, 0], [1, 0, 0])
    model = tiny(regions, embeddings, ann_above=ann_above)
    query = unit([1, 0, 0])[0]
    found = semantic_candidates(model, query, "HB", TODAY.toordinal(), 2)
    assert sorted(found.tolist()) == [0, 1, 6, 7]  # bund's best two (0, 1) and both of HB; NW's offer 8 is not reachable
    scores = np.array([0.9, 0.8, 0.7, 0.6, 0.5, 0.4, 0.1, 0.2, 1.0], dtype=np.float32)
    assert sorted(lexical_candidates(model, scores, "HB", TODAY.toordinal(), 2).tolist()) == [0, 1, 6, 7]


def test_without_a_region_the_best_n_of_all_offers_are_taken():
    model = tiny(["bund", "HB", "NW", "NW"])
    scores = np.array([0.1, 0.4, 0.3, 0.2], dtype=np.float32)
    assert lexical_candidates(model, scores, None, TODAY.toordinal(), 2).tolist() == [1, 2]


def test_candidates_are_the_union_of_both_retrievers_and_only_offers_sharing_a_word_come_lexically():
    # words meet offers 0 and 1 only; the embedding is nearest to 3 and 2
    model = tiny(["bund"] * 4, unit([1, 0], [0.9, 0.1], [0.3, 1], [0.1, 1]))
    scores = np.array([0.5, 0.2, 0.0, 0.0], dtype=np.float32)
    query = unit([0, 1])[0]
    assert candidates(model, scores, query, "BY", TODAY.toordinal(), 2).tolist() == [0, 1, 2, 3]
    assert candidates(model, scores, None, "BY", TODAY.toordinal(), 2).tolist() == [0, 1]  # lexical mode


@pytest.mark.parametrize("ann_above", [1_000, 0], ids=["exact", "graph"])
def test_expired_offers_are_never_candidates_even_when_nearest(ann_above):
    # offers 0 and 1 are nearest but expired yesterday; N = 2
    yesterday = TODAY.toordinal() - 1
    model = tiny(["bund"] * 5, unit([1, 0], [1, 0.01], [1, 0.5], [1, 0.6], [0, 1]),
                 expiry=[yesterday, yesterday, FOREVER, FOREVER, FOREVER], ann_above=ann_above)
    assert sorted(semantic_candidates(model, unit([1, 0])[0], "BY", TODAY.toordinal(), 2).tolist()) == [2, 3]


def test_a_graph_crowded_with_expired_offers_is_asked_again_until_n_valid_ones_are_found():
    # the 40 nearest offers expired yesterday, 10 valid ones lie further out; N = 5: the first ask (37) finds none
    yesterday = TODAY.toordinal() - 1
    angles = np.linspace(0, 1.2, 50)
    model = tiny(["bund"] * 50, unit(*[[np.cos(a), np.sin(a)] for a in angles]),
                 expiry=[yesterday] * 40 + [FOREVER] * 10, ann_above=0)
    assert sorted(semantic_candidates(model, unit([1, 0])[0], "BY", TODAY.toordinal(), 5).tolist()) == [40, 41, 42, 43, 44]


def test_without_a_region_the_nearest_valid_offers_of_all_partitions_are_taken():
    yesterday = TODAY.toordinal() - 1
    model = tiny(["bund", "HB", "NW", "NW"], unit([1, 0], [1, 0.1], [1, 0.2], [0, 1]),
                 expiry=[yesterday, FOREVER, FOREVER, FOREVER])
    assert semantic_candidates(model, unit([1, 0])[0], None, TODAY.toordinal(), 2).tolist() == [1, 2]


def test_the_graph_finds_what_exact_search_finds_in_a_small_partition(bundled_model):
    exact = replace(bundled_model, region_index=build_region_index(bundled_model.regions, None))
    by_graph = replace(bundled_model, region_index=build_region_index(bundled_model.regions, bundled_model.embeddings,
                                                                      ann_above=0))
    assert by_graph.partitions.graphs and not exact.partitions.graphs
    shared = found = 0
    for region in (None, "HB", "NW"):
        for q in bundled_model.embeddings[:40]:
            a = semantic_candidates(exact, q, region, TODAY.toordinal(), 20)
            b = semantic_candidates(by_graph, q, region, TODAY.toordinal(), 20)
            assert len(a) == len(b)
            shared, found = shared + len(set(a.tolist()) & set(b.tolist())), found + len(a)
    # the graph compares float16 vectors: near ties at the cut may swap, nothing more
    assert shared / found >= 0.98


def test_a_graph_survives_pickling_and_searches_the_same():
    import pickle
    vectors = unit(*np.random.default_rng(0).standard_normal((200, 8)))
    graph = VectorIndex(vectors)
    again = pickle.loads(pickle.dumps(graph))
    assert np.array_equal(graph.search(vectors[3], 5)[0], again.search(vectors[3], 5)[0])
    assert graph.search(vectors[3], 5)[0][0] == 3


def test_a_graph_over_rows_at_positions_added_a_chunk_at_a_time_is_the_graph_of_those_rows(monkeypatch):
    import matcher.model._index as index_module
    vectors = unit(*np.random.default_rng(1).standard_normal((300, 8)))
    positions = np.sort(np.random.default_rng(2).choice(300, 170, replace=False))
    whole = VectorIndex(vectors[positions])._blob.tobytes()
    monkeypatch.setattr(index_module, "ADD_CHUNK", 16)  # several chunks, the last one short
    assert VectorIndex(vectors, positions)._blob.tobytes() == whole


PROFILES = [
    {"role_title": "Jugendhilfeplanerin", "needs": "Wie beteiligen wir Jugendliche an der Jugendhilfeplanung?",
     "region": "NW"},
    {"role_title": "Schulsozialarbeiter", "needs": "Suchtprävention an Schulen, Cannabis", "region": "HB"},
    {"needs": "Klimaanpassung in der Kommune, Hitzeschutz für Ältere"},
]


def people():
    return [parse_profile(p) for p in PROFILES]


def test_with_every_offer_a_candidate_the_first_stage_ranks_as_the_full_scorer(bundled_model):
    # the sample is the catalog (fewer offers than STATS_SAMPLE), so the z-scores are the full scorer's
    everything = FirstStage(candidates=len(bundled_model.offers), full_below=0)
    full = recommend_many(bundled_model, people(), 10, today=TODAY, first_stage=None)
    staged = recommend_many(bundled_model, people(), 10, today=TODAY, first_stage=everything)
    for a, b in zip(full, staged):
        assert [r.offer_id for r in a.recommendations] == [r.offer_id for r in b.recommendations]
        assert [r.score for r in a.recommendations] == pytest.approx([r.score for r in b.recommendations], abs=1e-4)
        assert [r.reasons for r in a.recommendations] == [r.reasons for r in b.recommendations]


def test_a_few_candidates_still_give_eligible_lists_with_signals_and_reasons(bundled_model):
    few = FirstStage(candidates=15, full_below=0)
    persons = score_candidates(bundled_model, people(), TODAY.toordinal(), few)
    for person in persons:
        assert person.positions is not None and len(person.positions) <= 2 * 2 * 15
        ranking = rank(bundled_model, person, 10, TODAY.toordinal(), bundled_model.weights)
        eligible = bundled_model.eligible(person.profile.region, TODAY.toordinal())
        assert len(ranking.chosen) == 10 and eligible[ranking.chosen].all()
        assert set(ranking.chosen.tolist()) <= set(person.positions.tolist())
        for name in SIGNALS:  # what issue 22's feedback reads: the standardised signals of the shown offers
            assert all(np.isfinite(ranking.standardised[name][i]) for i in ranking.chosen)
    results = recommend_many(bundled_model, people(), 10, today=TODAY, first_stage=few)
    assert all(len(r.recommendations) == 10 and all(len(x.reasons) >= 2 for x in r.recommendations)
               for r in results)


def test_a_profiles_candidates_do_not_depend_on_its_batch(bundled_model):
    few = FirstStage(candidates=15, full_below=0)
    alone = [score_candidates(bundled_model, [p], TODAY.toordinal(), few)[0] for p in people()]
    batch = score_candidates(bundled_model, people(), TODAY.toordinal(), few)
    for a, b in zip(alone, batch):
        assert np.array_equal(a.positions, b.positions)
        assert all(np.array_equal(a.raw[name], b.raw[name]) for name in SIGNALS)


def test_small_catalogs_are_scored_in_full_by_default(bundled_model):
    person = score(bundled_model, people()[:1])[0]
    default = recommend_many(bundled_model, people()[:1], 10, today=TODAY)[0]
    full = recommend_many(bundled_model, people()[:1], 10, today=TODAY, first_stage=None)[0]
    assert person.positions is None and default == full


def test_the_same_vectors_give_the_same_graph_byte_for_byte():
    # a full and an incremental train reuse the same embeddings: their saved graphs must agree
    import pickle
    vectors = unit(*np.random.default_rng(1).standard_normal((300, 16)))
    regions = np.array(["bund"] * 200 + ["HB"] * 100, dtype="U4")
    a, b = (build_region_index(regions, vectors, ann_above=50) for _ in range(2))
    assert set(a.graphs) == {"bund", "HB"}
    assert pickle.dumps(a) == pickle.dumps(b)


# Teams in a large catalog: everyone's candidates and the sample, standardised by the sample (issue 23).

TEAM = [{"id": "a", "role_title": "Jugendhilfeplanerin", "needs": "Beteiligung von Jugendlichen planen", "region": "NW"},
        {"id": "b", "role_title": "Streetworker", "needs": "Jugendliche im öffentlichen Raum erreichen", "region": "NW"},
        {"id": "c", "role_title": "Ratsmitglied", "needs": "Jugendparlament gründen", "region": "NW"}]


def team():
    return [parse_profile(p) for p in TEAM]


@pytest.mark.parametrize("aggregation", ["least_misery", "borda", "fair"])
def test_a_team_read_through_the_first_stage_of_a_catalog_its_sample_covers_ranks_as_the_full_scorer(
        bundled_model, aggregation):
    # the sample is the catalog, so the team's offers are every eligible one and their statistics the full scorer's
    from matcher.teams import recommend_group
    few = FirstStage(candidates=15, full_below=0)
    full = recommend_group(bundled_model, team(), 10, aggregation, today=TODAY, first_stage=None)
    staged = recommend_group(bundled_model, team(), 10, aggregation, today=TODAY, first_stage=few)
    assert [r.offer_id for r in staged.recommendations] == [r.offer_id for r in full.recommendations]
    assert [r.score for r in staged.recommendations] == pytest.approx([r.score for r in full.recommendations])
    assert [r.members for r in staged.recommendations] == [r.members for r in full.recommendations]


def test_a_team_in_a_catalog_larger_than_the_sample_gets_eligible_explained_offers(bundled_model, monkeypatch):
    import matcher.model._model as model_module
    from matcher.teams import recommend_group, team_signals
    monkeypatch.setattr(model_module, "STATS_SAMPLE", 60)
    sampled = bundled_model.but(card=dict(bundled_model.card))
    for cached in ("sample", "sample_char_columns", "sample_embeddings"):  # drawn again from 60
        sampled.__dict__.pop(cached, None)
    few = FirstStage(candidates=15, full_below=0)
    signals = team_signals(sampled, team(), "least_misery", TODAY.toordinal(), first_stage=few)
    assert signals.positions is not None and len(signals.positions) < len(sampled.offers)
    assert np.array_equal(signals.positions[signals.stats],
                          np.intersect1d(sampled.sample, signals.positions))
    result = recommend_group(sampled, team(), 10, today=TODAY, first_stage=few)
    full = recommend_group(sampled, team(), 10, today=TODAY, first_stage=None)
    eligible = sampled.eligible("NW", TODAY.toordinal())
    assert len(result.recommendations) == 10
    assert all(eligible[sampled.index[r.offer_id]] for r in result.recommendations)
    assert all(len(m.reasons) >= 1 for r in result.recommendations for m in r.members)
    shared = {r.offer_id for r in result.recommendations} & {r.offer_id for r in full.recommendations}
    assert len(shared) >= 5  # the reference's best offers are among everyone's candidates
