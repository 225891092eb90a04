"""One provider's position: where its offers sit in the field x role matrix, and which gaps it could fill."""
from __future__ import annotations

import difflib
from dataclasses import dataclass
from datetime import date

from ..core import ArgumentError, Offer, Problem
from ._gaps import CoverageReport, supply_table


@dataclass(frozen=True)
class Portfolio:
    provider: str
    offers: int
    expired: int
    table: dict  # {field: {role: n, "alle": n}} of the provider's valid offers
    catalog_table: dict  # the same for the whole catalog
    gaps: tuple[dict, ...]  # underserved cells, each with what the provider already has there

    def to_dict(self) -> dict:
        return {"provider": self.provider, "offers": self.offers, "expired": self.expired, "table": self.table,
                "catalog_table": self.catalog_table, "gaps": list(self.gaps)}


def find_provider(offers: list[Offer], name: str) -> str:
    """The provider's exact name (matched case-insensitively); ArgumentError with close names if unknown."""
    names = sorted({o.provider for o in offers})
    for candidate in names:
        if candidate.casefold() == name.strip().casefold():
            return candidate
    close = difflib.get_close_matches(name, names, n=3, cutoff=0.5)
    hint = f"; did you mean {', '.join(repr(c) for c in close)}?" if close else ""
    raise ArgumentError([Problem(("provider",), f"no provider named {name!r} in the catalog{hint}", "not_found")])


def portfolio(offers: list[Offer], provider: str, report: CoverageReport, today: date | None = None) -> Portfolio:
    today = today or date.today()
    name = find_provider(offers, provider)
    own = [o for o in offers if o.provider == name]
    table = supply_table(own, today)
    gaps = []
    for fc in report.fields:
        for role in fc.underserved:
            cell = fc.cell(role)
            gaps.append({"field": fc.field, "role": role, "gap": cell.gap, "supply_share": cell.supply_share,
                         "demand_share": cell.demand_share, "provider_offers_in_field": sum(
                             fc.field in o.fields for o in own if not o.is_expired(today)),
                         "provider_offers_for_role": table[fc.field][role],
                         "could_fill": table[fc.field][role] == 0})
    gaps.sort(key=lambda g: (-g["provider_offers_in_field"], -g["gap"]))
    return Portfolio(name, len(own), sum(o.is_expired(today) for o in own), table, supply_table(offers, today),
                     tuple(gaps))
