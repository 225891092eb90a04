"""Synthetic catalogs and profile files of any size, deterministic, recombined from the bundled data's sentences.

Each offer takes the codes (fields, roles, type, format, region, cost) of one bundled offer and a title and
description recombined from the sentences of three; each profile the title, fields and region of one survey
profile and needs recombined from two. The same seed gives the same files, byte for byte.
"""
from __future__ import annotations

import json
import random
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
_SENTENCE = re.compile(r"(?<=[.!?])\s+")


def _read(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def _sentences(texts) -> list[str]:
    return [s for t in texts for s in _SENTENCE.split(t) if len(s) > 20]


def catalog(n: int, seed: int = 0) -> list[dict]:
    base = _read(ROOT / "data" / "catalog.jsonl")
    sentences = _sentences(o["description"] for o in base)
    rng = random.Random(seed)
    out = []
    for i in range(n):
        codes = rng.choice(base)
        title = f"{rng.choice(base)['title'].split(':')[0]}: {rng.choice(base)['title'].split(':')[-1].strip()}"
        description = " ".join(rng.sample(sentences, 3))
        out.append({**codes, "id": f"s{i:06d}", "title": title, "description": description,
                    "provider": f"{codes['provider']} {i % 97}"})
    return out


def changed(offers: list[dict], share: float, seed: int = 1) -> list[dict]:
    """The catalog with `share` of its offers edited (a sentence added): what a weekly update looks like."""
    rng = random.Random(seed)
    edited = set(rng.sample(range(len(offers)), max(1, round(len(offers) * share))))
    return [{**o, "description": o["description"] + " Neu: weitere Termine im Herbst."} if i in edited else o
            for i, o in enumerate(offers)]


def profiles(n: int, seed: int = 0) -> list[dict]:
    base = _read(ROOT / "data" / "survey_profiles.jsonl")
    sentences = _sentences(p["needs"] for p in base) or [p["needs"] for p in base]
    rng = random.Random(seed)
    out = []
    for i in range(n):
        who = rng.choice(base)
        needs = " ".join(rng.sample(sentences, 2)) if len(sentences) > 1 else who["needs"]
        out.append({k: v for k, v in {**who, "id": f"p{i:07d}", "needs": needs}.items() if v not in (None, [])})
    return out


def write_jsonl(path: Path, records) -> Path:
    with open(path, "w", encoding="utf-8") as f:
        for r in records:
            f.write(json.dumps(r, ensure_ascii=False) + "\n")
    return path
