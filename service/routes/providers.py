"""Providers: where one provider's offers sit, and which underserved cells it could fill."""
from __future__ import annotations

from fastapi import APIRouter, Path

from matcher.coverage import coverage_report, portfolio

from ..deps import DemandDep, ModelDep, ResponsesDep

router = APIRouter(prefix="/providers", tags=["coverage"])


@router.get("/{name}/portfolio", responses={404: {"description": "unknown provider"}})
def provider_portfolio(model: ModelDep, demand: DemandDep, responses: ResponsesDep,
                       name: str = Path(max_length=500)) -> dict:
    """Where one provider's offers sit in the field x role matrix, which underserved cells it could fill, and per
    offer how often it was shown, found fitting ("passt") and rejected (the share from 5 verdicts on)."""
    records, sources = demand
    report = coverage_report(model.offers, records, demand_sources=sources)
    return {**portfolio(list(model.offers), name, report, responses=responses).to_dict(), "rule": report.rule}
