"""Team recommendations on the project's labeled teams: NDCG@10 per aggregation strategy and for a baseline
that joins all members' words into one query, per-member NDCG (mean, minimum, zRecall) and the share of the
top 5 that every member's role may attend. Prints tables and writes benchmarks/results_teams.md.

    python benchmarks/teams.py
"""
from __future__ import annotations

import json
import sys
import time
from collections import defaultdict
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))

from labeled import CATALOG, HERE, TODAY, write_results  # noqa: E402

from matcher.catalog import read_catalog  # noqa: E402
from matcher.engine import blended, score_signals, select  # noqa: E402
from matcher.groups import AGGREGATIONS, DEFAULT_AGGREGATION, may_attend, recommend_group  # noqa: E402
from matcher.metrics import RELEVANT, ndcg_at_k  # noqa: E402
from matcher.model import fit_model  # noqa: E402
from matcher.ranking import eligible  # noqa: E402
from matcher.schema import Profile, parse_profile  # noqa: E402

TEAMS = HERE / "data" / "teams.jsonl"
JUDGMENTS = HERE / "data" / "team_judgments.jsonl"
BONUSES = (0.0, 0.1, 0.3)
SHARED = (0.0, 0.25, 0.5)
GRID = [(b, s) for b in BONUSES for s in SHARED]
K = 10


def cache_signals():
    """Members' signals depend only on the profiles: compute them once for the whole parameter grid."""
    import matcher.groups
    original, memo = matcher.groups.score_signals, {}

    def cached(model, profiles):
        key = tuple(profiles)
        if key not in memo:
            memo[key] = original(model, profiles)
        return dict(memo[key])
    matcher.groups.score_signals = cached


def load_teams():
    teams = [json.loads(line) for line in TEAMS.read_text(encoding="utf-8").splitlines() if line.strip()]
    visible = ("id", "role_title", "fields", "needs", "region", "format_preference")
    for team in teams:
        team["profiles"] = [parse_profile({k: m.get(k) for k in visible}) for m in team["members"]]
    grades = defaultdict(dict)
    for line in JUDGMENTS.read_text(encoding="utf-8").splitlines():
        if line.strip():
            j = json.loads(line)
            grades[j["team_id"]][j["offer_id"]] = int(j["grade"])
    return teams, dict(grades)


def joined_query(model, team) -> list[str]:
    """Baseline: all members' titles and needs as one person's query, no role, the team's hard rules."""
    profiles = team["profiles"]
    joined = Profile(needs=" ".join(f"{p.role_title or ''} {p.needs}" for p in profiles)[:20000])
    signals = score_signals(model, [joined])
    signals.pop("interpretations")
    mask = np.ones(len(model.offers), dtype=bool)
    for p in profiles:
        mask &= eligible(model.regions, model.expiry_ordinals, p.region, TODAY.toordinal())
    scores, _ = blended(model, {n: v[0] for n, v in signals.items()}, mask, model.weights)
    return [model.offer_ids[i] for i in select(model, scores, mask, K, model.weights)]


def member_view(model, team, grades, ranked):
    """Per member: NDCG@10 and whether anything relevant to them is in the top 10.

    A member's grade for an offer is the team's grade if the member's (gold) role may attend it, else 0:
    an offer the member cannot join is of no use to them.
    """
    ndcgs, empty = [], 0
    for member in team["members"]:
        can = may_attend(model.role_targets, model.open_to_all, member["gold_role"])
        own = {o: g for o, g in grades.items() if can[model.index[o]]}
        ndcgs.append(ndcg_at_k(ranked, own, K))
        empty += not any(own.get(o, 0) >= RELEVANT for o in ranked[:K])
    return np.mean(ndcgs), np.min(ndcgs), empty / len(team["members"])


def open_share(model, team, ranked, n=5) -> float:
    roles = [m["gold_role"] for m in team["members"]]
    ok = [all(may_attend(model.role_targets, model.open_to_all, r)[model.index[o]] for r in roles) for o in ranked[:n]]
    return float(np.mean(ok)) if ok else 0.0


def evaluate(model, teams, grades, ranked_by_team):
    rows = np.array([[ndcg_at_k(ranked_by_team[t["id"]], grades.get(t["id"], {}), K),
                      *member_view(model, t, grades.get(t["id"], {}), ranked_by_team[t["id"]]),
                      open_share(model, t, ranked_by_team[t["id"]])] for t in teams])
    return rows.mean(axis=0), rows[:, 0]


def main() -> None:
    started = time.time()
    offers, _ = read_catalog(CATALOG)
    model = fit_model(offers)
    teams, grades = load_teams()

    cache_signals()
    per_team = {}  # (strategy, bonus, shared) -> per-team NDCG, for the cross-validated choice of the parameters
    summaries = {}
    for strategy in AGGREGATIONS:
        for bonus, shared in GRID:
            ranked = {t["id"]: [r.offer_id for r in recommend_group(
                model, t["profiles"], K, strategy, today=TODAY, open_bonus=bonus, shared_weight=shared
            ).recommendations] for t in teams}
            summaries[strategy, bonus, shared], per_team[strategy, bonus, shared] = evaluate(model, teams, grades,
                                                                                             ranked)

    # Leave-one-team-out: each team is scored with the parameters that did best on the other teams.
    rows = []
    for strategy in AGGREGATIONS:
        cv = []
        for i in range(len(teams)):
            best = max(GRID, key=lambda g: (np.delete(per_team[(strategy, *g)], i).mean(), -g[0], -g[1]))
            cv.append(per_team[(strategy, *best)][i])
        best_all = max(GRID, key=lambda g: (per_team[(strategy, *g)].mean(), -g[0], -g[1]))
        rows.append([strategy, float(np.mean(cv)), f"{best_all[0]} / {best_all[1]}",
                     *summaries[(strategy, *best_all)]])
    baseline = {t["id"]: joined_query(model, t) for t in teams}
    b, _ = evaluate(model, teams, grades, baseline)
    rows.append(["joined-query baseline", b[0], "–", *b])

    header = ["strategy", "NDCG@10 (LOO-CV parameters)", "open bonus / shared weight (best on all teams)", "NDCG@10", "member NDCG mean",
              "member NDCG min", "zRecall (members with nothing relevant)", "top 5 open to every member"]
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    for r in rows:
        lines.append("| " + " | ".join(f"{v:.3f}" if isinstance(v, float) else str(v) for v in r) + " |")
    lines += ["", "Every setting (all teams): NDCG@10 / top 5 open to every member", "",
              "| strategy | " + " | ".join(f"bonus {b}, shared {s}" for b, s in GRID) + " |",
              "|" + "---|" * (len(GRID) + 1)]
    for strategy in AGGREGATIONS:
        lines.append(f"| {strategy} | " + " | ".join(
            f"{summaries[(strategy, *g)][0]:.3f} / {summaries[(strategy, *g)][-1]:.2f}" for g in GRID) + " |")
    default = next(r for r in rows if r[0] == DEFAULT_AGGREGATION)
    lines += ["", f"{len(teams)} teams, {sum(len(t['members']) for t in teams)} members. Default strategy "
              f"'{DEFAULT_AGGREGATION}': CV NDCG@10 {default[1]:.3f} = {default[1] / b[0]:.2f} x the joined-query "
              f"baseline (target >= 1.15); top 5 open to every member {default[-1]:.0%} (target >= 80 %).",
              "Member grades: the team's grade where the member's role may attend the offer, else 0.",
              f"Run took {time.time() - started:.0f} s."]
    write_results("results_teams.md", "Team benchmark", "teams.py", "\n".join(lines))


if __name__ == "__main__":
    main()
