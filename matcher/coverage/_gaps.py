"""Coverage gaps: supply of offers per field and role against demand from people, and where they diverge.

Supply counts the offers (not expired) that name a role; an offer open to all roles counts separately and
adds OPEN_WEIGHT of an offer to every role. Demand counts the people (profiles or logged requests) per role
and field, roles read as the engine reads them. A role is underserved in a field when its demand share
clearly exceeds its supply share (RULE, written into every report).
"""
from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass, replace
from datetime import date, datetime, timezone
from math import sqrt

import numpy as np

from ..core import FIELDS, OFFER_TYPES, ROLES, STATES, Offer, german_count, label, reachable, taxonomy
from ..ranking import interpret_many, recommend_many

OPEN_WEIGHT = 1 / len(ROLES)  # an offer open to all is shared by all roles
MIN_DEMAND = 5  # below this many people, a share is too uncertain to call a role underserved
MIN_GAP = 0.10  # demand share at least 10 percentage points above supply share
Z = 1.96  # 95 % Wilson interval
RULE = (f"Eine Rolle gilt in einem Handlungsfeld als unterversorgt, wenn ihr Anteil an der Nachfrage deutlich über "
        f"ihrem Anteil am Angebot liegt: mindestens {MIN_DEMAND} Personen dieser Rolle fragen nach, der "
        f"Nachfrageanteil liegt mindestens {round(MIN_GAP * 100)} Prozentpunkte über dem Angebotsanteil, und auch "
        "die untere Grenze seines 95-%-Konfidenzintervalls (Wilson) liegt über dem Angebotsanteil. "
        "Angebotsanteil: Angebote, die sich ausdrücklich an die Rolle richten, plus ein Siebtel jedes für alle "
        "Rollen offenen Angebots, geteilt durch die Summe über alle Rollen; abgelaufene Angebote zählen nicht.")
INDICATIVE_RULE = (f"Ein Hinweis (noch nicht gesichert): der Nachfrageanteil liegt mindestens {round(MIN_GAP * 100)} "
                   "Prozentpunkte über dem Angebotsanteil, die Stichprobe reicht aber noch nicht aus. Angegeben ist, "
                   "wie viele weitere Anfragen dieser Rolle die Lücke bei gleichbleibenden Anteilen sichern würden.")
MAX_TO_SETTLE = 100_000  # beyond this many further requests a gap is not worth waiting for


@dataclass(frozen=True)
class DemandRecord:
    """One person's demand as derived codes only: no free text, no job title."""

    role: str | None
    fields: tuple[str, ...]
    region: str | None
    day: date | None = None


@dataclass(frozen=True)
class Cell:
    role: str
    supply_explicit: int
    supply_open: int
    supply: float
    supply_share: float
    demand: int
    demand_share: float
    demand_interval: tuple[float, float]
    gap: float
    underserved: bool
    status: str | None = None  # "underserved", "indicative" (a hint the sample cannot settle yet) or None
    to_settle: int | None = None  # for an indicative cell: further requests of the role that would settle it
    reference_share: float | None = None  # the role's share of a reference mix (with_reference), if one is given
    reference_gap: float | None = None  # reference share minus supply share


@dataclass(frozen=True)
class FieldCoverage:
    field: str
    offers: int
    open_offers: int
    demand_total: int
    roles: tuple[Cell, ...]

    @property
    def underserved(self) -> tuple[str, ...]:
        return tuple(c.role for c in sorted(self.roles, key=lambda c: -c.gap) if c.underserved)

    @property
    def below_reference(self) -> tuple[str, ...]:
        """Roles whose supply share is at least MIN_GAP below their share of the reference mix."""
        return tuple(c.role for c in sorted(self.roles, key=lambda c: -(c.reference_gap or 0))
                     if c.reference_gap is not None and c.reference_gap >= MIN_GAP)

    @property
    def indicative(self) -> tuple[str, ...]:
        return tuple(c.role for c in sorted(self.roles, key=lambda c: -c.gap) if c.status == "indicative")

    def cell(self, role: str) -> Cell:
        return next(c for c in self.roles if c.role == role)


# LOW LEVEL

