"""German text: normalisation, stemming and compounds, and the lexical representation of offers and
needs (stemmed word TF-IDF and character n-gram TF-IDF)."""
from __future__ import annotations

import re
from functools import lru_cache
from itertools import chain

import Stemmer
import numpy as np
from scipy import sparse

from ..core import DATA_DIR, NotFittedError
from ._tfidf import CharNgrams, FittedTfidf, tfidf


# Gender forms reduced to the base form so that "Planer:innen", "PlanerInnen" and "Planerin" meet "Planer".
_GENDER_PATTERNS = [
    (re.compile(r"\((?:m|w|d)\s*/\s*(?:m|w|d)\s*/\s*(?:m|w|d)\)", re.I), " "),
    (re.compile(r"(?<=\w)[:*_·](?:innen|in)\b"), ""),
    (re.compile(r"(?<=[a-zäöüß])(?:Innen|In)\b"), ""),
    (re.compile(r"(?<=\w)\s*/\s*-?\s*(?:innen|in)\b", re.I), ""),
    (re.compile(r"(?<=\w)\((?:innen|in)\)", re.I), ""),
    (re.compile(r"(?<=[a-zäöüß]{3}er)in(?:nen)?\b"), ""),
]

# Abbreviations common in German job titles and administrative writing.
_ABBREVIATIONS = {
    "sb": "sachbearbeitung", "sachb": "sachbearbeitung", "stellv": "stellvertretende", "stv": "stellvertretende",
    "ltg": "leitung", "fbl": "fachbereichsleitung", "fb": "fachbereich", "sgl": "sachgebietsleitung",
    "sg": "sachgebiet", "abt": "abteilung", "al": "amtsleitung", "ma": "mitarbeiter", "ref": "referent",
    "gf": "geschäftsführung", "päd": "pädagogische", "sozpäd": "sozialpädagoge", "soz": "sozial",
    "dipl": "diplom", "jhp": "jugendhilfeplanung", "asd": "allgemeiner sozialer dienst", "qm": "quartiersmanagement",
    "bgm": "bürgermeister", "ob": "oberbürgermeister", "koord": "koordination", "verw": "verwaltung",
    "ogs": "offene ganztagsschule", "kjr": "kreisjugendring", "sja": "schuljugendarbeit", "ssa": "schulsozialarbeit",
    "jgd": "jugend", "beauftr": "beauftragte", "mgl": "mitglied", "vors": "vorsitzende", "ehrenamtl": "ehrenamtliche",
}
# Short abbreviations that are also ordinary words count only when written in capitals.
_CAPITAL_ONLY = {"ob", "al", "ma", "sg", "fb", "ref", "soz"}
_TOKEN = re.compile(r"[a-zäöüß0-9]+")
_WORDISH = re.compile(r"[A-Za-zÄÖÜäöüß0-9]+\.?")


def strip_gender(text: str) -> str:
    for pattern, repl in _GENDER_PATTERNS:
        text = pattern.sub(repl, text)
    return text


def expand_abbreviations(text: str) -> str:
    def repl(m: re.Match) -> str:
        word = m.group(0)
        key = word.rstrip(".").lower()
        if key not in _ABBREVIATIONS:
            return word
        if key in _CAPITAL_ONLY and not word.rstrip(".").isupper():
            return word
        return _ABBREVIATIONS[key] + " "
    return _WORDISH.sub(repl, text)


def normalize(text: str) -> str:
    """Lowercased text with gender forms reduced and abbreviations expanded; umlauts kept for the stemmer."""
    text = expand_abbreviations(strip_gender(text.replace("\u00ad", "")))
    return text.lower().replace("ẞ", "ß")


def fold_umlauts(text: str) -> str:
    """ä -> a, ß -> ss (as the Snowball German stemmer does), for character n-grams."""
    return text.translate(_FOLD)


_FOLD = str.maketrans({"ä": "a", "ö": "o", "ü": "u", "ß": "ss"})


def normalize_for_chars(text: str) -> str:
    """Preprocessor for character n-grams: normalised, umlauts folded, 'ae' spelt as 'a'."""
    return re.sub(r"(?<=[bcdfghjklmnpqrstvwxz])(ae|oe|ue)", lambda m: m.group(0)[0], fold_umlauts(normalize(text)))


def content_for_chars(text: str) -> str:
    """Preprocessor for the character n-grams of offers and needs: the content words only (stop words and the
    everyday words of a request out, so that "was", "wissen", "müssen", "jetzt" never match), as normalize_for_chars
    spells them."""
    return normalize_for_chars(" ".join(words(text)))


@lru_cache(maxsize=1)
def stop_words() -> frozenset[str]:
    words = set()
    for line in (DATA_DIR / "stopwords_de.txt").read_text(encoding="utf-8").splitlines():
        if not line.startswith("#"):
            words.update(line.split())
    return frozenset(words)


