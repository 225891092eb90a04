"""The fitted, frozen model that is persisted and served, the blend's weights, and how to fit it from
a catalog."""
from __future__ import annotations

import io
import pickle
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, field, fields as dataclass_fields, replace
from datetime import datetime, timezone
from functools import cached_property

import numpy as np
from scipy import sparse

from ..core import FIELDS, ROLES, MatcherInputError, Offer, Problem, reachable, taxonomy
from ..text import Encoder, ReusingEncoder, TextVectorizer, default_encoder
from ._classifiers import FieldClassifier, RoleClassifier, train_role_classifier
from ._feedback_prior import FeedbackPrior
from ._index import RegionIndex, build_region_index

STATS_SAMPLE = 2048  # offers over which the first stage estimates a text signal's mean and spread


# The blend's weights: how much each signal of fit counts, and the calibration of the score.

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
    feedback: float = 0.0  # what people of the person's role said of the offer here (`matcher refit` sets it)
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
        known = {f.name for f in dataclass_fields(cls)}
        return cls(**{k: float(v) for k, v in values.items() if k in known})


DEFAULT_WEIGHTS = Weights()
# Used when the semantic encoder cannot load: tuned the same way with the semantic signal off.
LEXICAL_WEIGHTS = Weights(word=0.164, char=0.274, title=0.75, semantic=0.0, role=1.175, open=1.149, field=2.844,
                          format=0.188, mmr_lambda=1.0, score_scale=0.823, score_shift=-6.835)

TEXT_SIGNALS = ("word", "char", "title", "semantic")
STRUCTURED_SIGNALS = ("role", "open", "field", "format", "feedback")
SIGNALS = (*TEXT_SIGNALS, *STRUCTURED_SIGNALS)


# The fitted, frozen model that is persisted and served, and how to fit it from a catalog.

OFFER_COLUMNS = tuple(f.name for f in dataclass_fields(Offer))
# the cached views a loaded model brings along (arrays, memory-mapped), beside the fitted fields
KEPT_VIEWS = ("word_columns", "regions", "expiry_ordinals", "role_targets", "open_to_all", "field_matrix", "formats")


PACK_CHUNK = 65_536  # offers pickled together: one array of the packed offers each
_UTF8 = "_utf8"  # a packed chunk's list of the columns whose strings other than ASCII are given as UTF-8 bytes


def pack_offers(offers: tuple[Offer, ...]) -> list[np.ndarray]:
    """The offers as pickles of their columns, a chunk of offers at a time, as bytes in arrays: joblib unpickles
    objects in Python, 100,000 offers in 4 s; this loads in a tenth of that, read where the loaded model maps it.
    Pickled without a memo (every value is a plain string, number, date or tuple, written once): half the time.

    A string that is not ASCII goes in as its UTF-8 bytes: pickling the str itself would leave a UTF-8 copy inside
    it for as long as the offer lives (CPython caches it there): 45 MB at 100,000 offers, held through the save."""
    return [_pack_chunk(offers[start:start + PACK_CHUNK]) for start in range(0, len(offers), PACK_CHUNK)]


def _pack_chunk(offers) -> np.ndarray:
    columns, encoded = {}, []
    for name in OFFER_COLUMNS:
        values = [getattr(o, name) for o in offers]
        if any(type(v) is str and not v.isascii() for v in values):
            values = [v.encode("utf-8", "surrogatepass") if type(v) is str and not v.isascii() else v for v in values]
            encoded.append(name)
        columns[name] = values
    buffer = io.BytesIO()
    pickler = pickle.Pickler(buffer, protocol=5)
    pickler.fast = True
    pickler.dump({**columns, _UTF8: encoded})
    return np.frombuffer(buffer.getbuffer(), dtype=np.uint8)


@dataclass(frozen=True)
class OffersApart:
    """What a saved model's artifact holds in place of its offers: they are in a file of their own beside it, the
    chunks' pickles one after another, written one at a time (matcher.model.save), never all held in memory."""

    ends: tuple[int, ...]  # the byte offset where each chunk's pickle ends


def write_offers(offers: tuple[Offer, ...], file) -> OffersApart:
    ends = []
    for start in range(0, len(offers), PACK_CHUNK):
        file.write(_pack_chunk(offers[start:start + PACK_CHUNK]))
        ends.append(file.tell())
    return OffersApart(tuple(ends))


def read_offers(data: np.ndarray, apart: OffersApart) -> tuple[Offer, ...]:
    """The offers of write_offers, from the file's bytes (mapped)."""
    return unpack_offers([data[start:end] for start, end in zip((0, *apart.ends), apart.ends)])


