from pathlib import Path

import joblib
import pytest

from matcher.model._classifiers import expand_title
from matcher.model import (RoleClassifier, evaluate_roles, head_phrase, read_job_titles, read_labeled_titles,
                           train_role_classifier)
from matcher.core import ROLES
from matcher.text import normalize

HELDOUT = Path(__file__).resolve().parent.parent / "benchmarks" / "data" / "job_titles_heldout.csv"
REAL_HELDOUT = HELDOUT.parent / "real" / "job_titles_real.csv"
NEW_HELDOUT = HELDOUT.parent / "real" / "job_titles_real2.csv"
THIRD_HELDOUT = HELDOUT.parent / "real" / "job_titles_real3.csv"


@pytest.fixture(scope="module")
def classifier():
    return train_role_classifier()


@pytest.mark.parametrize("title, role", [
    ("Jugendhilfeplanerin im Kreisjugendamt", "planung"),
    ("SB Bürgerbeteiligung", "verwaltung"),
    ("Ratsmitglied", "politik"),
    ("Fachbereichsleitung Soziales", "leitung"),
    ("Quartiersmanager*in", "koordination"),
    ("Schulsozialarbeiter", "fachkraft"),
    ("Vorsitzende des Fördervereins", "zivilgesellschaft"),
])
def test_job_titles_as_people_write_them(classifier, title, role):
    guess = classifier.guess([title])[0]
    assert (guess.role, guess.best) == (role, role)
    assert guess.confidence >= classifier.threshold


@pytest.mark.parametrize("title, roles", [
    ("hauptamtliche Bürgermeisterin", ("leitung", "politik")),
    ("Landrat", ("leitung", "politik")),
    ("Ortsvorsteher", ("politik",)),
    ("Amtsleiterin Jugendamt", ("leitung",)),
    ("Schulsozialarbeiterin", ("fachkraft",)),
])
def test_elected_heads_hold_two_roles_and_others_one(classifier, title, roles):
    guess = classifier.guess([title])[0]
    assert guess.roles == roles and guess.role == roles[0]


@pytest.mark.parametrize("title", ["xyz qwertz", "Bäckermeister", "Pilot"])
def test_titles_outside_municipal_work_get_no_confident_role(classifier, title):
    guess = classifier.guess([title])[0]
    assert guess.role is None and guess.roles == ()


def test_roles_hold_at_most_two_codes_primary_first_never_repeated(classifier):
    titles = [r.title for r in read_labeled_titles()] + [r.title for r in read_labeled_titles(HELDOUT)]
    titles += ["xyz qwertz", "Pilot", "Bürgermeister", "Referentin des Oberbürgermeisters", "Bgm. (ehrenamtlich)"]
    for guess in classifier.guess(titles):
        assert len(guess.roles) <= 2 and len(set(guess.roles)) == len(guess.roles)
        assert guess.roles == () if guess.role is None else guess.roles[0] == guess.role
        assert set(guess.roles) <= set(ROLES)


def test_no_second_role_without_second_roles_in_the_labels():
    model = RoleClassifier().fit(["Bürgermeisterin", "Ratsmitglied", "Erzieherin"], ["leitung", "politik", "fachkraft"])
    assert all(len(g.roles) <= 1 for g in model.guess(["Bürgermeisterin", "Landrat"]))


def test_a_second_role_never_joins_an_unknown_or_unsure_primary():
    model = RoleClassifier(threshold=0.99).fit(["Bürgermeisterin", "Amtsleiterin", "Ratsmitglied"],
                                               ["leitung", "leitung", "politik"], ["politik", None, None])
    assert model.guess(["Bürgermeisterin"])[0].roles == ()


@pytest.mark.parametrize("path", [None, HELDOUT], ids=["train", "heldout"])
def test_the_label_files_parse_with_valid_codes(path):
    rows = read_labeled_titles(path) if path else read_labeled_titles()
    assert all(r.role in ROLES and r.second_role in (None, *ROLES) and r.second_role != r.role for r in rows)
    assert sum(r.second_role is not None for r in rows) >= 20


def test_read_job_titles_still_gives_titles_and_primary_roles():
    titles, roles = read_job_titles()
    rows = read_labeled_titles()
    assert titles == [r.title for r in rows] and roles == [r.role for r in rows]
    assert roles[titles.index("Bürgermeisterin")] == "leitung"


@pytest.mark.parametrize("content, message", [
    ("title,role,second_role\nBürgermeisterin,leitung,leitung\n", "repeats the role"),
    ("title,role,second_role\nBürgermeisterin,leitung,buergermeister\n", "unknown role codes"),
])
def test_bad_label_files_are_refused(tmp_path, content, message):
    path = tmp_path / "titles.csv"
    path.write_text(content, encoding="utf-8")
    with pytest.raises(ValueError, match=message):
        read_labeled_titles(path)


def test_a_file_without_the_second_role_column_still_reads(tmp_path):
    path = tmp_path / "titles.csv"
    path.write_text("title,role\nLandrat,leitung\n", encoding="utf-8")
    assert [r.roles for r in read_labeled_titles(path)] == [("leitung",)]


@pytest.mark.parametrize("heldout", [HELDOUT, REAL_HELDOUT, NEW_HELDOUT, THIRD_HELDOUT],
                         ids=["written", "real", "another-author", "third-author"])
def test_train_and_heldout_titles_do_not_overlap(heldout):
    def key(title):  # gender forms, abbreviations and case folded: "OB" is "Oberbürgermeister"
        return " ".join(normalize(title).split())
    train = {key(r.title) for r in read_labeled_titles()}
    assert not [r.title for r in read_labeled_titles(heldout) if key(r.title) in train]


