"""Verdicts on offers over the API: "passt" / "passt_nicht" for an offer of a person's or a team's list."""
from __future__ import annotations

from fastapi import APIRouter

from matcher.feedback import person_verdict, team_verdict

from ..deps import FeedbackDep, ModelDep
from ..schemas import FeedbackIn, FeedbackOut, profile_from_wire
from .recommendations import BODY_ERRORS

router = APIRouter(tags=["feedback"])
UNAVAILABLE = {503: {"description": "feedback is not kept here, or its database does not answer"}}


def store_verdict(model, store, *, profile=None, members=None, offer_id: str, verdict: str, top_k: int,
                  aggregation: str | None = None) -> int:
    """Check the verdict against what the list could have shown, and store its row; returns the row's id."""
    if members is not None:
        row = team_verdict(model, members, offer_id, verdict, top_k=top_k, aggregation=aggregation)
    else:
        row = person_verdict(model, profile, offer_id, verdict, top_k=top_k)
    return store.add(row)


@router.post("/feedback", status_code=201, response_model=FeedbackOut, responses={**BODY_ERRORS, **UNAVAILABLE})
def feedback(body: FeedbackIn, model: ModelDep, store: FeedbackDep) -> FeedbackOut:
    """A verdict on one offer of the list a person (`profile`) or a team (`team`) got. 422 when the offer is not in
    the served catalog or could not have been shown (another state, expired). Stored: the offer id, the verdict,
    the day, the role codes and fields as read, the model version and the ranker's numbers for that list; never
    the needs, the job title or an address. `matcher refit` learns from them."""
    if body.team is not None:
        new_id = store_verdict(model, store, members=body.team.to_domain(), offer_id=body.offer_id,
                               verdict=body.verdict, top_k=body.team.top_k, aggregation=body.team.aggregation)
    else:
        new_id = store_verdict(model, store, profile=profile_from_wire(body.profile, ("body", "profile")),
                               offer_id=body.offer_id, verdict=body.verdict, top_k=body.top_k)
    return FeedbackOut(id=new_id)