def unpack_offers(packed: list[np.ndarray] | bytes | np.ndarray) -> tuple[Offer, ...]:
    """The offers of pack_offers, or of the one pickle of all of them that models of format 7 hold."""
    offers = []
    for part in packed if isinstance(packed, list) else [packed]:
        columns = pickle.loads(part)
        for name in columns.pop(_UTF8, ()):
            columns[name] = [v.decode("utf-8", "surrogatepass") if type(v) is bytes else v for v in columns[name]]
        for values in zip(*(columns[name] for name in OFFER_COLUMNS)):
            offer = object.__new__(Offer)  # the fields set as unpickling an Offer sets them
            offer.__dict__.update(zip(OFFER_COLUMNS, values))
            offers.append(offer)
    return tuple(offers)


@dataclass(frozen=True)
class OfferIndex:
    """What selection needs of the offers: ids (ties go to the smaller), providers and character vectors
    (near-duplicates)."""

    ids: np.ndarray
    providers: np.ndarray
    char_matrix: sparse.csr_matrix


KEPT_MASKS = 20  # eligible masks kept per model: every state and nationwide, for a day or two (20 MB at 1M offers)


@dataclass(frozen=True)
class MatchModel:
    offers: tuple[Offer, ...]  # row i of every matrix is offers[i]
    vectorizer: TextVectorizer  # fitted
    word_matrix: sparse.csr_matrix  # l2-normalised, so cosine = dot product
    char_matrix: sparse.csr_matrix
    embeddings: np.ndarray | None  # (n_offers, dim) l2-normalised, None when trained without an encoder
    encoder: Encoder | None
    roles: RoleClassifier
    fields: FieldClassifier
    weights: Weights = DEFAULT_WEIGHTS
    card: dict = field(default_factory=dict)
    feedback: FeedbackPrior | None = None  # what the installation's people said (None until `matcher refit`)
    region_index: RegionIndex | None = None  # the first stage's partitions and graphs (None: partitions on first use)
    # the embeddings this fit used, by content key (matcher.text.content_key): `save` keeps them beside the model
    # for the next retrain; never pickled with the model, so a loaded model has None
    encodings: Mapping[str, np.ndarray] | None = field(default=None, repr=False, compare=False)

    def __getstate__(self):
        # the fitted fields, the offers packed by column, and the views every request reads (so that a loaded model
        # maps them from disk instead of building them from 100,000 offers); the others are rebuilt on first use,
        # char_columns too: only the full scorer reads it, and kept it would hold the largest matrix twice
        state = {f.name: getattr(self, f.name) for f in dataclass_fields(self) if f.name != "encodings"}
        offers = self.offers if isinstance(self.offers, OffersApart) else pack_offers(self.offers)
        return {**state, "offers": offers, **{name: getattr(self, name) for name in KEPT_VIEWS}}

    def __setstate__(self, state: dict) -> None:
        offers = state["offers"]  # OffersApart: load reads them from their file
        self.__dict__.update(state, offers=offers if isinstance(offers, (tuple, OffersApart)) else
                             unpack_offers(offers))

    def but(self, **changes) -> "MatchModel":
        """This model with some of encoder, weights, feedback or card changed, and the views cached on it kept (they
        depend on the offers and matrices alone): replace() would build them again, the inverted index in memory."""
        unknown = set(changes) - {"encoder", "weights", "feedback", "card"}
        if unknown:
            raise TypeError(f"but() keeps the offers' views; use dataclasses.replace to change {sorted(unknown)}")
        twin = object.__new__(MatchModel)  # not copy.copy: that would pickle the offers and unpickle them
        twin.__dict__.update(self.__dict__, **changes)
        return twin

    @property
    def semantic(self) -> bool:
        return self.encoder is not None and self.embeddings is not None

    @property
    def mode(self) -> str:
        return "semantic" if self.semantic else "lexical"

    def lexical(self) -> "MatchModel":
        """The same model ranking on its lexical signals alone, with the weights fitted for them: the fast mode
        (`--no-semantic`); no sentence is encoded."""
        return self.but(encoder=None)

    @cached_property
    def offer_ids(self) -> np.ndarray:
        return np.array([o.id for o in self.offers], dtype=object)

    @cached_property
    def offer_index(self) -> OfferIndex:
        return OfferIndex(self.offer_ids, self.providers, self.char_matrix)

    def eligible(self, region: str | None, today_ordinal: int) -> np.ndarray:
        """The offers a person of `region` may be shown on that day (core.reachable, the one hard rule), read-only:
        kept for the last few (region, day) pairs, since a batch asks for the same 17 states again and again."""
        kept, key = self._eligible_kept, (region, today_ordinal)
        mask = kept.get(key)
        if mask is None:
            mask = reachable(self.regions, self.expiry_ordinals, region, today_ordinal)
            mask.setflags(write=False)
            if len(kept) >= KEPT_MASKS:
                kept.clear()
            kept[key] = mask
        return mask

    @cached_property
    def _eligible_kept(self) -> dict:
        return {}

    @cached_property
    def partitions(self) -> RegionIndex:
        return self.region_index if self.region_index is not None else build_region_index(self.regions, None)

    @cached_property
    def sample(self) -> np.ndarray:
        """Positions (ascending) of a fixed random choice of STATS_SAMPLE offers, all of them in a smaller catalog:
        over the eligible ones among them the first stage estimates each text signal's mean and spread (a z-score's
        relative error about 1/sqrt(2 * sample), and none where the sample is the catalog)."""
        n = len(self.offers)
        if n <= STATS_SAMPLE:
            return np.arange(n)
        return np.sort(np.random.default_rng(0).choice(n, STATS_SAMPLE, replace=False))

    @cached_property
    def sample_char_columns(self) -> sparse.csr_matrix:
        """The sample's character vectors, transposed as char_columns is."""
        return self.char_matrix[self.sample].T.tocsr()

    @cached_property
    def sample_embeddings(self) -> np.ndarray | None:
        return None if self.embeddings is None else np.ascontiguousarray(self.embeddings[self.sample])

    @cached_property
    def index(self) -> dict[str, int]:
        return {o.id: i for i, o in enumerate(self.offers)}

    @cached_property
    def word_columns(self) -> sparse.csr_matrix:
        """word_matrix transposed, stored row-major: `queries @ word_columns` converts nothing per request."""
        return self.word_matrix.T.tocsr()

    @cached_property
    def char_columns(self) -> sparse.csr_matrix:
        return self.char_matrix.T.tocsr()

    @cached_property
    def role_targets(self) -> np.ndarray:
        """(n_offers, n_roles) bool: the offer names that role explicitly."""
        return np.array([[r in o.target_roles for r in ROLES] for o in self.offers], dtype=bool).reshape(-1, len(ROLES))

    @cached_property
    def open_to_all(self) -> np.ndarray:
        return np.array([o.is_open_to_all() for o in self.offers], dtype=bool)

    @cached_property
    def field_matrix(self) -> np.ndarray:
        return np.array([[f in o.fields for f in FIELDS] for o in self.offers], dtype=bool).reshape(-1, len(FIELDS))

    @cached_property
    def regions(self) -> np.ndarray:
        # fixed-width text, not objects: the hard rules compare it with one code per request, in C
        return np.array([o.region for o in self.offers], dtype="U4")

    @cached_property
    def providers(self) -> np.ndarray:
        return np.array([o.provider for o in self.offers], dtype=object)

    @cached_property
    def formats(self) -> np.ndarray:
        return np.array([o.format or "" for o in self.offers], dtype="U8")  # "": not given

    @cached_property
    def offer_types(self) -> np.ndarray:
        return np.array([o.offer_type for o in self.offers], dtype=object)

    @cached_property
    def expiry_ordinals(self) -> np.ndarray:
        """valid_until as a day number; offers without a deadline never expire."""
        return np.array([o.expiry_ordinal for o in self.offers], dtype=np.int64)

    def offer_stems(self, i: int) -> frozenset[str]:
        """Stems of offer i's text: the words of its row of word_matrix."""
        row = self.word_matrix
        terms = self.vectorizer.words_.get_feature_names_out()
        return frozenset(terms[row.indices[row.indptr[i]:row.indptr[i + 1]]])

    def offer(self, offer_id: str) -> Offer | None:
        i = self.index.get(offer_id)
        return None if i is None else self.offers[i]