def test_the_bundled_title_list_is_large_and_covers_every_role():
    titles, roles = read_job_titles()
    assert len(titles) >= 400
    assert min(roles.count(r) for r in set(roles)) >= 50 and len(set(roles)) == 7


def test_heldout_figures_stay_at_the_target(classifier):
    figures = evaluate_roles(classifier, read_labeled_titles(HELDOUT))
    assert figures["top1"] >= 0.95 and figures["elected_top1"] >= 0.95
    assert figures["roles_exact"] >= 0.9 and figures["coverage"] >= 0.9


@pytest.mark.parametrize("title, expanded", [
    ("RM (CDU)", "Ratsmitglied (CDU)"),
    ("Rm. Schilff, Vorsitzender", "Ratsmitglied Schilff, Vorsitzender"),
    ("sB Fraktion Die Linke", "sachkundiger Bürger Fraktion Die Linke"),
    ("Dez-BL", "Dez-Bereichsleitung"),
    ("Gemeindeamtsrätin", "Gemeindeamtsrat"),
    ("Leiterin SGB II, FORMAT-Team", "Leiterin SGB II, FORMAT-Team"),  # no abbreviation inside a word, SGB kept
    ("sb Jugend", "sb Jugend"),  # case matters: "sB" is the minutes' sachkundige Bürger, "sb" is left to normalize
], ids=["RM", "Rm-dot", "sB", "hyphen", "raetin", "inside-words", "case"])
def test_titles_read_the_abbreviations_of_council_minutes(title, expanded):
    assert expand_title(title) == expanded


@pytest.mark.parametrize("title", ["Rm (FDP/Bürgerliste)", "sB (Bündnis 90/Die Grünen)", "GRin Müller (FWV)"])
def test_council_members_written_as_the_minutes_abbreviate_them_read_as_politik(classifier, title):
    assert classifier.guess([title])[0].role == "politik"


def test_the_head_phrase_ends_before_whose_office_it_is():
    assert head_phrase("Referentin des Landrats") == "referentin"
    assert head_phrase("Bürgermeisterin (SPD) der Gemeinde Much") == "bürgermeister"


def test_the_classifier_survives_joblib(classifier, tmp_path):
    joblib.dump(classifier, tmp_path / "roles.joblib")
    loaded = joblib.load(tmp_path / "roles.joblib")
    titles = ["Landrätin", "Ortsvorsteherin", "Erzieherin"]
    assert loaded.guess(titles) == classifier.guess(titles)


@pytest.mark.filterwarnings("ignore:Label not 2 is present in all training examples")  # the constant label, meant
def test_the_classifiers_kept_as_data_compute_scikit_learns_numbers_bit_for_bit(classifier, tiny_model):
    """The role and field classifiers keep what scikit-learn fitted as plain data (a model never imports it to
    score): their features and probabilities are scikit-learn's own, on titles and needs nobody trained on."""
    import numpy as np
    from scipy import sparse
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression
    from sklearn.multiclass import OneVsRestClassifier

    from matcher.model._classifiers import (FittedLogistic, FittedOneVsRest, field_features, logistic_proba,
                                            one_vs_rest_proba, taxonomy_titles, title_for_chars)
    rows = read_labeled_titles()
    trained = [r.title for r in rows] + taxonomy_titles()[0]
    references = [TfidfVectorizer(analyzer="char_wb", preprocessor=title_for_chars, ngram_range=(2, 5),
                                  sublinear_tf=True, dtype=np.float32),
                  TfidfVectorizer(analyzer=classifier.words_.analyzer, sublinear_tf=True, dtype=np.float32),
                  TfidfVectorizer(analyzer=classifier.heads_.analyzer, sublinear_tf=True, dtype=np.float32)]
    for reference in references:
        reference.fit(trained)
    titles = [r.title for r in read_labeled_titles(HELDOUT)] + ["", "Sachbearbeiterin (m/w/d) im Ordnungsamt", "x" * 300]
    features = sparse.hstack([v.transform(titles) for v in references]).tocsr()
    assert (classifier._features(titles) != features).nnz == 0
    roles = [r.role for r in rows] + taxonomy_titles()[1]
    multiclass = LogisticRegression(C=classifier.C, max_iter=2000).fit(
        sparse.hstack([v.transform(trained) for v in references]).tocsr(), roles)
    assert np.array_equal(FittedLogistic.of(multiclass).predict_proba(features), multiclass.predict_proba(features))
    binary = LogisticRegression(max_iter=2000).fit(features, [t.startswith("S") for t in titles])
    assert np.array_equal(FittedLogistic.of(binary).predict_proba(features), binary.predict_proba(features))
    # the field classifier: one-vs-rest over the needs' words and embeddings, one label never seen
    needs = ["Jugendliche an der Planung beteiligen", "Drogen im Stadtteil", "", "Klimaanpassung und Hitze"]
    words, _ = tiny_model.vectorizer.transform(needs)
    embeddings = tiny_model.encoder.encode_queries(needs) if tiny_model.encoder is not None else None
    X = field_features(words, embeddings, 3.0)
    targets = np.array([[1, 0, 0], [0, 1, 0], [1, 1, 0], [0, 0, 0]])
    reference = OneVsRestClassifier(LogisticRegression()).fit(X, targets)
    assert np.array_equal(FittedOneVsRest.of(reference).predict_proba(X), reference.predict_proba(X))
    # and the fitted scikit-learn objects themselves, as a model saved before format 9 holds them
    assert np.array_equal(one_vs_rest_proba(reference, X), reference.predict_proba(X))
    assert np.array_equal(logistic_proba(multiclass, features), multiclass.predict_proba(features))