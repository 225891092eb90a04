"""`matcher` run in this process with a stand-in for the sentence encoder: a unit vector per text from its hash,
of the encoder's width, in microseconds. It measures everything the engine does around the encoder, at sizes the
real encoder would take hours to embed; the encoder's own throughput is measured on its own (scale.py).

    python benchmarks/standin.py train --catalog FILE --model DIR     (any `matcher` command)
"""
from __future__ import annotations

import hashlib
import sys
from pathlib import Path

import numpy as np

DIM = 384


class StandInEncoder:
    name = "stand-in (hash vectors)"

    @staticmethod
    def _rows(texts, batch: int = 256) -> np.ndarray:
        """Unit rows, made a batch at a time as the real encoder embeds them (so that its memory is the engine's)."""
        out = np.empty((len(texts), DIM), dtype=np.float32)
        for start in range(0, len(texts), batch):
            rows = np.array([np.random.default_rng(int.from_bytes(
                hashlib.blake2b(t.encode("utf-8", "surrogatepass"), digest_size=8).digest(), "little"))
                .standard_normal(DIM, dtype=np.float32) for t in texts[start:start + batch]],
                dtype=np.float32).reshape(-1, DIM)
            out[start:start + batch] = rows / np.maximum(np.linalg.norm(rows, axis=1, keepdims=True), 1e-9)
        return out

    def encode_queries(self, texts):
        return self._rows(texts)

    def encode_passages(self, texts):
        return self._rows(texts)


def train(catalog: str, model_dir: str) -> None:
    """`matcher train` with the stand-in: the same function, the same reuse of unchanged offers' embeddings."""
    from matcher.batch import train as train_model
    done = train_model(catalog, model_dir, encoder=standin.StandInEncoder())
    print(f"trained on {done.offers} offers: {done.encoded} encoded, {done.reused} reused")


if __name__ == "__main__":
    # this folder last, not first: its http.py must not shadow the standard library's (usearch imports urllib)
    here = Path(__file__).resolve().parent
    sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != here] + [str(here.parent)]
    # pickled by its module's name, benchmarks.standin: `standin.py score` and Spark's Python workers (PYTHONPATH:
    # the project folder) find the class again when they load the model
    from benchmarks import standin
    sys.modules.setdefault("standin", standin)  # models trained before under that name

    from matcher.cli import main
    if sys.argv[1] == "train":
        args = dict(zip(sys.argv[2::2], sys.argv[3::2]))
        train(args["--catalog"], args["--model"])
    else:
        sys.exit(main(sys.argv[1:]))