def wilson(k: int, n: int, z: float = Z) -> tuple[float, float]:
    """Wilson score interval of the proportion k/n (Wilson 1927); (0, 1) when n is 0."""
    if n == 0:
        return 0.0, 1.0
    p = k / n
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z * sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / (1 + z * z / n)
    return max(0.0, centre - half), min(1.0, centre + half)


def gini(values: Sequence[float]) -> float:
    """Gini coefficient of non-negative values: 0 when all are equal, towards 1 when one holds everything."""
    x = np.sort(np.asarray(values, dtype=float))
    n = len(x)
    if n == 0 or x.sum() == 0:
        return 0.0
    return float((2 * np.arange(1, n + 1) - n - 1) @ x / (n * x.sum()))


def clearly_above(demand_share: float, supply_share: float) -> bool:
    """The demand share at least MIN_GAP above the supply share (exactly 10 points counts, despite float sums)."""
    return demand_share - supply_share >= MIN_GAP - 1e-9


def is_underserved(demand: int, demand_total: int, supply_share: float) -> bool:
    share = demand / demand_total if demand_total else 0.0
    low, _ = wilson(demand, demand_total)  # demand_total may be fractional: requests_to_settle extrapolates
    return demand >= MIN_DEMAND and clearly_above(share, supply_share) and low > supply_share


def gap_status(demand: int, demand_total: int, supply_share: float) -> str | None:
    """"underserved" (is_underserved), "indicative" (the demand share is MIN_GAP above the supply share, but the
    sample cannot settle it yet) or None."""
    if is_underserved(demand, demand_total, supply_share):
        return "underserved"
    if demand and clearly_above(demand / demand_total, supply_share):
        return "indicative"
    return None


def requests_to_settle(demand: int, demand_total: int, supply_share: float) -> int | None:
    """How many further requests of the role would make an indicative cell underserved, if requests go on
    coming at the current shares (the role's share of them stays demand / demand_total); None when no number
    up to MAX_TO_SETTLE would."""
    share = demand / demand_total

    def settles(more: int) -> bool:
        return is_underserved(demand + more, (demand + more) / share, supply_share)

    if not settles(MAX_TO_SETTLE):
        return None
    # at a fixed share the Wilson lower bound only rises with the sample: the smallest `more` by bisection
    unsettled, settled = -1, MAX_TO_SETTLE
    while settled - unsettled > 1:
        middle = (unsettled + settled) // 2
        unsettled, settled = (unsettled, middle) if settles(middle) else (middle, settled)
    return settled


# HIGH LEVEL

def field_coverage(offers: Sequence[Offer], demand: Sequence[DemandRecord], field: str, *, today: date,
                   region: str | None = None) -> FieldCoverage:
    """Supply against demand per role in one field (offers and demand of `region` only, when given)."""
    in_field = [o for o in offers if field in o.fields
                and reachable(o.region, o.expiry_ordinal, region, today.toordinal())]
    open_offers = sum(o.is_open_to_all() for o in in_field)
    explicit = Counter(r for o in in_field for r in o.target_roles)
    supply = {r: explicit[r] + OPEN_WEIGHT * open_offers for r in ROLES}
    supply_total = sum(supply.values())
    wanted = [d for d in demand if field in d.fields and d.role and (region is None or d.region == region)]
    asked = Counter(d.role for d in wanted)
    n = len(wanted)
    cells = []
    for r in ROLES:
        supply_share = supply[r] / supply_total if supply_total else 0.0
        demand_share = asked[r] / n if n else 0.0
        status = gap_status(asked[r], n, supply_share)
        cells.append(Cell(r, explicit[r], open_offers, round(supply[r], 3), round(supply_share, 4), asked[r],
                          round(demand_share, 4), tuple(round(v, 4) for v in wilson(asked[r], n)),
                          round(demand_share - supply_share, 4), status == "underserved", status,
                          requests_to_settle(asked[r], n, supply_share) if status == "indicative" else None))
    return FieldCoverage(field, len(in_field), open_offers, n, tuple(cells))