def counts(offers) -> dict:
    return {
        "offers": len(offers),
        "per_field": {f: sum(f in o.fields for o in offers) for f in FIELDS},
        "per_role": {r: sum(r in o.target_roles for o in offers) for r in ROLES},
        "open_to_all": sum(o.is_open_to_all() for o in offers),
    }


_NO_ENCODER = object()
FIELD_EXAMPLES = 5_000  # offers the field classifier learns from, at most


def field_examples(n: int) -> np.ndarray:
    """Positions (ascending) of the offers the field classifier learns from: all, or a fixed choice of FIELD_EXAMPLES."""
    if n <= FIELD_EXAMPLES:
        return np.arange(n)
    return np.sort(np.random.default_rng(0).choice(n, FIELD_EXAMPLES, replace=False))


class OfferTexts(Sequence):
    """The offers' lexical texts (Offer.text), each built when it is read: the vectorizer reads them four times in
    order, and never all at once (1,000,000 offers: 0.9 GB held through its fit)."""

    def __init__(self, offers: Sequence[Offer]):
        self.offers = offers

    def __len__(self) -> int:
        return len(self.offers)

    def __getitem__(self, i):
        return [o.text for o in self.offers[i]] if isinstance(i, slice) else self.offers[i].text


ENCODE_CHUNK = 8_192  # offers whose passages are built and encoded at a time


