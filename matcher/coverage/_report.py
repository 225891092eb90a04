"""One provider's portfolio (where its offers sit in the field x role matrix, which gaps it could
fill) and the reports of coverage and portfolios: JSON, CSV, Excel and HTML with pictures."""
from __future__ import annotations

import base64
import difflib
import io
import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

from jinja2 import Environment, PackageLoader, select_autoescape

from ..core import FIELDS, ROLES, ArgumentError, Offer, Problem, german_count, label, taxonomy
from ..io import atomic_output, read_reference_roles, safe_cell
from ..model import load
from ._demand import Demand, read_demand
from ._gaps import INDICATIVE_RULE, CoverageReport, coverage_report, exposure, supply_table, with_reference


# One provider's position: where its offers sit in the field x role matrix, and which gaps it could fill.

MIN_VERDICTS = 5  # verdicts on an offer before the share that found it fitting is shown


@dataclass(frozen=True)
class Responses:
    """How people met the offers: how often each was shown in a list, found fitting ("passt") and rejected."""

    shown: Mapping[str, int] = field(default_factory=dict)
    passt: Mapping[str, int] = field(default_factory=dict)
    passt_nicht: Mapping[str, int] = field(default_factory=dict)

    def of(self, offer: Offer) -> dict:
        yes, no = self.passt.get(offer.id, 0), self.passt_nicht.get(offer.id, 0)
        share = round(yes / (yes + no), 3) if yes + no >= MIN_VERDICTS else None
        return {"offer_id": offer.id, "title": offer.title, "shown": self.shown.get(offer.id, 0), "passt": yes,
                "passt_nicht": no, "passt_share": share}


@dataclass(frozen=True)
class Portfolio:
    provider: str
    offers: int
    expired: int
    table: dict  # {field: {role: n, "alle": n}} of the provider's valid offers
    catalog_table: dict  # the same for the whole catalog
    gaps: tuple[dict, ...]  # underserved cells, each with what the provider already has there
    responses: tuple[dict, ...] = ()  # per offer of the provider: shown, passt, passt_nicht, passt_share

    def to_dict(self) -> dict:
        return {"provider": self.provider, "offers": self.offers, "expired": self.expired, "table": self.table,
                "catalog_table": self.catalog_table, "gaps": list(self.gaps), "responses": list(self.responses)}


def find_provider(offers: list[Offer], name: str) -> str:
    """The provider's exact name (matched case-insensitively); ArgumentError with close names if unknown."""
    names = sorted({o.provider for o in offers})
    for candidate in names:
        if candidate.casefold() == name.strip().casefold():
            return candidate
    close = difflib.get_close_matches(name, names, n=3, cutoff=0.5)
    hint = f"; did you mean {', '.join(repr(c) for c in close)}?" if close else ""
    raise ArgumentError([Problem(("provider",), f"no provider named {name!r} in the catalog{hint}", "not_found")])


def portfolio(offers: list[Offer], provider: str, report: CoverageReport, today: date | None = None,
              responses: Responses | None = None) -> Portfolio:
    today = today or date.today()
    responses = responses or Responses()
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
                     tuple(gaps), tuple(responses.of(o) for o in own))


# Coverage and portfolio reports on disk: JSON for scripts, CSV or an Excel workbook, self-contained German HTML.

FORMATS = (".json", ".csv", ".xlsx", ".html")
COVERAGE_COLUMNS = ("field", "role", "offers", "supply_explicit", "supply_open", "supply", "supply_share", "demand",
                    "demand_share", "demand_low", "demand_high", "gap", "underserved", "status", "to_settle",
                    "reference_share", "reference_gap")


def check_output(path: str | Path) -> str:
    suffix = Path(path).suffix.lower()
    if suffix not in FORMATS:
        raise ArgumentError([Problem(("out",), f"output must end in {', '.join(FORMATS)}, got {str(path)!r}",
                                         "unknown_format")])
    return suffix


def _environment() -> Environment:
    env = Environment(loader=PackageLoader("matcher.coverage", "templates"), autoescape=select_autoescape(["html"]))
    roles = taxonomy()["roles"]
    env.globals.update(label=label, anzahl=german_count, roles=ROLES, fields=FIELDS,
                       role_label=lambda r: roles[r]["label"] if r in roles else "offen für alle",
                       pct=lambda x: f"{round(x * 100)} %")
    return env


def _png(fig) -> str:
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=110, bbox_inches="tight")
    return "data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode("ascii")


def heatmaps(report: CoverageReport) -> str:
    """Supply share, demand share and gap per field x role, side by side, as an embedded PNG."""
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import numpy as np

    rows = [fc for fc in report.fields]
    names = [label("fields", fc.field) for fc in rows]
    roles = [taxonomy()["roles"][r]["label"] for r in ROLES]
    panels = [("Angebotsanteil", "supply_share", "Blues", 0, 1), ("Nachfrageanteil", "demand_share", "Oranges", 0, 1),
              ("Lücke (Nachfrage − Angebot)", "gap", "RdBu_r", -0.6, 0.6)]
    fig, axes = plt.subplots(1, 3, figsize=(15, 0.45 * len(rows) + 2.2), sharey=True)
    for ax, (title, attr, cmap, lo, hi) in zip(np.atleast_1d(axes), panels):
        data = np.array([[getattr(fc.cell(r), attr) for r in ROLES] for fc in rows])
        ax.imshow(data, cmap=cmap, vmin=lo, vmax=hi, aspect="auto")
        ax.set_title(title)
        ax.set_xticks(range(len(roles)), roles, rotation=40, ha="right")
        ax.set_yticks(range(len(names)), names)
        for (i, j), v in np.ndenumerate(data):
            status = rows[i].cell(ROLES[j]).status if attr == "gap" else None
            mark = {"underserved": "*", "indicative": "?"}.get(status, "")
            ax.text(j, i, f"{round(v * 100)}{mark}", ha="center", va="center",
                    fontsize=8, color="white" if abs(v) > 0.45 * max(abs(lo), hi) else "black")
    fig.suptitle("Angebot und Nachfrage je Handlungsfeld und Rolle (in %; * = unterversorgt, ? = Hinweis)")
    out = _png(fig)
    plt.close(fig)
    return out


