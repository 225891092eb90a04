"""Lexical representation of offers and needs: stemmed word TF-IDF and character n-gram TF-IDF."""
from __future__ import annotations

import numpy as np
from scipy import sparse
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.utils.sparsefuncs_fast import inplace_csr_row_normalize_l2

from ..core import NotFittedError
from ._analysis import StemAnalyzer, build_lexicon, content_for_chars


class TextVectorizer:
    """Two l2-normalised TF-IDF views of a text, so that cosine similarity is a dot product.

    words: Snowball stems of content words plus the parts of compounds (Suchtprävention -> sucht, prävention).
    chars: character 3- to 5-grams inside word boundaries, which meet spelling variants and compounds halfway.
    """

    def __init__(self, *, char_ngrams=(3, 5), min_df=1, sublinear_tf=True):
        self.char_ngrams, self.min_df, self.sublinear_tf = char_ngrams, min_df, sublinear_tf

    def fit(self, texts: list[str], extra_lexicon: list[str] = ()) -> "TextVectorizer":
        self.fit_transform(texts, extra_lexicon)
        return self

    def fit_transform(self, texts: list[str], extra_lexicon: list[str] = ()) -> tuple[sparse.csr_matrix,
                                                                                       sparse.csr_matrix]:
        """fit, and the texts' two views: each text is analysed once (on 10,000 offers half the time of fit and
        transform apart), with the same matrices."""
        self.analyzer_ = StemAnalyzer(build_lexicon([*texts, *extra_lexicon]))
        self.words_ = TfidfVectorizer(analyzer=self.analyzer_, min_df=self.min_df, sublinear_tf=self.sublinear_tf,
                                      dtype=np.float32)
        self.chars_ = TfidfVectorizer(analyzer="char_wb", preprocessor=content_for_chars,
                                      ngram_range=self.char_ngrams, min_df=self.min_df,
                                      sublinear_tf=self.sublinear_tf, dtype=np.float32)
        words, chars = self.words_.fit_transform(texts), self.chars_.fit_transform(texts)
        words.sort_indices()  # the layout transform gives, so that every product sums in the same order
        chars.sort_indices()
        return words, chars

    def transform(self, texts: list[str]) -> tuple[sparse.csr_matrix, sparse.csr_matrix]:
        if not hasattr(self, "words_"):
            raise NotFittedError("This TextVectorizer is not fitted yet; call fit with the offer texts first.")
        return tfidf(self.words_, texts), tfidf(self.chars_, texts)


def tfidf(vectorizer: TfidfVectorizer, texts: list[str]) -> sparse.csr_matrix:
    """vectorizer.transform(texts), the same matrix bit for bit (tests/test_text.py), without scikit-learn's
    checks of its input on every call: they cost more than the work for the one short text of a request."""
    analyze = vectorizer.build_analyzer()
    vocabulary = vectorizer.vocabulary_
    indices, counts, indptr = [], [], [0]
    for text in texts:
        found: dict[int, int] = {}
        for feature in analyze(text):
            column = vocabulary.get(feature)
            if column is not None:
                found[column] = found.get(column, 0) + 1
        indices.extend(found)
        counts.extend(found.values())
        indptr.append(len(indices))
    matrix = sparse.csr_matrix((np.array(counts, dtype=vectorizer.dtype), np.array(indices, dtype=np.int32),
                                np.array(indptr, dtype=np.int32)), shape=(len(texts), len(vocabulary)))
    matrix.sort_indices()
    if vectorizer.sublinear_tf:
        np.log(matrix.data, matrix.data)
        matrix.data += 1.0
    matrix.data *= vectorizer.idf_[matrix.indices]
    inplace_csr_row_normalize_l2(matrix)
    return matrix
