"""Coverage: supply against demand per field and role, for every field or one."""
from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Query

from matcher import FIELDS, STATES
from matcher.coverage import coverage_report

from ..deps import DemandDep, ModelDep

router = APIRouter(tags=["coverage"])


@router.get("/coverage")
def coverage(model: ModelDep, demand: DemandDep,
             field: Annotated[Literal[FIELDS] | None, Query(description="one field code")] = None,
             region: Annotated[Literal[STATES] | None, Query(description="one state code")] = None) -> dict:
    """Supply against demand per field and role, and the roles each field leaves underserved (rule included)."""
    records, sources = demand
    report = coverage_report(model.offers, records, fields=[field] if field else None, region=region,
                             demand_sources=sources)
    return report.to_dict()