@dataclass(frozen=True)
class CoverageReport:
    generated: str
    rule: str
    region: str | None
    demand_sources: tuple[str, ...]
    demand_total: int
    demand_unknown_role: int
    fields: tuple[FieldCoverage, ...]
    supply_by_state: dict
    supply_by_offer_type: dict
    exposure: dict | None
    summary: tuple[str, ...]
    reference: dict | None = None  # {"source", "shares": {role: share}} of a reference mix (with_reference)

    def to_dict(self) -> dict:
        out = {"generated": self.generated, "rule": self.rule, "indicative_rule": INDICATIVE_RULE,
               "region": self.region,
               "demand_sources": list(self.demand_sources), "demand_total": self.demand_total,
               "demand_unknown_role": self.demand_unknown_role, "summary": list(self.summary), "fields": []}
        for fc in self.fields:
            out["fields"].append({"field": fc.field, "offers": fc.offers, "open_offers": fc.open_offers,
                                  "demand_total": fc.demand_total,
                                  "roles": [{**asdict(c), "demand_interval": list(c.demand_interval)}
                                            for c in fc.roles],
                                  "underserved": list(fc.underserved), "indicative": list(fc.indicative),
                                  **({"below_reference": list(fc.below_reference)} if self.reference else {})})
        out.update(supply_by_state=self.supply_by_state, supply_by_offer_type=self.supply_by_offer_type,
                   exposure=self.exposure, reference=self.reference)
        return out


def supply_table(offers: Iterable[Offer], today: date) -> dict:
    """{field: {role: offers naming it, "alle": offers open to all}} of the offers given (not expired)."""
    table = {f: {**{r: 0 for r in ROLES}, "alle": 0} for f in FIELDS}
    for o in offers:
        if o.is_expired(today):
            continue
        for f in o.fields:
            for r in o.target_roles or ("alle",):
                table[f][r] += 1
    return table


def coverage_report(offers: Sequence[Offer], demand: Sequence[DemandRecord], *, today: date | None = None,
                    fields: Sequence[str] | None = None, region: str | None = None,
                    demand_sources: Sequence[str] = (), exposure: dict | None = None) -> CoverageReport:
    today = today or date.today()
    per_field = tuple(field_coverage(offers, demand, f, today=today, region=region) for f in (fields or FIELDS))
    report = CoverageReport(
        generated=datetime.now(timezone.utc).isoformat(timespec="seconds"), rule=RULE, region=region,
        demand_sources=tuple(demand_sources), demand_total=len(demand),
        demand_unknown_role=sum(d.role is None for d in demand), fields=per_field,
        supply_by_state={s: supply_table([o for o in offers if o.region in ("bund", s)], today) for s in STATES},
        supply_by_offer_type={t: supply_table([o for o in offers if o.offer_type == t], today)
                              for t in OFFER_TYPES},
        exposure=exposure, summary=())
    return replace(report, summary=tuple(summary_sentences(report)))


def with_reference(report: CoverageReport, mix: dict[str, float], source: str) -> CoverageReport:
    """The report with each cell's supply share set against the role's share of a reference mix (e.g. staff
    counts): a supply-only view for catalogs without demand data. A given mix has no sampling error, so a role
    is below reference when its supply share is MIN_GAP or more under its reference share."""
    total = sum(mix.values())
    shares = {r: mix.get(r, 0.0) / total for r in ROLES}
    fields = tuple(replace(fc, roles=tuple(replace(c, reference_share=round(shares[c.role], 4),
                                                   reference_gap=round(shares[c.role] - c.supply_share, 4))
                                           for c in fc.roles)) for fc in report.fields)
    report = replace(report, fields=fields, reference={"source": source, "shares": {r: round(v, 4)
                                                                                     for r, v in shares.items()}})
    return replace(report, summary=tuple(summary_sentences(report)))


def _pct(x: float) -> str:
    return f"{round(x * 100)} %"


_FURTHER = ("weitere Anfrage dieser Rolle würde", "weitere Anfragen dieser Rolle würden")


def _and(items: list[str]) -> str:
    """German enumeration: "a", "a und b", "a, b und c"."""
    return items[0] if len(items) == 1 else f"{', '.join(items[:-1])} und {items[-1]}"


