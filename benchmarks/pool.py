"""Pooling for blind judging: every system's top 10 on each collection, the pairs not yet judged, shuffled and
without the name of the system that proposed them. Writes benchmarks/data/pool_<collection>.jsonl for the judges;
their grades are added to the collection's judgments (grade 0 included, so a pair is never pooled twice).

    python benchmarks/pool.py [COLLECTION,COLLECTION,...]
"""
from __future__ import annotations

import json
import random
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from evaluate import load_benches  # noqa: E402
from labeled import COLLECTIONS, HERE  # noqa: E402
from quality import encoder_scores, held_out_systems  # noqa: E402

from matcher.model import DEFAULT_WEIGHTS  # noqa: E402


def main(names: list[str] | None = None) -> None:
    benches = load_benches(COLLECTIONS)
    encoders = {name: encoder_scores(b) for name, b in benches.items()}
    for name, test in benches.items():
        if names is not None and name not in names:
            continue
        train = [b for n, b in benches.items() if n != name]
        systems, _ = held_out_systems(train, test, encoders)
        systems["engine, shipped weights"] = test.engine(DEFAULT_WEIGHTS)
        judged = {(p, o) for p, grades in test.grades.items() for o in grades}
        pairs = sorted({(pid, oid) for ranked in systems.values() for pid, ids in ranked.items() for oid in ids
                        if (pid, oid) not in judged})
        random.Random(0).shuffle(pairs)
        out = HERE / "data" / f"pool_{name}.jsonl"
        out.write_text("".join(json.dumps({"profile_id": p, "offer_id": o}) + "\n" for p, o in pairs), encoding="utf-8")
        print(f"{name}: {len(pairs)} unjudged pairs from {len(systems)} systems' top 10 -> {out}")


if __name__ == "__main__":
    main(sys.argv[1].split(",") if len(sys.argv) > 1 else None)
