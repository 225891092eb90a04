"""The model's classifiers: a person's role from the job title, their fields from the needs, and the
probabilities both compute per request, from what scikit-learn fitted, without scikit-learn."""
from __future__ import annotations

import csv
import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from scipy import sparse
from scipy.special import expit

from ..core import DATA_DIR, FIELDS, ROLES, NotFittedError, taxonomy
from ..text import FittedTfidf, StemAnalyzer, build_lexicon, normalize, normalize_for_chars, tfidf


# Fitted logistic regressions as plain data, their probabilities computed as predict_proba computes them.
#
# scikit-learn fits them; a saved model keeps their coefficients only, so that loading and scoring never import
# scikit-learn (matcher/text/_tfidf.py says why), and a request skips scikit-learn's checks of its input, which cost
# several times the product itself for the one short text of a request (8 ms of a 17 ms request at 10,000 offers).
# The same operations in the same order: the numbers are the same bit for bit (tests/test_roles.py).

@dataclass(frozen=True, eq=False)
class FittedLogistic:
    """A fitted LogisticRegression's classes, coefficients and intercepts."""

    classes_: np.ndarray
    coef_: np.ndarray
    intercept_: np.ndarray

    @classmethod
    def of(cls, model) -> "FittedLogistic":
        return cls(model.classes_, model.coef_, model.intercept_)

    def predict_proba(self, features) -> np.ndarray:
        return logistic_proba(self, features)


@dataclass(frozen=True, eq=False)
class FittedOneVsRest:
    """A fitted multilabel OneVsRestClassifier: one column per label, each a FittedLogistic or, for a label seen
    always or never, its constant."""

    estimators_: tuple

    @classmethod
    def of(cls, model) -> "FittedOneVsRest":
        if not model.multilabel_:
            raise ValueError("only a multilabel one-vs-rest classifier is kept as data")
        return cls(tuple(FittedLogistic.of(e) if hasattr(e, "coef_") else float(np.ravel(e.y_)[0])
                         for e in model.estimators_))

    def predict_proba(self, features) -> np.ndarray:
        return np.array([logistic_proba(e, features)[:, 1] if isinstance(e, FittedLogistic)
                         else np.full(features.shape[0], e) for e in self.estimators_]).T


def _decision(model, features) -> np.ndarray:
    scores = np.asarray(features @ model.coef_.T) + model.intercept_
    return scores.reshape(-1) if scores.ndim > 1 and scores.shape[1] == 1 else scores


def _softmax(scores: np.ndarray) -> np.ndarray:
    """scikit-learn's softmax, in place, in its order: the row's maximum off, exp, divided by the row's sum."""
    scores -= scores.max(axis=1).reshape(-1, 1)
    np.exp(scores, out=scores)
    scores /= scores.sum(axis=1).reshape(-1, 1)
    return scores


def logistic_proba(model, features) -> np.ndarray:
    """model.predict_proba(features) of a fitted logistic regression: a sigmoid for two classes, the softmax for
    more."""
    if len(model.classes_) > 2:
        return _softmax(_decision(model, features))
    prob = expit(_decision(model, features))
    return np.stack([1 - prob, prob], axis=1)


def one_vs_rest_proba(model, features) -> np.ndarray:
    """predict_proba of a multilabel one-vs-rest model (one column per label): a FittedOneVsRest, or a fitted
    OneVsRestClassifier of a model saved before they were kept as data (read as one)."""
    if not isinstance(model, FittedOneVsRest):
        if not model.multilabel_ or len(model.estimators_) == 1:
            return model.predict_proba(features)  # normalised rows: not the field classifier's case
        model = FittedOneVsRest.of(model)
    return model.predict_proba(features)


# Field inference from a person's needs: one-vs-rest logistic regression over word TF-IDF and embeddings.
#
# Trained on the catalog's own offers (text -> their field codes) plus the taxonomy's field synonyms, so it
# adapts to any catalog and still knows that "Drogen" is Prävention.

def field_features(words: sparse.csr_matrix, embeddings: np.ndarray | None, embedding_weight: float):
    if embeddings is None:
        return words
    return sparse.hstack([words, sparse.csr_matrix(embeddings * embedding_weight)]).tocsr()


