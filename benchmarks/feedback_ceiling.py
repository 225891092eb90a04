"""How much can the feedback signal add at most, on each labeled collection? An upper bound for benchmarks/feedback.py.

The setting of feedback.py (weights fitted on the other two collections, the profiles split in the same halves), but
no service and no guard: one half's verdicts feed the engine's own feedback signal (matcher.feedback: per offer and
role, shrunk), and its weight is chosen on the OTHER half itself, the half it is measured on: a figure no refit can
reach, since a refit never sees that half. Two kinds of verdicts: those on the top 10 shown (as feedback.py gives
them: grade 2-3 "passt", 0 or never judged "passt nicht", 1 none), and every judgment of those people (as if each
had answered on every offer the judges pooled for them). Writes benchmarks/results_feedback_ceiling.md.

    python benchmarks/feedback_ceiling.py
"""
from __future__ import annotations

import tempfile
import time
from dataclasses import replace
from pathlib import Path

import numpy as np

from feedback import halves, ndcg, undated
from evaluate import K, Bench, MemoEncoder, fit_engine
from labeled import COLLECTIONS, write_results

from matcher.feedback import VerdictCounts, VerdictList
from matcher.model import DEFAULT_WEIGHTS, SIGNALS
from matcher.ranking import rank
from matcher.text import default_encoder

FEEDBACK_WEIGHTS = (0.1, 0.2, 0.5, 1.0, 2.0)


def verdict_lists(bench: Bench, weights, people: list[int], every_judged: bool) -> list[VerdictList]:
    """Each person's verdicts: on their top 10 as shown, or on every offer judged for them."""
    out = []
    for i in people:
        grades = bench.grades.get(bench.profiles[i].id, {})
        if every_judged:
            said = {o: 1 if g >= 2 else -1 for o, g in grades.items() if g != 1}
        else:
            shown = rank(bench.model, bench.people[i], K, bench.today, weights).chosen
            said = {bench.model.offer_ids[j]: 1 if grades.get(bench.model.offer_ids[j], 0) >= 2 else -1
                    for j in shown if grades.get(bench.model.offer_ids[j], 0) != 1}
        offers = tuple(said)
        out.append(VerdictList(bench.profiles[i].id, bench.interpretations[i].role, offers,  # counts read no signals
                               np.zeros((len(offers), 0)), np.array(list(said.values())), len(offers)))
    return out


def ceiling(bench: Bench, weights, give: list[int], test: list[int], every_judged: bool) -> tuple[float, float, int]:
    """(best NDCG@10 on test over the feedback weights, that weight, verdicts given)."""
    lists = verdict_lists(bench, weights, give, every_judged)
    prior = VerdictCounts(lists).prior(bench.model.index, len(bench.model.offers))
    best = max((float(ndcg(bench, replace(weights, feedback=w), test, prior).mean()), w) for w in FEEDBACK_WEIGHTS)
    return best[0], best[1], sum(lst.verdicts for lst in lists)


def main() -> None:
    started = time.time()
    memo = MemoEncoder(default_encoder())
    lines = ["Upper bounds of the feedback signal: the setting of benchmarks/feedback.py (weights fitted on the other "
             "two collections, the same halves), one half's verdicts feeding the engine's feedback signal "
             "(matcher.feedback: per offer and role, shrunk), its weight chosen on the half measured (of "
             f"{', '.join(map(str, FEEDBACK_WEIGHTS))}): no refit can do as well, since a refit never sees that half.",
             "", "| collection | direction | NDCG@10 before | verdicts on the top 10 shown | NDCG@10 at best | gain | "
             "verdicts on every judged offer | NDCG@10 at best | gain |", "|---|---|---|---|---|---|---|---|---|"]
    with tempfile.TemporaryDirectory() as tmp:
        benches = {c.name: Bench(undated(c, Path(tmp)), memo) for c in COLLECTIONS}
        for name, bench in benches.items():
            weights = fit_engine([b for n, b in benches.items() if n != name], DEFAULT_WEIGHTS, list(SIGNALS))
            parts = halves(bench)
            for d in (0, 1):
                give, test = parts[d], parts[1 - d]
                before = float(ndcg(bench, weights, test).mean())
                shown, w_shown, n_shown = ceiling(bench, weights, give, test, every_judged=False)
                every, w_every, n_every = ceiling(bench, weights, give, test, every_judged=True)
                lines.append(f"| {name} | half {'AB'[d]} -> {'BA'[d]} | {before:.3f} | {n_shown} | {shown:.3f} "
                             f"(weight {w_shown}) | {shown - before:+.3f} | {n_every} | {every:.3f} (weight {w_every}) "
                             f"| {every - before:+.3f} |")
                print(lines[-1], flush=True)
    lines += ["", f"Run took {time.time() - started:.0f} s."]
    write_results("results_feedback_ceiling.md", "Feedback: how much the feedback signal can add at most",
                  "feedback_ceiling.py", "\n".join(lines))


if __name__ == "__main__":
    main()