def encode_offers(encoder: ReusingEncoder, offers: list[Offer]) -> tuple[np.ndarray, np.ndarray]:
    """(the offers' embeddings in one array, filled a chunk at a time, their passages' content keys): the passages'
    texts are never all held at once (1,000,000 offers: 1 GB), nor the encoder's rows beside the array."""
    out, keys = None, np.empty(len(offers), dtype="S64")
    for start in range(0, len(offers), ENCODE_CHUNK):
        passages = [o.passage for o in offers[start:start + ENCODE_CHUNK]]
        chunk_keys = encoder.keys(passages, "passage")
        keys[start:start + len(passages)] = chunk_keys
        if out is None:  # the first chunk tells the width
            rows = encoder.encode_passages(passages, keys=chunk_keys)
            out = np.empty((len(offers), rows.shape[1]), dtype=np.float32)
            out[:len(rows)] = rows
        else:
            encoder.encode_passages(passages, out=out[start:start + len(passages)], keys=chunk_keys)
    return out, keys


def fit_model(offers: list[Offer], *, encoder: Encoder | None | object = _NO_ENCODER,
              role_classifier: RoleClassifier | None = None, weights: Weights = DEFAULT_WEIGHTS,
              encodings: dict | None = None) -> MatchModel:
    """Fit every part of the model on a catalog; the encoder defaults to the bundled multilingual E5.

    encodings: embeddings by content key (matcher.text.content_key) from an earlier fit, e.g. read_encodings of
    the model being replaced; only texts not in it are encoded, and it is only read. The model returned carries
    exactly this fit's in `model.encodings` (what `save` keeps for the next retrain); its card says how many offers
    were encoded and how many reused.
    """
    if not offers:
        raise ValueError("cannot fit a model on an empty catalog")
    served = default_encoder() if encoder is _NO_ENCODER else encoder
    encoder = ReusingEncoder(served, encodings) if served is not None else None
    synonyms = [s for entry in taxonomy()["fields"].values() for s in entry["synonyms"]]
    vectorizer = TextVectorizer()
    try:
        word_matrix, char_matrix = vectorizer.fit_transform(OfferTexts(offers), extra_lexicon=synonyms)
    except ValueError as exc:  # scikit-learn: "empty vocabulary"
        raise MatcherInputError([Problem((), f"the offers' titles and descriptions hold no words to learn from "
                                         f"({exc})", "empty_vocabulary")]) from None
    embeddings, passage_keys = encode_offers(encoder, offers) if encoder is not None else (None, None)
    encoding = {"encoded": encoder.encoded, "reused": encoder.reused} if encoder is not None else None  # offers

    # Field classifier: offers plus each field's synonyms as short labeled examples, the offers as the encoder read
    # them for the semantic signal, so that each offer is encoded once. Their passages name their fields, which needs
    # never do; a second encoding without the labels read fields from needs no better (field F1 on the three
    # labeled collections 0.66/0.76/0.78 with it, 0.72/0.77/0.74 without it at FieldClassifier's lower threshold;
    # held-out NDCG@10 0.001 lower with it on each) at twice the cost of a train. In a large catalog it learns from
    # a fixed choice of FIELD_EXAMPLES offers: as well as from all.
    syn_texts, syn_labels = zip(*[(s, (code,)) for code, e in taxonomy()["fields"].items() for s in e["synonyms"]])
    syn_words, _ = vectorizer.transform(list(syn_texts))
    chosen = field_examples(len(offers))
    examples = None if encoder is None else np.vstack([embeddings[chosen], encoder.encode_queries(list(syn_texts))])
    fields = FieldClassifier().fit(sparse.vstack([word_matrix[chosen], syn_words]).tocsr(), examples,
                                   [offers[i].fields for i in chosen] + list(syn_labels))

    card = {"created": datetime.now(timezone.utc).isoformat(timespec="seconds"),
            "encoder": getattr(served, "name", None), **counts(offers)}
    encodings = None
    if encoder is not None:
        card["encoding"] = encoding
        encodings = encoder.kept(embeddings, passage_keys)
        encoder = None  # what it used, held as a dict of keys and row views, goes before the graphs are built
    regions = np.array([o.region for o in offers], dtype="U4")
    return MatchModel(offers=tuple(offers), vectorizer=vectorizer, word_matrix=word_matrix, char_matrix=char_matrix,
                      embeddings=embeddings, encoder=served, roles=role_classifier or train_role_classifier(),
                      fields=fields, weights=weights, card=card, region_index=build_region_index(regions, embeddings),
                      encodings=encodings)