class FieldClassifier:
    """Needs -> probability per field code; fields at or above `threshold` are read as the person's fields.

    It learns from offers' passages, which name their fields, and reads needs, which do not: their probabilities
    run lower, so the threshold is below one half (0.45: the best F1 of the worst of the three labeled collections,
    0.72, among 0.3-0.5; at 0.5 recall fell to 0.67)."""

    def __init__(self, *, threshold: float = 0.45, C: float = 4.0, embedding_weight: float = 3.0):
        self.threshold, self.C, self.embedding_weight = threshold, C, embedding_weight

    def fit(self, words: sparse.csr_matrix, embeddings: np.ndarray | None, labels: list[tuple[str, ...]]):
        targets = np.array([[f in row for f in FIELDS] for row in labels], dtype=int)
        self.uses_embeddings_ = embeddings is not None
        from sklearn.linear_model import LogisticRegression
        from sklearn.multiclass import OneVsRestClassifier
        fitting = OneVsRestClassifier(LogisticRegression(C=self.C, class_weight="balanced", max_iter=2000))
        self.model_ = FittedOneVsRest.of(fitting.fit(field_features(words, embeddings, self.embedding_weight),
                                                     targets))
        return self

    def predict_proba(self, words: sparse.csr_matrix, embeddings: np.ndarray | None) -> np.ndarray:
        if not hasattr(self, "model_"):
            raise NotFittedError("This FieldClassifier is not fitted yet.")
        embeddings = embeddings if self.uses_embeddings_ else None
        if self.uses_embeddings_ and embeddings is None:
            # the encoder failed after training: its columns count as zero
            embeddings = np.zeros((words.shape[0], self.model_.estimators_[0].coef_.shape[1] - words.shape[1]))
        return one_vs_rest_proba(self.model_, field_features(words, embeddings, self.embedding_weight))

    def read_fields(self, proba_row: np.ndarray) -> tuple[str, ...]:
        """Fields at or above the threshold, most likely first; at least the most likely one."""
        order = np.argsort(-proba_row, kind="stable")
        chosen = [FIELDS[i] for i in order if proba_row[i] >= self.threshold]
        return tuple(chosen or [FIELDS[order[0]]])


# Role inference from a free-text job title: character n-grams, stemmed words and the stems of the title's head
# phrase, logistic regression.
#
# Some people hold two roles: a hauptamtliche Bürgermeisterin heads the administration and chairs the council
# (leitung + politik). A second logistic regression on the same features learns the second role from the titles
# labeled with one (matcher/core/data/job_titles.md gives the label rule).

JOB_TITLES = DATA_DIR / "job_titles.csv"
_NONE = ""  # the second-role class of titles with a single role
_HEAD_END = re.compile(r"[(,;|]| [-–] ")
_HEAD_STOP = frozenset("des der die dem den das für im in am an beim bei von vom zur zum auf aus mit gegen".split())

# Abbreviations of council minutes and organisation charts, read in job titles only: in offers and needs "GR" or "BL"
# may mean something else, so they are not in the text module's list. Case matters ("RM", "Rm", "sB"), as the
# minutes write them (e.g. Dortmund's "RM ... (CDU)", "sB", "sE"; "GR"/"GRin" for Gemeinderat in Baden-Württemberg).
_TITLE_ABBREVIATIONS = {
    "RM": "Ratsmitglied", "Rm": "Ratsmitglied", "MdR": "Mitglied des Rates", "sB": "sachkundiger Bürger",
    "sE": "sachkundiger Einwohner", "GR": "Gemeinderat", "GRin": "Gemeinderätin", "StR": "Stadtrat",
    "StRin": "Stadträtin", "KR": "Kreisrat", "KRin": "Kreisrätin", "KTA": "Kreistagsabgeordneter",
    "BV": "Bezirksvertretung", "BVM": "Bezirksvertretungsmitglied", "TL": "Teamleitung", "BL": "Bereichsleitung",
    "GBL": "Geschäftsbereichsleitung", "FDL": "Fachdienstleitung", "FD": "Fachdienst", "DL": "Dienststellenleitung",
}
_TITLE_ABBREVIATION = re.compile(r"(?<![\w.])(" + "|".join(sorted(_TITLE_ABBREVIATIONS, key=len, reverse=True))
                                 + r")\.?(?!\w)")


# Feminine forms with an umlaut that the text module's gender rule (-erin -> -er) leaves: Amtsrätin, Landrätin.
_RAETIN = re.compile(r"rätin(?:nen)?\b")


def expand_title(title: str) -> str:
    """The title with the abbreviations of council minutes and org charts written out ("RM (CDU)" -> "Ratsmitglied
    (CDU)") and "-rätin" read as "-rat" (Gemeindeamtsrätin as Gemeindeamtsrat); what the text module's normalize
    does (gender forms, (m/w/d), SB, SGL, FBL, stellv., OB, ...) is left to it."""
    return _RAETIN.sub("rat", _TITLE_ABBREVIATION.sub(lambda m: _TITLE_ABBREVIATIONS[m.group(1)], title))


def title_for_chars(title: str) -> str:
    """Preprocessor of the title's character n-grams: abbreviations expanded, then as the text module spells them."""
    return normalize_for_chars(expand_title(title))


