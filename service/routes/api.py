"""The JSON API: liveness, readiness, recommendations and offers."""
from __future__ import annotations

from fastapi import APIRouter, HTTPException, Path, Request
from fastapi.responses import JSONResponse

from ..deps import ModelDep, RecommenderDep
from matcher.groups import recommend_group

from ..schemas import GroupIn, GroupOut, OfferOut, RecommendationsIn, RecommendationsOut

router = APIRouter()


@router.get("/health", tags=["ops"])
def health() -> dict:
    """Liveness: the process answers."""
    return {"status": "ok"}


@router.get("/ready", tags=["ops"], responses={503: {"description": "the model is not loaded (yet)"}})
def ready(request: Request):
    """Readiness: 200 once the model is loaded, 503 before (or when loading failed)."""
    recommender = getattr(request.app.state, "recommender", None)
    if recommender is None:
        error = getattr(request.app.state, "load_error", None)
        return JSONResponse(status_code=503, content={"status": "loading" if error is None else "failed",
                                                      "error": error})
    return {"status": "ready", "offers": len(recommender.model.offers), "semantic": recommender.model.semantic}


@router.post("/recommendations", response_model=RecommendationsOut, tags=["recommendations"],
             responses={413: {"description": "body over the size limit"}, 422: {"description": "invalid input"}})
def recommend(body: RecommendationsIn, recommender: RecommenderDep) -> RecommendationsOut:
    """Offers for one person: how the engine read them, and the top_k offers with German reasons."""
    return RecommendationsOut.from_domain(recommender.recommend(body.profile.to_domain(), body.top_k))


@router.post("/recommendations/group", response_model=GroupOut, tags=["recommendations"],
             responses={413: {"description": "body over the size limit"}, 422: {"description": "invalid input"}})
def recommend_for_group(body: GroupIn, model: ModelDep) -> GroupOut:
    """Offers a team of one municipality can take up together, with team reasons and per-member fit."""
    result = recommend_group(model, body.to_domain(), body.top_k, body.aggregation, group_id=body.id)
    return GroupOut.from_domain(result, body.aggregation)


@router.get("/offers/{offer_id}", response_model=OfferOut, tags=["offers"],
            responses={404: {"description": "no offer with this id"}})
def offer(model: ModelDep, offer_id: str = Path(max_length=200)) -> OfferOut:
    """One offer of the catalog."""
    found = model.offer(offer_id)
    if found is None:
        raise HTTPException(status_code=404, detail=[{"type": "not_found", "loc": ["path", "offer_id"],
                                                      "msg": f"no offer with id {offer_id!r}"}])
    return OfferOut.from_domain(found)
