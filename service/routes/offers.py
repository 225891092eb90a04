"""The offers of the catalog."""
from __future__ import annotations

from fastapi import APIRouter, Path

from matcher import MatcherInputError, Problem

from ..deps import ModelDep
from ..schemas import OfferOut

router = APIRouter(prefix="/offers", tags=["offers"])


@router.get("/{offer_id}", response_model=OfferOut, responses={404: {"description": "no offer with this id"}})
def offer(model: ModelDep, offer_id: str = Path(max_length=200)) -> OfferOut:
    """One offer of the catalog."""
    found = model.offer(offer_id)
    if found is None:
        raise MatcherInputError([Problem(("path", "offer_id"), f"no offer with id {offer_id!r}", "not_found")])
    return OfferOut.from_domain(found)
