"""The JSON API: liveness, readiness, recommendations and offers."""
from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, HTTPException, Path, Query, Request
from fastapi.responses import JSONResponse

from ..deps import DemandDep, ModelDep, RecommenderDep
from matcher.coverage import coverage_report
from matcher.groups import recommend_group
from matcher.portfolio import portfolio
from matcher.taxonomy import FIELDS, STATES

from ..schemas import GroupIn, GroupOut, OfferOut, RecommendationsIn, RecommendationsOut

router = APIRouter()
BODY_ERRORS = {400: {"description": "body that cannot be read at all (not UTF-8)"},
               413: {"description": "body over the size limit"}, 422: {"description": "invalid input"}}


# The two probes are async: they run on the event loop, never behind engine requests in the thread pool.
@router.get("/health", tags=["ops"])
async def health() -> dict:
    """Liveness: the process answers."""
    return {"status": "ok"}


@router.get("/ready", tags=["ops"], responses={503: {"description": "the model is not loaded (yet)"}})
async def ready(request: Request):
    """Readiness: 200 once the model is loaded, 503 before (or when loading failed)."""
    recommender = getattr(request.app.state, "recommender", None)
    if recommender is None:
        error = getattr(request.app.state, "load_error", None)
        return JSONResponse(status_code=503, content={"status": "loading" if error is None else "failed",
                                                      "error": error})
    return {"status": "ready", "offers": len(recommender.model.offers), "semantic": recommender.model.semantic}


@router.post("/recommendations", response_model=RecommendationsOut, tags=["recommendations"],
             responses=BODY_ERRORS)
def recommend(body: RecommendationsIn, recommender: RecommenderDep, demand: DemandDep) -> RecommendationsOut:
    """Offers for one person: how the engine read them, and the top_k offers with German reasons."""
    profile = body.profile.to_domain()
    result = recommender.recommend(profile, body.top_k)
    demand(result.interpreted, profile)
    return RecommendationsOut.from_domain(result)


@router.post("/recommendations/group", response_model=GroupOut, tags=["recommendations"],
             responses=BODY_ERRORS)
def recommend_for_group(body: GroupIn, model: ModelDep, demand: DemandDep) -> GroupOut:
    """Offers a team of one municipality can take up together, with team reasons and per-member fit."""
    members = body.to_domain()
    result = recommend_group(model, members, body.top_k, body.aggregation, group_id=body.id)
    for (_, interpreted), member in zip(result.members, members):
        demand(interpreted, member, kind="team")
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


@router.get("/coverage", tags=["coverage"])
def coverage(model: ModelDep, demand: DemandDep,
             field: Annotated[Literal[FIELDS] | None, Query(description="one field code")] = None,
             region: Annotated[Literal[STATES] | None, Query(description="one state code")] = None) -> dict:
    """Supply against demand per field and role, and the roles each field leaves underserved (rule included)."""
    records, sources = demand.records()
    report = coverage_report(model.offers, records, fields=[field] if field else None, region=region,
                             demand_sources=sources)
    return report.to_dict()


@router.get("/providers/{name}/portfolio", tags=["coverage"], responses={404: {"description": "unknown provider"}})
def provider_portfolio(model: ModelDep, demand: DemandDep, name: str = Path(max_length=500)) -> dict:
    """Where one provider's offers sit in the field x role matrix, and which underserved cells it could fill."""
    records, sources = demand.records()
    report = coverage_report(model.offers, records, demand_sources=sources)
    return {**portfolio(list(model.offers), name, report).to_dict(), "rule": report.rule}
