"""Wire dicts: results as the plain records that batch files, `recommend --json` and the HTTP answers share
(the README's contract)."""
from __future__ import annotations

from ..core import Offer
from ..ranking import Result, render
from ..teams import GroupResult

OFFER_SUMMARY = ("title", "provider", "offer_type", "format", "region", "cost", "url", "valid_until")


def offer_summary(offer: Offer) -> dict:
    """What a list shows of an offer beside its id (dates as ISO text)."""
    full = offer.to_dict()
    return {k: full[k] for k in OFFER_SUMMARY}


def result_to_dict(result: Result) -> dict:
    """The batch output record of one profile, as the README documents it."""
    return {
        "profile_id": result.profile_id,
        "interpreted": {k: v for k, v in result.interpreted.to_dict().items() if k in ("role", "role_confidence",
                                                                                     "fields", "roles")},
        "recommendations": [{"offer_id": r.offer_id, "rank": r.rank, "score": r.score,
                             "reasons": [render(x) for x in r.reasons]} for r in result.recommendations],
    }


def group_result_to_dict(result: GroupResult) -> dict:
    """The batch output record of one team: per offer the team reasons and the members it serves."""
    return {
        "group_id": result.group_id,
        "members": [{"member_id": mid, "role": it.role, "role_confidence": it.role_confidence,
                     "fields": list(it.fields)} for mid, it in result.members],
        "recommendations": [{
            "offer_id": r.offer_id, "rank": r.rank, "score": r.score, "reasons": [render(x) for x in r.reasons],
            "members": list(r.served),
            "member_reasons": {m.member_id: [render(x) for x in m.reasons] for m in r.members if m.may_attend},
        } for r in result.recommendations],
    }