_stemmer = Stemmer.Stemmer("german")


@lru_cache(maxsize=200_000)
def stem(word: str) -> str:
    return _stemmer.stemWord(word)


def words(text: str) -> list[str]:
    """Content words of a text, normalised, stop words removed (not stemmed)."""
    stops = stop_words()
    return [w for w in _TOKEN.findall(normalize(text)) if w not in stops and len(w) > 1]


_LINKING = ("s", "n", "en", "es", "e")
_MIN_PART = 4


def split_compound(word: str, lexicon: frozenset[str]) -> list[str]:
    """Parts of a German compound that are known words, e.g. jugendhilfeplanung -> [jugendhilfe, planung].

    The head (right part) is the longest known suffix; the modifier may carry a linking element
    (Beteiligungs|verfahren). Returns [] when no split into known words exists.
    """
    for cut in range(_MIN_PART, len(word) - _MIN_PART + 1):
        head, modifier = word[cut:], word[:cut]
        if head not in lexicon:
            continue
        for link in ("", *_LINKING):
            if link and not modifier.endswith(link):
                continue
            base = modifier[: len(modifier) - len(link)] if link else modifier
            if len(base) >= _MIN_PART and base in lexicon:
                return [*(split_compound(base, lexicon) or [base]), head]
    return []


def compound_head(word: str, lexicon: frozenset[str]) -> str | None:
    """The longest known word that ends the compound (Gesamt|leitung -> leitung), or None."""
    for cut in range(3, len(word) - _MIN_PART + 1):
        if word[cut:] in lexicon:
            return word[cut:]
    return None


def compound_parts(word: str, lexicon: frozenset[str]) -> list[str]:
    """Known parts of a compound, or at least its known head; [] for a word that is no compound we know."""
    if len(word) < 2 * _MIN_PART - 1:
        return []
    parts = split_compound(word, lexicon)
    if parts:
        return parts
    head = compound_head(word, lexicon)
    return [head] if head else []


class StemAnalyzer:
    """Text -> stems of content words plus stems of their compound parts (for word TF-IDF and reasons).

    The lexicon (words seen in the catalog) decides which compound splits are real words.
    """

    def __init__(self, lexicon: frozenset[str] = frozenset()):
        self.lexicon = lexicon

    def __call__(self, text: str) -> list[str]:
        out = []
        for word in words(text):
            out.append(stem(word))
            out.extend(stem(part) for part in compound_parts(word, self.lexicon))
        return out

    def stem_map(self, text: str) -> dict[str, str]:
        """Stem -> the word of the text it came from (first occurrence), compounds' parts included."""
        found: dict[str, str] = {}
        for word in words(text):
            found.setdefault(stem(word), word)
            for part in compound_parts(word, self.lexicon):
                found.setdefault(stem(part), word)
        return found


def build_lexicon(texts, min_len: int = _MIN_PART) -> frozenset[str]:
    """All content words of the texts, the vocabulary compound parts must come from."""
    return frozenset(w for t in texts for w in words(t) if len(w) >= min_len)


_SENTENCE_END = re.compile(r"(?<=[.!?;:])\s+|\n+")


def sentence_windows(text: str, size: int = 400) -> list[str]:
    """The text cut at sentence ends into windows of about `size` characters (a longer sentence stays whole)."""
    windows, current = [], ""
    for sentence in (s.strip() for s in _SENTENCE_END.split(text)):
        if not sentence:
            continue
        if current and len(current) + len(sentence) + 1 > size:
            windows.append(current)
            current = sentence
        else:
            current = f"{current} {sentence}".strip()
    return [*windows, current] if current else windows or [text]


# Lexical representation of offers and needs: stemmed word TF-IDF and character n-gram TF-IDF.

CHAR_MAX_SHARE = 0.1  # char n-grams in more than this share of the offers are left out (None: none are)
CHAR_MAX_DF_FLOOR = 2_000  # offers: an n-gram in fewer than this many is never too common to keep (so catalogs of
# up to 20,000 offers keep every n-gram: pruning in more than 20 of the 169 to 350 offers of the labeled collections
# cost 0.001 to 0.010 NDCG@10 held out)


