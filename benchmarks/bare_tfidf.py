"""The bare TF-IDF kernel as a user would run it instead of the engine, in the engine's two steps: fit once, then
score a file of profiles in a process of its own (start, load, read, score, write), so that `matcher score` is timed
against it command for command (benchmarks/scale.py).

    python benchmarks/bare_tfidf.py train CATALOG.jsonl MODEL.joblib
    python benchmarks/bare_tfidf.py score PROFILES.jsonl MODEL.joblib OUT.jsonl
"""
from __future__ import annotations

import json
import sys

import numpy as np

K, CHUNK = 10, 256  # scikit-learn and joblib are imported where used: benchmarks/bare_encoder.py imports this


def read_jsonl(path: str) -> list[dict]:
    with open(path, encoding="utf-8") as f:
        return [json.loads(line) for line in f if line.strip()]


def write_top(f, people: list[dict], scores: np.ndarray, ids: np.ndarray) -> None:
    """Each person's K best offers by score (ties by position), one JSON line each."""
    k = min(K, scores.shape[1])
    top = np.argpartition(-scores, k - 1, axis=1)[:, :k]
    for p, row, found in zip(people, scores, top):
        best = found[np.argsort(-row[found], kind="stable")]
        f.write(json.dumps({"profile_id": p.get("id"), "offers": ids[best].tolist(),
                            "scores": [round(float(s), 4) for s in row[best]]}) + "\n")


def train(catalog: str, model: str) -> None:
    import joblib
    from sklearn.feature_extraction.text import TfidfVectorizer
    offers = read_jsonl(catalog)
    vectorizer = TfidfVectorizer(sublinear_tf=True, dtype=np.float32)
    columns = vectorizer.fit_transform([f"{o['title']}. {o['description']}" for o in offers]).T.tocsr()
    joblib.dump((vectorizer, columns, np.array([o["id"] for o in offers])), model)


def score(profiles: str, model: str, out: str) -> None:
    import joblib
    vectorizer, columns, ids = joblib.load(model, mmap_mode="r")
    people = read_jsonl(profiles)
    with open(out, "w", encoding="utf-8") as f:
        for start in range(0, len(people), CHUNK):
            part = people[start:start + CHUNK]
            write_top(f, part, (vectorizer.transform([p["needs"] for p in part]) @ columns).toarray(), ids)


if __name__ == "__main__":
    {"train": train, "score": score}[sys.argv[1]](*sys.argv[2:])
