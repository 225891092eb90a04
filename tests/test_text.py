import pytest

from matcher.text import StemAnalyzer, build_lexicon, compound_parts, normalize, split_compound


@pytest.mark.parametrize("title", ["Sozialarbeiter:innen", "Sozialarbeiter*innen", "Sozialarbeiter_innen",
                                   "SozialarbeiterInnen", "Sozialarbeiter/-in", "Sozialarbeiter/in",
                                   "Sozialarbeiterin", "Sozialarbeiter (m/w/d)", "Sozialarbeiter(in)"])
def test_gender_forms_reduce_to_one_base_form(title):
    assert normalize(title).strip() == "sozialarbeiter"


def test_gender_reduction_leaves_ordinary_words_alone():
    assert normalize("Berlin in der Innenstadt") == "berlin in der innenstadt"


@pytest.mark.parametrize("raw, expected", [
    ("SB Bürgerbeteiligung", "sachbearbeitung"),
    ("stellv. AL Jugendamt", "stellvertretende"),
    ("FBL Soziales", "fachbereichsleitung"),
    ("Ltg. Jugendzentrum", "leitung"),
])
def test_abbreviations_are_expanded(raw, expected):
    assert expected in normalize(raw)


def test_capital_only_abbreviations_do_not_touch_ordinary_words():
    assert normalize("ob wir das schaffen") == "ob wir das schaffen"


def test_compounds_split_into_known_words_with_linking_elements():
    lexicon = build_lexicon(["Jugendhilfe und Planung", "Beteiligung im Verfahren", "Sucht und Prävention"])
    assert split_compound("jugendhilfeplanung", lexicon) == ["jugendhilfe", "planung"]
    assert split_compound("beteiligungsverfahren", lexicon) == ["beteiligung", "verfahren"]
    assert split_compound("suchtprävention", lexicon) == ["sucht", "prävention"]
    assert split_compound("zusammenhalt", lexicon) == []


def test_a_compound_with_an_unknown_modifier_still_yields_its_head():
    lexicon = build_lexicon(["Leitung"])
    assert compound_parts("gesamtleitung", lexicon) == ["leitung"]


def test_analyzer_meets_compounds_and_their_parts():
    analyzer = StemAnalyzer(build_lexicon(["Sucht", "Prävention"]))
    assert set(analyzer("Suchtprävention")) >= set(analyzer("Prävention von Sucht"))


def test_analyzer_drops_stop_words_and_folds_spelling_variants():
    analyzer = StemAnalyzer()
    assert analyzer("und die der") == []
    assert analyzer("Prävention") == analyzer("Praevention")


def test_sentence_windows_cut_at_sentence_ends_and_keep_every_sentence():
    from matcher.text import sentence_windows
    text = "Erster Satz hier. " * 30  # 30 sentences of 17 characters
    windows = sentence_windows(text, size=100)
    assert all(len(w) <= 100 for w in windows) and len(windows) == 6  # 5 sentences (89 characters) per window
    assert " ".join(windows).split() == text.split()
    assert sentence_windows("Kurz.") == ["Kurz."]


def test_the_tfidf_kept_as_data_is_scikit_learns_transform_bit_for_bit():
    """A model keeps its vectorizers as plain data (FittedTfidf) and applies them without scikit-learn: the same
    matrices as scikit-learn's transform, words and char n-grams, on needs nobody trained on."""
    import json

    import numpy as np
    from sklearn.feature_extraction.text import TfidfVectorizer

    from conftest import BUNDLED_CATALOG, ROOT
    from matcher import read_catalog
    from matcher.text import FittedTfidf, TextVectorizer, tfidf
    from matcher.text._analysis import content_for_chars
    texts = [o.text for o in read_catalog(BUNDLED_CATALOG)[0]]
    vectorizer = TextVectorizer().fit(texts)
    words = TfidfVectorizer(analyzer=vectorizer.analyzer_, sublinear_tf=True, dtype=np.float32).fit(texts)
    chars = TfidfVectorizer(analyzer="char_wb", preprocessor=content_for_chars, ngram_range=(3, 5), sublinear_tf=True,
                            dtype=np.float32).fit(texts)
    assert vectorizer.words_.vocabulary_ == words.vocabulary_
    assert list(vectorizer.words_.get_feature_names_out()) == list(words.get_feature_names_out())
    needs = [json.loads(line)["needs"] for line in (ROOT / "benchmarks" / "data" / "profiles.jsonl").open()]
    needs += ["", "xqzv", "Ärger!! Ärger", "KiTa-Beteiligung\nmehrzeilig", "a " * 3, "  Tab\tund   Leer  "]
    # scikit-learn's own vectorizers too: a model saved before format 9 holds them
    for kept, reference in ((vectorizer.words_, words), (FittedTfidf.of(chars), chars), (words, words), (chars, chars)):
        for batch in (needs, needs[:1], needs[:9]):  # one row, a few, many: each way of summing the norms
            ours, theirs = tfidf(kept, batch), reference.transform(batch)
            assert ours.shape == theirs.shape and ours.dtype == theirs.dtype
            for part in ("indptr", "indices", "data"):
                assert np.array_equal(getattr(ours, part), getattr(theirs, part)), part


