"""A verdict as it is stored: the offer checked against what the person could be shown, and the numbers the
ranker saw for the list it was given on, recomputed from the profile (the profile itself is never kept)."""
from __future__ import annotations

import hashlib
import hmac
import secrets
from collections.abc import Sequence
from datetime import date

from ..core import MatcherInputError, Problem, Profile, check_top_k
from ..model import SIGNALS, MatchModel
from ..ranking import rank, signals_for, weights_for
from ..teams import DEFAULT_AGGREGATION, recommend_group, team_signals
from ._store import VERDICTS

LIST_KEY = secrets.token_bytes(32)  # in memory only: a list's digest cannot be traced to a person or a day later


def model_version(model: MatchModel) -> str:
    return str(model.card.get("created", "unknown"))[:64]


def list_key(*parts) -> str:
    """A keyed digest of what produced one result list: the verdicts given on it share it."""
    return hmac.new(LIST_KEY, repr(parts).encode("utf-8"), hashlib.sha256).hexdigest()[:32]


def check_offer(model: MatchModel, offer_id: str, regions: Sequence[str | None], today: date) -> int:
    """The offer's position, or MatcherInputError (at body.offer_id) saying why it could not have been shown."""
    def problem(message):
        return MatcherInputError([Problem(("body", "offer_id"), message, "not_reachable")])
    if not isinstance(offer_id, str) or offer_id not in model.index:
        raise MatcherInputError([Problem(("body", "offer_id"), f"no offer with id {offer_id!r} in the served "
                                         "catalog", "unknown_offer")])
    i = model.index[offer_id]
    offer = model.offers[i]
    if offer.valid_until is not None and offer.valid_until < today:
        raise problem(f"offer {offer_id!r} expired on {offer.valid_until.isoformat()}: it is not shown any more")
    for region in regions:
        if not model.eligible(region, today.toordinal())[i]:
            raise problem(f"offer {offer_id!r} is for {offer.region}, not open to a person in {region}")
    return i


def check_verdict(verdict: str) -> bool:
    if verdict not in VERDICTS:
        raise MatcherInputError([Problem(("body", "verdict"), f"verdict must be one of {', '.join(VERDICTS)}, "
                                         f"got {verdict!r}", "unknown_code")])
    return verdict == "passt"


def _signals(standardised, shown: Sequence[int], judged: int, model: MatchModel) -> dict:
    rows = [*shown, judged] if judged not in shown else list(shown)
    return {"names": list(SIGNALS), "offers": [model.offers[i].id for i in rows],
            "values": [[round(float(standardised[n][i]), 5) for n in SIGNALS] for i in rows]}


def person_verdict(model: MatchModel, profile: Profile, offer_id: str, verdict: str, *, top_k: int = 10,
                   today: date | None = None) -> dict:
    """The row to store for one person's verdict on one offer of their list of top_k."""
    today, top_k = today or date.today(), check_top_k(top_k)
    check_verdict(verdict)
    judged = check_offer(model, offer_id, [profile.region], today)
    person = signals_for(model, [profile], today.toordinal())[0]  # the list as it was served
    ranking = rank(model, person, top_k, today.toordinal(), weights_for(model))
    it = person.interpretation
    return {"day": today, "kind": "person", "offer_id": offer_id, "verdict": verdict, "roles": "|".join(it.roles),
            "fields": "|".join(it.fields), "model_version": model_version(model),
            "list_key": list_key("person", profile, top_k, today, model_version(model)),
            "signals": _signals(ranking.standardised, [int(i) for i in ranking.chosen], judged, model)}


def team_verdict(model: MatchModel, members: Sequence[Profile], offer_id: str, verdict: str, *, top_k: int = 10,
                 aggregation: str | None = None, today: date | None = None) -> dict:
    """The row to store for a team's verdict: the signals of the team's shared need, for its list of top_k."""
    today, top_k = today or date.today(), check_top_k(top_k)
    check_verdict(verdict)
    judged = check_offer(model, offer_id, [m.region for m in members], today)
    aggregation = aggregation or DEFAULT_AGGREGATION
    result = recommend_group(model, members, top_k, aggregation, today=today)
    team = team_signals(model, members, aggregation, today.toordinal(), weights_for(model))
    shown = [model.index[r.offer_id] for r in result.recommendations]
    interpretations = [it for _, it in result.members]
    roles = sorted({r for it in interpretations for r in it.roles})
    fields = sorted({f for it in interpretations for f in it.fields})
    return {"day": today, "kind": "team", "offer_id": offer_id, "verdict": verdict, "roles": "|".join(roles),
            "fields": "|".join(fields), "model_version": model_version(model),
            "list_key": list_key("team", tuple(members), top_k, aggregation, today, model_version(model)),
            "signals": _signals(team.by_offer(-1), shown, judged, model)}

