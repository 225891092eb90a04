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


def test_the_lean_tfidf_is_scikit_learns_transform_bit_for_bit():
    import json

    import numpy as np

    from conftest import BUNDLED_CATALOG, ROOT
    from matcher import read_catalog
    from matcher.text import TextVectorizer, tfidf
    offers, _ = read_catalog(BUNDLED_CATALOG)
    vectorizer = TextVectorizer().fit([o.text for o in offers])
    needs = [json.loads(line)["needs"] for line in (ROOT / "benchmarks" / "data" / "profiles.jsonl").open()]
    needs += ["", "xqzv", "Ärger!! Ärger", "KiTa-Beteiligung\nmehrzeilig", "a " * 3]
    for sklearn_vectorizer in (vectorizer.words_, vectorizer.chars_):
        ours, theirs = tfidf(sklearn_vectorizer, needs), sklearn_vectorizer.transform(needs)
        assert ours.shape == theirs.shape and ours.dtype == theirs.dtype
        for part in ("indptr", "indices", "data"):
            assert np.array_equal(getattr(ours, part), getattr(theirs, part)), part


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