@dataclass(frozen=True)
class RoleGuess:
    role: str | None  # None: not confident enough to name a role
    confidence: float  # probability of the most likely role
    best: str  # the most likely role, even when below the threshold
    roles: tuple[str, ...] = ()  # primary first, then a second role if any; () when role is None


@dataclass(frozen=True)
class LabeledTitle:
    title: str
    role: str
    second_role: str | None = None

    @property
    def roles(self) -> tuple[str, ...]:
        return (self.role, self.second_role) if self.second_role else (self.role,)


def read_labeled_titles(path: str | Path = JOB_TITLES) -> list[LabeledTitle]:
    """Rows of a labeled CSV with columns title,role and an optional second_role (empty for most rows)."""
    with open(path, encoding="utf-8-sig", newline="") as f:
        rows = [LabeledTitle(r["title"].strip(), r["role"].strip(), (r.get("second_role") or "").strip() or None)
                for r in csv.DictReader(f) if (r.get("title") or "").strip()]
    unknown = sorted({c for r in rows for c in r.roles} - set(ROLES))
    if unknown:
        raise ValueError(f"{path}: unknown role codes {unknown}")
    same = [r.title for r in rows if r.second_role == r.role]
    if same:
        raise ValueError(f"{path}: second_role repeats the role for {same[:3]}")
    return rows


def read_job_titles(path: str | Path = JOB_TITLES) -> tuple[list[str], list[str]]:
    """(titles, primary roles) of a labeled CSV."""
    rows = read_labeled_titles(path)
    return [r.title for r in rows], [r.role for r in rows]


def taxonomy_titles() -> tuple[list[str], list[str]]:
    """The taxonomy's role synonyms as extra labeled titles."""
    pairs = [(s, code) for code, entry in taxonomy()["roles"].items() for s in entry["synonyms"]]
    return [t for t, _ in pairs], [r for _, r in pairs]


def head_phrase(title: str) -> str:
    """The words that name the job: normalised title up to the first bracket, comma or article/preposition.

    German titles put the role first and then whose or what: "Referentin des Landrats", "Bürgermeister (SPD)
    der Gemeinde X", "Leiterin Büro des Oberbürgermeisters". Extra features on this phrase keep an office named
    in the attribute (or a party) from outweighing the job itself.
    """
    words = []
    for word in _HEAD_END.split(normalize(expand_title(title)), maxsplit=1)[0].split():
        if word in _HEAD_STOP:
            break
        words.append(word)
    return " ".join(words)


class HeadStems:
    """Title -> stems of its head phrase (a class, not a lambda, so the fitted vectorizer pickles).

    Word stems, not character n-grams: an unknown head such as "Bäckermeister" then adds nothing, where its
    n-grams would have read it as a Bürgermeister.
    """

    def __init__(self, lexicon: frozenset[str]):
        self.stems = StemAnalyzer(lexicon)

    def __call__(self, title: str) -> list[str]:
        return self.stems(head_phrase(title))


class TitleStems:
    """Title -> stems of its words and their compound parts, abbreviations of the minutes expanded first."""

    def __init__(self, lexicon: frozenset[str]):
        self.stems = StemAnalyzer(lexicon)

    def __call__(self, title: str) -> list[str]:
        return self.stems(expand_title(title))


