"""`matcher` run in this process with a stand-in for the sentence encoder: a unit vector per text from the hashes
of its words, of the encoder's width, in microseconds. It measures everything the engine does around the encoder, at
sizes the real encoder would take hours to embed; the encoder's own throughput is measured on its own (scale.py).

    python benchmarks/standin.py train --catalog FILE --model DIR     (any `matcher` command)
"""
from __future__ import annotations

import hashlib
import re
import sys
from pathlib import Path

import numpy as np

DIM = 384


_WORD = re.compile(r"\w{3,}")


def hashed_direction(token: str) -> np.ndarray:
    """A fixed random direction for a token (a word, a text), from its hash: the same in every process."""
    seed = int.from_bytes(hashlib.blake2b(token.encode("utf-8", "surrogatepass"), digest_size=8).digest(), "little")
    return np.random.default_rng(seed).standard_normal(DIM, dtype=np.float32)


class StandInEncoder:
    """A unit vector per text: the sum of a fixed random direction for each of its distinct words and one for the
    text itself. Texts that share words lie near each other, as a real encoder's texts on one topic do, so that a
    nearest-neighbour graph has something to find, if less than with real embeddings (benchmarks/results_standin.md:
    of the ten nearest offers, a strained graph finds 0.89 with the real encoder, 0.70 with this stand-in and 0.40
    with a random vector per text, the first stand-in, which made the first stage's figures at scale those of noise).
    """

    name = "stand-in (word hash vectors)"

    def __init__(self):
        self._directions: dict[str, np.ndarray] = {}  # a cache, not pickled with the model

    def __getstate__(self):
        return {}

    def __setstate__(self, state):
        self.__init__()

    def _direction(self, word: str) -> np.ndarray:
        if word not in self._directions:
            self._directions[word] = hashed_direction(word)
        return self._directions[word]

    def _rows(self, texts) -> np.ndarray:
        out = np.empty((len(texts), DIM), dtype=np.float32)
        for i, text in enumerate(texts):
            row = hashed_direction("\x00" + text)
            for word in sorted(set(_WORD.findall(text.lower()))):  # one order of sums in every process
                row += self._direction(word)
            out[i] = row / max(float(np.linalg.norm(row)), 1e-9)
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