class TextVectorizer:
    """Two l2-normalised TF-IDF views of a text, so that cosine similarity is a dot product.

    words: Snowball stems of content words plus the parts of compounds (Suchtprävention -> sucht, prävention).
    chars: character 3- to 5-grams inside word boundaries, which meet spelling variants and compounds halfway.
    """

    def __init__(self, *, char_ngrams=(3, 5), min_df=1, sublinear_tf=True, char_max_share=CHAR_MAX_SHARE):
        self.char_ngrams, self.min_df, self.sublinear_tf = char_ngrams, min_df, sublinear_tf
        self.char_max_share = char_max_share  # n-grams in more than this share of the offers are left out

    def fit(self, texts: list[str], extra_lexicon: list[str] = ()) -> "TextVectorizer":
        self.fit_transform(texts, extra_lexicon)
        return self

    def fit_transform(self, texts: list[str], extra_lexicon: list[str] = ()) -> tuple[sparse.csr_matrix,
                                                                                       sparse.csr_matrix]:
        """fit, and the texts' two views: each text is analysed once (on 10,000 offers half the time of fit and
        transform apart), with the same matrices. `texts` is read in order and in slices, never held whole here,
        so it may be a sequence that builds each text when read (matcher.model.OfferTexts)."""
        from sklearn.feature_extraction.text import TfidfVectorizer  # fitting only: a loaded model never needs it
        self.analyzer_ = StemAnalyzer(build_lexicon(chain(texts, extra_lexicon)))
        fitting = TfidfVectorizer(analyzer=self.analyzer_, min_df=self.min_df, sublinear_tf=self.sublinear_tf,
                                  dtype=np.float32)
        words = fitting.fit_transform(texts)
        self.words_ = FittedTfidf.of(fitting)
        chars = self._fit_chars(texts)
        words.sort_indices()  # the layout transform gives, so that every product sums in the same order
        chars.sort_indices()
        return words, chars

    def _fit_chars(self, texts: list[str]) -> sparse.csr_matrix:
        """The char n-gram view, fitted as scikit-learn's TfidfVectorizer(analyzer="char_wb") fits it (the same
        matrix bit for bit) but in two passes over chunks of texts, the first counting in how many texts each n-gram
        occurs, the second weighing them (as tfidf does for needs) into a matrix allocated once: train never holds
        the counts beside the matrix, nor scikit-learn's several copies of it (100,000 offers: 1.3 GB at its peak,
        not 2.4).

        N-grams found in most offers (a larger share than char_max_share, and in more than CHAR_MAX_DF_FLOOR of
        them) are left out: they hold most of the matrix and tell the offers apart least."""
        analyzer = CharNgrams(content_for_chars, self.char_ngrams)
        names, df = _document_frequencies(analyzer, texts)
        most = len(texts) if self.char_max_share is None else max(int(self.char_max_share * len(texts)),
                                                                  CHAR_MAX_DF_FLOOR)
        keep = (df >= self.min_df) & (df <= most)
        if not keep.any():  # every n-gram common (a catalog of copies): keep them all
            keep = df >= self.min_df
        if not keep.any():
            raise ValueError("empty vocabulary; perhaps the documents only contain stop words")
        kept = np.flatnonzero(keep)[np.argsort(names[keep].astype(str), kind="stable")]  # columns in name order
        # scikit-learn's smooth idf, in the matrix's float32
        idf = np.log(np.float32(len(texts) + 1) / (df[kept].astype(np.float32) + 1)) + 1
        self.chars_ = FittedTfidf(analyzer, dict(zip(names[kept].tolist(), range(len(kept)))), idf,
                                  self.sublinear_tf, np.float32)
        nnz = int(df[kept].sum())
        data, indices = np.empty(nnz, dtype=np.float32), np.empty(nnz, dtype=np.int32)
        indptr, at = [np.zeros(1, dtype=np.int64)], 0
        for start in range(0, len(texts), COUNT_CHUNK):
            part = tfidf(self.chars_, texts[start:start + COUNT_CHUNK])
            data[at:at + part.nnz], indices[at:at + part.nnz] = part.data, part.indices
            indptr.append(part.indptr[1:] + at)
            at += part.nnz
        indptr = np.concatenate(indptr).astype(np.int32 if nnz < 2**31 else np.int64)  # the dtype tfidf gives
        return sparse.csr_matrix((data, indices, indptr), shape=(len(texts), len(kept)))

    def transform(self, texts: list[str]) -> tuple[sparse.csr_matrix, sparse.csr_matrix]:
        if not hasattr(self, "words_"):
            raise NotFittedError("This TextVectorizer is not fitted yet; call fit with the offer texts first.")
        return tfidf(self.words_, texts), tfidf(self.chars_, texts)


COUNT_CHUNK = 1_024  # texts counted at a time when fitting the char n-grams


def _document_frequencies(analyze, texts: list[str]) -> tuple[np.ndarray, np.ndarray]:
    """(n-grams, in how many of the texts each occurs), the n-grams in order of first sight."""
    seen: dict[str, int] = {}
    df = np.zeros(0, dtype=np.int64)
    for start in range(0, len(texts), COUNT_CHUNK):
        found = [seen.setdefault(feature, len(seen)) for text in texts[start:start + COUNT_CHUNK]
                 for feature in set(analyze(text))]
        df = np.pad(df, (0, len(seen) - len(df))) + np.bincount(np.array(found, dtype=np.int64), minlength=len(seen))
    return np.array(list(seen), dtype=object), df