def summary_sentences(report: CoverageReport) -> list[str]:
    """German sentences for the fields that have offers and demand: fields with underserved roles first."""
    sentences = []
    roles = taxonomy()["roles"]
    ranked = sorted(report.fields, key=lambda fc: (not fc.underserved, -max((c.gap for c in fc.roles), default=0)))
    for fc in ranked:
        if not fc.offers or not fc.demand_total:
            continue
        # one measure, the table's: a role's share of the supply (offers open to all roles count in part, RULE)
        top = max(fc.roles, key=lambda c: (c.supply_share, -ROLES.index(c.role)))
        where = f"Im Handlungsfeld {label('fields', fc.field)} entfallen {_pct(top.supply_share)} des Angebots auf " \
                f"{roles[top.role]['plural']}"
        if fc.underserved:  # every role the table marks, largest gap first
            named = [f"{roles[c.role]['plural']} ({_pct(c.supply_share)} des Angebots, {_pct(c.demand_share)} der "
                     f"Anfragen)" for c in map(fc.cell, fc.underserved)]
            sentences.append(f"{where}; unterversorgt sind {_and(named)}.")  # the roles are named in plural
            continue
        gap = max(fc.roles, key=lambda c: (c.gap, -ROLES.index(c.role)))
        if gap.role == top.role:
            continue
        text = (f"{where} und {_pct(gap.supply_share)} auf {roles[gap.role]['plural']}; {_pct(gap.demand_share)} "
                f"der Anfragen kommen von {roles[gap.role]['dative']}")
        if gap.status == "indicative":
            text += " – ein Hinweis auf eine Lücke, den die Stichprobe noch nicht sichert" + (
                f" ({german_count(gap.to_settle, *_FURTHER)} ihn sichern)." if gap.to_settle is not None else ".")
        else:
            text += "."
        sentences.append(text)
    if report.reference:
        for fc in report.fields:
            if fc.offers and fc.below_reference:
                c = fc.cell(fc.below_reference[0])
                sentences.append(f"Im Handlungsfeld {label('fields', fc.field)} richten sich {_pct(c.supply_share)} "
                                 f"des Angebots an {roles[c.role]['plural']}; in der Referenz stellen sie "
                                 f"{_pct(c.reference_share)} – {round(c.reference_gap * 100)} Prozentpunkte weniger "
                                 "Angebot, als ihr Anteil erwarten lässt.")
    if report.exposure:
        e = report.exposure
        sentences.append(f"{_pct(e['catalog_coverage'])} der gültigen Angebote erscheinen mindestens einmal unter den "
                         f"ersten {e['top_k']} Vorschlägen; der Gini-Koeffizient der Sichtbarkeit beträgt "
                         f"{e['gini']:.2f}.")
    return sentences


def exposure(model, profiles, *, top_k: int = 10, today: date | None = None) -> dict:
    """How often offers of each role and provider appear in the profiles' top k, catalog coverage, Gini."""
    today = today or date.today()
    shown = Counter()
    for start in range(0, len(profiles), 256):
        for result in recommend_many(model, profiles[start:start + 256], top_k, today=today):
            shown.update(r.offer_id for r in result.recommendations)
    slots = sum(shown.values()) or 1
    valid = [o for o in model.offers if not o.is_expired(today)]
    per_role = Counter()
    per_provider = Counter()
    for o in valid:
        per_provider[o.provider] += shown[o.id]
        for r in o.target_roles or ("alle",):
            per_role[r] += shown[o.id]
    return {
        "top_k": top_k, "profiles": len(profiles),
        "per_role": {r: round(per_role[r] / slots, 4) for r in (*ROLES, "alle")},
        "per_provider": {p: round(n / slots, 4) for p, n in per_provider.most_common()},
        "catalog_coverage": round(sum(shown[o.id] > 0 for o in valid) / max(len(valid), 1), 4),
        "gini": round(gini([shown[o.id] for o in valid]), 4),
    }


def demand_records(model, profiles, chunk: int = 256) -> list[DemandRecord]:
    """Each profile's demand as the engine reads it: role (given or inferred), fields, region."""
    out = []
    for start in range(0, len(profiles), chunk):
        part = profiles[start:start + chunk]
        out += [DemandRecord(it.role, it.fields, p.region) for p, it in zip(part, interpret_many(model, part))]
    return out