class RoleClassifier:
    """Job title -> role code with a probability; below `threshold` the role is reported as unknown.

    A wrong confident guess would boost the wrong offers, so an unsure title gets no role at all, and a second
    role only joins a confident primary when its own probability reaches `second_threshold`. The second-role model
    is trained on the titles whose primary role has a second role somewhere in the labels (leitung: Amtsleiterin
    vs. Bürgermeisterin) and only asked for such primaries, so it learns what sets the elected heads apart.
    """

    def __init__(self, *, threshold: float = 0.5, C: float = 40.0, second_threshold: float = 0.5,
                 second_C: float = 20.0):
        self.threshold, self.C = threshold, C
        self.second_threshold, self.second_C = second_threshold, second_C

    def fit(self, titles: list[str], roles: list[str], second_roles: list[str | None] | None = None
            ) -> "RoleClassifier":
        """`second_roles` (None for none) may cover only the first titles: the rest (e.g. synonyms) are skipped."""
        from sklearn.feature_extraction.text import TfidfVectorizer
        from sklearn.linear_model import LogisticRegression
        chars = TfidfVectorizer(analyzer="char_wb", preprocessor=title_for_chars, ngram_range=(2, 5),
                                sublinear_tf=True, dtype=np.float32)
        # compound heads carry the role (Gesamt|leitung, Jugendhilfe|planerin): the titles' words are the lexicon
        lexicon = build_lexicon(titles)
        words = TfidfVectorizer(analyzer=TitleStems(lexicon), sublinear_tf=True, dtype=np.float32)
        heads = TfidfVectorizer(analyzer=HeadStems(lexicon), sublinear_tf=True, dtype=np.float32)
        features = sparse.hstack([v.fit_transform(titles) for v in (chars, words, heads)]).tocsr()
        self.chars_, self.words_, self.heads_ = (FittedTfidf.of(v) for v in (chars, words, heads))
        self.model_ = FittedLogistic.of(LogisticRegression(C=self.C, max_iter=2000).fit(features, roles))
        self.classes_ = tuple(self.model_.classes_)
        seconds = [s or _NONE for s in (second_roles or [])]
        # only pairs the labels know (leitung + politik): never a Referentin "des Landrats" made politik
        self.pairs_ = frozenset((r, s) for r, s in zip(roles, seconds) if s not in (_NONE, r))
        firsts = {r for r, _ in self.pairs_}
        idx = [i for i, r in enumerate(roles[:len(seconds)]) if r in firsts]
        labels = [seconds[i] for i in idx]
        self.second_ = (FittedLogistic.of(LogisticRegression(C=self.second_C, max_iter=2000).fit(features[idx], labels))
                        if len(set(labels)) > 1 else None)
        return self

    def _features(self, titles: list[str]):
        if not hasattr(self, "model_"):
            raise NotFittedError("This RoleClassifier is not fitted yet; call fit with labeled job titles first.")
        return sparse.hstack([tfidf(v, titles) for v in (self.chars_, self.words_, self.heads_)]).tocsr()

    def predict_proba(self, titles: list[str]) -> np.ndarray:
        return logistic_proba(self.model_, self._features(titles))

    def guess(self, titles: list[str]) -> list[RoleGuess]:
        features = self._features(titles)
        seconds = logistic_proba(self.second_, features) if self.second_ is not None else None
        out = []
        for i, row in enumerate(logistic_proba(self.model_, features)):
            best = int(np.argmax(row))
            confidence = float(row[best])
            role = str(self.classes_[best])
            if confidence < self.threshold:
                out.append(RoleGuess(None, round(confidence, 4), role, ()))
                continue
            roles = (role,)
            if seconds is not None:
                p, code = max((p, str(c)) for p, c in zip(seconds[i], self.second_.classes_)
                              if c == _NONE or (role, c) in self.pairs_)
                if code != _NONE and p >= self.second_threshold:
                    roles = (role, code)
            out.append(RoleGuess(role, round(confidence, 4), role, roles))
        return out


def train_role_classifier(path: str | Path = JOB_TITLES, **params) -> RoleClassifier:
    """Fitted on the labeled titles and the taxonomy's synonyms; second roles from the labeled titles only,
    since a synonym such as "Bürgermeister" says nothing about whether the office is hauptamtlich."""
    rows = read_labeled_titles(path)
    extra_titles, extra_roles = taxonomy_titles()
    return RoleClassifier(**params).fit([r.title for r in rows] + extra_titles, [r.role for r in rows] + extra_roles,
                                        [r.second_role for r in rows])


def evaluate_roles(classifier: RoleClassifier, rows: list[LabeledTitle]) -> dict[str, float]:
    """Figures on labeled titles the classifier was not trained on (benchmarks/data/job_titles_heldout.csv).

    top1: the most likely role is the primary, confident or not; accuracy: the same with an unknown role counted
    wrong; coverage: share with a confident role; confidently_wrong: a confident role that is not the primary;
    roles_exact: the roles tuple equals the labels (both roles
    right, nothing extra). `elected_*` repeat them on the titles whose labels include politik (council and
    committee members, elected heads of administration).
    """
    pairs = list(zip(classifier.guess([r.title for r in rows]), rows))
    elected = [(g, r) for g, r in pairs if "politik" in r.roles]

    def figures(among: list[tuple[RoleGuess, LabeledTitle]]) -> dict[str, float]:
        n = max(1, len(among))
        return {"top1": round(sum(g.best == r.role for g, r in among) / n, 4),
                "accuracy": round(sum(g.role == r.role for g, r in among) / n, 4),
                "coverage": round(sum(g.role is not None for g, _ in among) / n, 4),
                "confidently_wrong": round(sum(g.role is not None and g.role != r.role for g, r in among) / n, 4),
                "roles_exact": round(sum(g.roles == r.roles for g, r in among) / n, 4)}

    return {"n": len(pairs), **figures(pairs), "elected_n": len(elected),
            **{f"elected_{k}": v for k, v in figures(elected).items()}}