def gap_bars(report: CoverageReport) -> str | None:
    """Bars of the gap of every underserved role, per field; None when nothing is underserved."""
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    bars = [(f"{label('fields', fc.field)}: {taxonomy()['roles'][r]['label']}", fc.cell(r).gap)
            for fc in report.fields for r in fc.underserved]
    if not bars:
        return None
    fig, ax = plt.subplots(figsize=(8, 0.4 * len(bars) + 1.2))
    ax.barh([b[0] for b in bars][::-1], [b[1] * 100 for b in bars][::-1], color="#b35806")
    ax.set_xlabel("Nachfrageanteil minus Angebotsanteil (Prozentpunkte)")
    ax.set_title("Unterversorgte Rollen je Handlungsfeld")
    out = _png(fig)
    plt.close(fig)
    return out


def coverage_rows(report: CoverageReport):
    for fc in report.fields:
        for c in fc.roles:
            yield [fc.field, c.role, fc.offers, c.supply_explicit, c.supply_open, c.supply, c.supply_share, c.demand,
                   c.demand_share, *c.demand_interval, c.gap, c.underserved, c.status or "",
                   *("" if v is None else v for v in (c.to_settle, c.reference_share, c.reference_gap))]


def write_coverage(report: CoverageReport, path: str | Path) -> Path:
    """Write the report as .json, .csv, .xlsx or .html (by the file's suffix), atomically."""
    suffix = check_output(path)
    if suffix in (".csv", ".xlsx"):
        with atomic_output(path, COVERAGE_COLUMNS, sheet="Abdeckung") as (_, writer):
            for row in coverage_rows(report):
                writer.writerow([safe_cell(v) for v in row])
        return Path(path)
    if suffix == ".json":
        text = json.dumps(report.to_dict(), ensure_ascii=False, indent=2)
    else:
        text = _environment().get_template("coverage.html").render(
            report=report, indicative_rule=INDICATIVE_RULE, heatmap=heatmaps(report), bars=gap_bars(report))
    with atomic_output(path, ()) as (out, _):
        out.write(text)
    return Path(path)


def write_portfolio(result: Portfolio, report: CoverageReport, path: str | Path) -> Path:
    suffix = check_output(path)
    if suffix in (".csv", ".xlsx"):
        columns = ("field", "role", "provider_offers", "catalog_offers")
        with atomic_output(path, columns, sheet="Portfolio") as (_, writer):
            for f in FIELDS:
                for r in (*ROLES, "alle"):
                    writer.writerow([f, r, result.table[f][r], result.catalog_table[f][r]])
        return Path(path)  # the responses per offer are in the .json and .html reports
    if suffix == ".json":
        text = json.dumps({**result.to_dict(), "rule": report.rule}, ensure_ascii=False, indent=2)
    else:
        text = _environment().get_template("portfolio.html").render(portfolio=result, report=report)
    with atomic_output(path, ()) as (out, _):
        out.write(text)
    return Path(path)


def write_gap_report(model_dir: str | Path, out: str | Path, *, profiles: str | Path | None = None,
                     sheet: str | None = None, demand_db: str | None = None, field: str | None = None,
                     region: str | None = None, reference_roles: str | Path | None = None,
                     on_problem: Callable[[Problem], None] = lambda p: None) -> tuple[CoverageReport, Demand]:
    """The coverage report of a model's catalog against the demand of a profiles file and a demand log (and a
    reference mix of roles), written to `out` (.json .csv .xlsx .html); returns it with the demand read."""
    check_output(out)
    model = load(model_dir)
    demand = read_demand(model, profiles=profiles, sheet=sheet, demand_db=demand_db, on_problem=on_problem)
    report = coverage_report(model.offers, demand.records, fields=[field] if field else None, region=region,
                             demand_sources=demand.sources,
                             exposure=exposure(model, demand.profiles) if demand.profiles else None)
    if reference_roles:
        report = with_reference(report, read_reference_roles(reference_roles), str(reference_roles))
    write_coverage(report, out)
    return report, demand


def write_provider_report(model_dir: str | Path, provider: str, out: str | Path, *,
                          profiles: str | Path | None = None, sheet: str | None = None, demand_db: str | None = None,
                          responses: Responses | None = None,
                          on_problem: Callable[[Problem], None] = lambda p: None) -> tuple[Portfolio, Demand]:
    """One provider's portfolio against the coverage report (with how people met each offer, when `responses` are
    given), written to `out`; returns it with the demand read."""
    check_output(out)
    model = load(model_dir)
    demand = read_demand(model, profiles=profiles, sheet=sheet, demand_db=demand_db, on_problem=on_problem)
    report = coverage_report(model.offers, demand.records, demand_sources=demand.sources)
    result = portfolio(list(model.offers), provider, report, responses=responses)
    write_portfolio(result, report, out)
    return result, demand
