"""A fitted TF-IDF vectorizer as plain data (analyzer, vocabulary, idf), applied without scikit-learn.

scikit-learn fits the vectorizers; a saved model keeps only what they learned, so that loading a model and scoring
with it never imports scikit-learn (1 s of every `matcher` command, most of `matcher score` on a small batch), and a
model does not depend on the scikit-learn version it was trained with. Every function here computes what
scikit-learn's transform computes, in the same order, so the matrices are the same bit for bit (tests/test_text.py).
"""
from __future__ import annotations

import re
from collections.abc import Callable

import numpy as np
from scipy import sparse

_WHITE_SPACES = re.compile(r"\s\s+")


class CharNgrams:
    """scikit-learn's analyzer="char_wb": the text preprocessed, runs of whitespace as one space, each word padded
    with a space on either side and cut into its n-grams of every length in ngram_range (a word shorter than n
    yields itself once)."""

    def __init__(self, preprocessor: Callable[[str], str], ngram_range: tuple[int, int]):
        self.preprocessor, self.ngram_range = preprocessor, tuple(ngram_range)

    def __call__(self, text: str) -> list[str]:
        min_n, max_n = self.ngram_range
        ngrams = []
        for w in _WHITE_SPACES.sub(" ", self.preprocessor(text)).split():
            w = f" {w} "
            for n in range(min_n, max_n + 1):
                offset = 0
                ngrams.append(w[:n])
                while offset + n < len(w):
                    offset += 1
                    ngrams.append(w[offset:offset + n])
                if offset == 0:  # the word is shorter than n: once is enough
                    break
        return ngrams


class FittedTfidf:
    """What a fitted TfidfVectorizer applies: its analyzer, vocabulary (term -> column) and idf per column."""

    def __init__(self, analyzer: Callable[[str], list[str]], vocabulary: dict[str, int], idf: np.ndarray,
                 sublinear_tf: bool = True, dtype=np.float32):
        self.analyzer, self.vocabulary_, self.idf_ = analyzer, vocabulary, np.asarray(idf)
        self.sublinear_tf, self.dtype = sublinear_tf, dtype

    @classmethod
    def of(cls, vectorizer) -> "FittedTfidf":
        """The fitted scikit-learn TfidfVectorizer's analyzer and weights (a callable analyzer, or "char_wb" with
        a preprocessor: the only kinds this project fits)."""
        analyzer = vectorizer.analyzer
        if not callable(analyzer):
            if analyzer != "char_wb" or vectorizer.preprocessor is None:
                raise ValueError(f"analyzer {analyzer!r} without a preprocessor is not supported")
            analyzer = CharNgrams(vectorizer.preprocessor, vectorizer.ngram_range)
        return cls(analyzer, vectorizer.vocabulary_, vectorizer.idf_, vectorizer.sublinear_tf, vectorizer.dtype)

    def build_analyzer(self) -> Callable[[str], list[str]]:
        return self.analyzer

    def get_feature_names_out(self) -> np.ndarray:
        names = np.empty(len(self.vocabulary_), dtype=object)
        for term, column in self.vocabulary_.items():
            names[column] = term
        return names


def tfidf(vectorizer, texts: list[str]) -> sparse.csr_matrix:
    """vectorizer.transform(texts) of a FittedTfidf or a fitted TfidfVectorizer, the same matrix bit for bit,
    without scikit-learn's checks of its input on every call: they cost more than the work for one short text."""
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
    return tfidf_weights(vectorizer, matrix)


def tfidf_weights(vectorizer, matrix: sparse.csr_matrix) -> sparse.csr_matrix:
    """Counts to TF-IDF, in place, as TfidfVectorizer.transform weighs them: sublinear tf, idf, l2 rows."""
    matrix.sort_indices()
    if vectorizer.sublinear_tf:
        np.log(matrix.data, matrix.data)
        matrix.data += 1.0
    matrix.data *= vectorizer.idf_[matrix.indices]
    normalize_rows_l2(matrix)
    return matrix


FEW_ROWS = 8  # up to this many rows (a request's texts) summed in Python; more (a catalog's chunk) by position


def normalize_rows_l2(matrix: sparse.csr_matrix) -> None:
    """Each row divided by its l2 norm, in place, as scikit-learn's inplace_csr_row_normalize_l2: the squares (in
    the data's type) summed in double precision in row order, the quotient stored in the data's type; empty rows
    left as they are."""
    data, indptr = matrix.data, matrix.indptr
    squares = (data * data).astype(np.float64)
    lengths = np.diff(indptr)
    sums = np.zeros(len(lengths))
    if len(lengths) <= FEW_ROWS:
        for i, (a, b) in enumerate(zip(indptr[:-1], indptr[1:])):
            total = 0.0
            for value in squares[a:b].tolist():  # Python floats are doubles: the same sums in the same order
                total += value
            sums[i] = total
    else:  # the k-th entry of every row that has one, k = 0, 1, ...: each row still summed in its own order
        order = np.argsort(-lengths, kind="stable")
        starts, longest = indptr[:-1][order], lengths[order]
        active = len(order)
        partial = np.zeros(len(order))
        for k in range(int(longest[0]) if len(longest) else 0):
            while longest[active - 1] <= k:
                active -= 1
            partial[:active] += squares[starts[:active] + k]
        sums[order] = partial
    norms = np.sqrt(sums)
    norms[sums == 0.0] = 1.0  # empty rows stay as they are
    data[:] = data.astype(np.float64) / np.repeat(norms, lengths)