@pytest.mark.parametrize("rows", [1, 8, 9, 200])
def test_rows_are_normalised_as_scikit_learn_normalises_them_bit_for_bit(rows):
    import numpy as np
    from scipy import sparse
    from sklearn.utils.sparsefuncs_fast import inplace_csr_row_normalize_l2

    from matcher.text._tfidf import normalize_rows_l2
    rng = np.random.default_rng(rows)
    matrix = sparse.random(rows, 500, density=0.05, format="csr", dtype=np.float32, random_state=rows)
    matrix.data = (matrix.data * rng.choice([1e-3, 1.0, 1e3], size=matrix.nnz)).astype(np.float32)
    matrix = sparse.vstack([sparse.csr_matrix((1, 500), dtype=np.float32), matrix[1:]]).tocsr()  # an empty row
    ours, theirs = matrix.copy(), matrix.copy()
    normalize_rows_l2(ours)
    inplace_csr_row_normalize_l2(theirs)
    assert np.array_equal(ours.data, theirs.data) and ours.data.dtype == np.float32


def test_a_saved_model_scores_without_importing_scikit_learn(tiny_model_dir):
    """Loading and scoring never import scikit-learn (a second of every command; and a model does not depend on
    the scikit-learn version that trained it)."""
    import subprocess
    import sys
    code = ("import sys, matcher; m = matcher.load(sys.argv[1]); matcher.recommend(m, "
            "matcher.parse_profile({'needs': 'Jugendbeteiligung im Stadtteil', 'role_title': 'Jugendpfleger'}), 5); "
            "print(sorted(n for n in sys.modules if n.split('.')[0] == 'sklearn'))")
    out = subprocess.run([sys.executable, "-c", code, str(tiny_model_dir)], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


@pytest.mark.parametrize("chunk", [7, 4096])
def test_the_chunked_char_fit_is_scikit_learns_fit_transform_bit_for_bit(chunk, monkeypatch):
    import numpy as np
    from sklearn.feature_extraction.text import TfidfVectorizer

    import matcher.text._analysis as analysis
    from conftest import BUNDLED_CATALOG
    from matcher import read_catalog
    from matcher.text import TextVectorizer
    monkeypatch.setattr(analysis, "COUNT_CHUNK", chunk)
    texts = [o.text for o in read_catalog(BUNDLED_CATALOG)[0]]
    vectorizer = TextVectorizer()
    _, ours = vectorizer.fit_transform(texts)
    reference = TfidfVectorizer(analyzer="char_wb", preprocessor=analysis.content_for_chars, ngram_range=(3, 5),
                                sublinear_tf=True, dtype=np.float32)
    theirs = reference.fit_transform(texts)
    theirs.sort_indices()
    assert vectorizer.chars_.vocabulary_ == reference.vocabulary_
    assert np.array_equal(vectorizer.chars_.idf_, reference.idf_)
    for part in ("indptr", "indices", "data"):
        assert np.array_equal(getattr(ours, part), getattr(theirs, part)), part


def test_char_ngrams_in_most_offers_are_left_out_but_never_all(monkeypatch):
    import matcher.text._analysis as analysis
    from matcher.text import TextVectorizer
    monkeypatch.setattr(analysis, "CHAR_MAX_DF_FLOOR", 20)
    texts = [f"Jugendbeteiligung Werkstatt {word}" for word in ("Kita", "Schule", "Verwaltung")] * 10
    full = TextVectorizer(char_max_share=None).fit(texts).chars_.vocabulary_
    pruned = TextVectorizer(char_max_share=0.1).fit(texts).chars_.vocabulary_
    assert " ju" in full and " ju" not in pruned  # in all 30 texts, more than CHAR_MAX_DF_FLOOR (20)
    assert " ki" in pruned  # in 10 of them: kept
    copies = TextVectorizer(char_max_share=0.1).fit(["Jugendbeteiligung"] * 30).chars_.vocabulary_
    assert copies == TextVectorizer(char_max_share=None).fit(["Jugendbeteiligung"] * 30).chars_.vocabulary_  # all kept
    assert TextVectorizer().fit(texts[:20]).chars_.vocabulary_ == TextVectorizer(char_max_share=None).fit(
        texts[:20]).chars_.vocabulary_  # a catalog of no more offers than the floor keeps every n-gram


def test_cosines_are_the_sparse_product_bit_for_bit(tiny_model):
    import numpy as np

    from matcher.ranking._signals import cosines
    words, chars = tiny_model.vectorizer.transform(["Jugendliche beteiligen", "", "Kinderschutz an Schulen"])
    for queries, columns in ((words, tiny_model.word_columns), (chars, tiny_model.char_columns)):
        assert np.array_equal(cosines(queries, columns), (queries @ columns).toarray())
