"""A recommendation list as a readable German text table for the terminal."""
from __future__ import annotations

import shutil
import textwrap

from ..core import label, taxonomy
from ..ranking import Result, render


def describe_reading(result: Result) -> str:
    it = result.interpreted
    if it.role is None:
        who = "Rolle nicht sicher erkannt (keine Rollengewichtung)"
    elif len(it.roles) > 1:
        labels = " und ".join(taxonomy()["roles"][r]["label"] for r in it.roles)
        who = f"{labels} (Sicherheit {it.role_confidence:.0%})"
    else:
        who = f"{taxonomy()['roles'][it.role]['read_as']} (Sicherheit {it.role_confidence:.0%})"
    how = "angegeben" if it.field_source == "given" else "aus Ihrem Anliegen abgeleitet"
    fields = ", ".join(label("fields", f) for f in it.fields) or "–"
    return f"So haben wir Sie eingeordnet: {who}; Handlungsfelder: {fields} ({how})"


def render_result(result: Result) -> str:
    width = min(shutil.get_terminal_size((100, 20)).columns, 110)
    lines = [textwrap.fill(describe_reading(result), width), ""]
    if not result.recommendations:
        lines.append("Keine passenden Angebote gefunden (Region und Fristen werden streng beachtet).")
    for rec in result.recommendations:
        o = rec.offer
        facts = [o.provider, label("offer_types", o.offer_type), label("formats", o.format),
                 label("states", o.region), label("costs", o.cost)]
        if o.valid_until:
            facts.append(f"Frist {o.valid_until.strftime('%d.%m.%Y')}")
        lines.append(textwrap.fill(f"{rec.rank:>2}. {o.title}  [{rec.score:.2f}]", width, subsequent_indent="    "))
        lines.append(textwrap.fill(" · ".join(facts), width, initial_indent="    ", subsequent_indent="    "))
        for reason in rec.reasons:
            lines.append(textwrap.fill(render(reason), width, initial_indent="    – ", subsequent_indent="      "))
        if o.url:
            lines.append(f"    {o.url}")
        lines.append("")
    return "\n".join(lines).rstrip() + "\n"
