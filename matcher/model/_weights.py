"""The blend's weights: how much each signal of fit counts, and the calibration of the score."""
from __future__ import annotations

from dataclasses import asdict, dataclass, fields, replace


@dataclass(frozen=True)
class Weights:
    """How much each signal counts. Text signals are standardised per query, structured ones lie in [0, 1].

    The defaults are learned from the judgments of the three labeled collections by a pairwise linear ranker
    (matcher/ranking/_tuning.py, benchmarks/tune.py); benchmarks/results.md shows how weights learned on one collection do
    on the other. A user with judgments of their own may fit others (matcher.ranking.fit_weights) and pass them to fit_model.
    """

    word: float = 0.13  # stemmed word TF-IDF cosine of the needs, z-scored
    char: float = 0.223  # character n-grams of the needs' content words, z-scored
    title: float = 0.469  # character n-grams of job title and needs together (content words), z-scored
    semantic: float = 1.024  # sentence-encoder cosine of title, needs and named fields, z-scored
    role: float = 1.135  # offer names the person's role (either of two)
    open: float = 1.006  # offer is open to all roles
    field: float = 2.081  # offer's fields meet the person's (given, or inferred with probability)
    format: float = 0.139  # soft preference, never a filter
    mmr_lambda: float = 1.0  # relevance vs. novelty in maximal marginal relevance
    duplicate_same_provider: float = 0.35  # character TF-IDF cosine: another edition of one provider's offer
    duplicate_any_provider: float = 0.6  # character TF-IDF cosine: a copied listing of another provider
    score_scale: float = 0.843  # score = sigmoid(scale * blend + shift) estimates P(grade >= 2),
    score_shift: float = -7.068  # fitted by logistic regression on the labeled top 50s

    def without(self, *names: str) -> "Weights":
        return replace(self, **{n: 0.0 for n in names})

    def to_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_dict(cls, values: dict) -> "Weights":
        known = {f.name for f in fields(cls)}
        return cls(**{k: float(v) for k, v in values.items() if k in known})


DEFAULT_WEIGHTS = Weights()
# Used when the semantic encoder cannot load: tuned the same way with the semantic signal off.
LEXICAL_WEIGHTS = Weights(word=0.164, char=0.274, title=0.75, semantic=0.0, role=1.175, open=1.149, field=2.844,
                          format=0.188, mmr_lambda=1.0, score_scale=0.823, score_shift=-6.835)

TEXT_SIGNALS = ("word", "char", "title", "semantic")
STRUCTURED_SIGNALS = ("role", "open", "field", "format")
SIGNALS = (*TEXT_SIGNALS, *STRUCTURED_SIGNALS)
