"""Reasons: why an offer was recommended, as data grounded in the offer, rendered in German by one function."""
from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from functools import lru_cache

from ..core import Offer, label, taxonomy
from ..model import MatchModel
from ._signals import PersonSignals

MIN_REASONS, MAX_REASONS = 2, 4
SEMANTIC_CLOSE_Z = 1.0  # a "semantic" reason needs the offer's similarity this many standard deviations up
LIKED_LOGIT = 0.5  # a "liked" reason needs people here to have found the offer fitting this much more often
MIN_TERM_IDF = 1.5  # need words found in most offers ("Angebot", "Kommune") tell nothing
MAX_TERMS = 3


@dataclass(frozen=True)
class Reason:
    """kind: role_match | role_open | need_terms | semantic | liked | field | format | cost | deadline | region |
    offer_type,
    and for teams: team_open | team_roles | team_topic | team_excluded."""

    kind: str
    value: tuple[str, ...] = ()

    def to_dict(self) -> dict:
        return {"kind": self.kind, "value": list(self.value), "text": render(self)}


def render(reason: Reason) -> str:
    """The German sentence for a reason, as shown on pages, in tables and reports."""
    v = reason.value
    if reason.kind == "role_match":
        return f"richtet sich ausdrücklich an {taxonomy()['roles'][v[0]]['audience']}"
    if reason.kind == "role_open":
        return "offen für alle Rollen"
    if reason.kind == "need_terms":
        return "greift Ihr Anliegen auf: " + ", ".join(f"„{w}“" for w in v)
    if reason.kind == "semantic":
        return "inhaltlich nah an Ihrem Anliegen"
    if reason.kind == "liked":
        return "von anderen Nutzerinnen und Nutzern " + ("Ihrer Rolle " if v else "") + "als passend bewertet"
    if reason.kind == "field":
        return ("Handlungsfeld " if len(v) == 1 else "Handlungsfelder ") + " und ".join(label("fields", f) for f in v)
    if reason.kind == "format":
        return f"im gewünschten Format: {label('formats', v[0])}"
    if reason.kind == "cost":
        return "kostenfrei"
    if reason.kind == "deadline":
        return f"Frist: bis {date.fromisoformat(v[0]).strftime('%d.%m.%Y')}"
    if reason.kind == "region":
        if v[0] == "bund":
            return "bundesweit zugänglich"
        return f"Angebot in Ihrem Land ({label('states', v[0])})" if v[1:] == ("own",) else \
            f"Angebot in {label('states', v[0])}"
    if reason.kind == "team_open":
        return "für alle Rollen im Team geöffnet"
    if reason.kind == "team_roles":
        return "richtet sich an alle Rollen im Team: " + ", ".join(taxonomy()["roles"][r]["label"] for r in v)
    if reason.kind == "team_topic":
        return "gemeinsames Thema: " + " und ".join(label("fields", f) for f in v)
    if reason.kind == "team_excluded":
        return "nicht geöffnet für: " + ", ".join(taxonomy()["roles"][r]["label"] for r in v)
    if reason.kind == "offer_type":
        return f"Angebotsart: {label('offer_types', v[0])}"
    raise ValueError(f"unknown reason kind {reason.kind!r}")


def build_reasons(offer: Offer, *, role: str | None, fields: tuple[str, ...], matched_terms: tuple[str, ...],
                  semantic_close: bool, format_preference: str | None, region: str | None,
                  liked: bool = False, leave_out: frozenset[str] = frozenset()) -> list[Reason]:
    """2 to 4 reasons that hold for this offer, the most telling first; kinds in leave_out are said elsewhere."""
    found: list[Reason] = []
    if role is not None and role in offer.target_roles:
        found.append(Reason("role_match", (role,)))
    elif role is not None and offer.is_open_to_all():
        found.append(Reason("role_open"))
    if matched_terms:
        found.append(Reason("need_terms", matched_terms))
    elif semantic_close:
        found.append(Reason("semantic"))
    if liked:  # what people of this role (or anyone, role unknown) said here: matcher refit
        found.append(Reason("liked", (role,) if role is not None else ()))
    shared = tuple(f for f in offer.fields if f in fields)
    if shared:
        found.append(Reason("field", shared[:2]))
    if format_preference is not None and offer.format == format_preference:
        found.append(Reason("format", (offer.format,)))
    if offer.cost == "kostenfrei":
        found.append(Reason("cost"))
    if offer.valid_until is not None:
        found.append(Reason("deadline", (offer.valid_until.isoformat(),)))
    own = region is not None and offer.region == region
    found.append(Reason("region", (offer.region, "own") if own else (offer.region,)))
    found.append(Reason("offer_type", (offer.offer_type,)))
    return [r for r in found if r.kind not in leave_out][:MAX_REASONS]


def explain(model: MatchModel, person: PersonSignals, standardised: Mapping, i: int,
            leave_out: frozenset[str] = frozenset()) -> tuple[Reason, ...]:
    """The reasons why offer i fits this person, most telling first; standardised: their signals, z-scored."""
    it, profile = person.interpretation, person.profile
    # of two roles, the one the offer names is the one to say
    role = next((r for r in it.roles if r in model.offers[i].target_roles), it.role)
    return tuple(build_reasons(
        model.offers[i], role=role, fields=it.fields,
        matched_terms=matched_terms(model, person.need_terms, i, profile.needs),
        semantic_close=bool(standardised["semantic"][i] >= SEMANTIC_CLOSE_Z),
        format_preference=profile.format_preference, region=profile.region,
        liked=bool(standardised["feedback"][i] >= LIKED_LOGIT), leave_out=leave_out))


def matched_terms(model: MatchModel, need_terms: Mapping[str, str], offer_index: int, needs: str) -> tuple[str, ...]:
    """Words of the person's need whose stems occur in the offer text, the most specific (highest idf) first.

    In German, nouns carry the topic and are capitalised; when the person writes in mixed case, only
    capitalised words are shown, so that "neuen" or "kriege" never pose as the topic.
    """
    row = model.word_matrix  # the offer's stems are the columns of its row (every stem of an offer is in vocab)
    offer_stems = set(row.indices[row.indptr[offer_index]:row.indptr[offer_index + 1]].tolist())
    hits = {}
    for column, shown, idf in _quotable(model.vectorizer.words_, tuple(need_terms.items()), needs):
        if column in offer_stems:
            hits.setdefault(shown, idf)
    ranked = sorted(hits, key=lambda w: (-hits[w], w))
    return tuple(ranked[:MAX_TERMS])


@lru_cache(maxsize=256)  # one person's reasons ask for the same needs once per offer shown
def _quotable(words_vectorizer, need_terms: tuple[tuple[str, str], ...], needs: str) -> tuple[tuple[int, str, float]]:
    """(column, the word as written, idf) of each need stem that may be quoted, in need_terms' order."""
    vocab, idf = words_vectorizer.vocabulary_, words_vectorizer.idf_
    nouns_only = needs != needs.lower()
    out = []
    for stem_, word in need_terms:
        column = vocab.get(stem_)
        if column is not None and idf[column] >= MIN_TERM_IDF:
            shown = original_form(needs, word)
            if shown[:1].isupper() or not nouns_only:
                out.append((column, shown, idf[column]))
    return tuple(out)


def original_form(text: str, word: str) -> str:
    """The word as the person wrote it ("Jugendliche", not "jugendliche"), found case-insensitively."""
    match = re.search(rf"\b{re.escape(word)}\b", text, flags=re.IGNORECASE)
    return match.group(0) if match else word
