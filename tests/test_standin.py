"""The benchmarks' stand-in encoder: what scale.py's figures at 100,000 and 1,000,000 offers rest on."""
import os
import pickle
import subprocess
import sys
from pathlib import Path

import numpy as np

from benchmarks.standin import StandInEncoder

ROOT = Path(__file__).resolve().parent.parent
TEXTS = ["Fortbildung Kinderschutz für Fachkräfte der Jugendhilfe", "Beteiligung von Jugendlichen in der Planung"]


def test_texts_that_share_words_lie_nearer_than_texts_that_share_none():
    rows = StandInEncoder().encode_passages([
        "Kinderschutz in der Kita: Fortbildung für Fachkräfte",
        "Fortbildung Kinderschutz für Fachkräfte der Jugendhilfe",
        "Haushaltsplanung und Controlling in der Kommunalverwaltung",
    ])
    assert np.allclose(np.linalg.norm(rows, axis=1), 1.0, atol=1e-6)
    near, far = rows[0] @ rows[1], rows[0] @ rows[2]
    assert near > 0.5 > far  # four of six words shared; one ("der") of the other


def test_a_text_gets_the_same_vector_in_every_process_and_in_any_batch():
    """Spark's workers and the local engine encode in different processes (another hash seed each): byte for byte the
    same vectors, or scale.py's comparison of their outputs would fail on the stand-in."""
    code = ("import sys; from benchmarks.standin import StandInEncoder; "
            f"sys.stdout.buffer.write(StandInEncoder().encode_queries({TEXTS!r}).tobytes())")
    seen = {subprocess.run([sys.executable, "-c", code], capture_output=True, cwd=ROOT, check=True,
                           env={**os.environ, "PYTHONHASHSEED": seed}).stdout for seed in ("1", "2")}
    here = StandInEncoder()
    alone = np.vstack([here.encode_queries([t]) for t in TEXTS])
    assert seen == {alone.tobytes()}
    assert StandInEncoder().encode_queries(TEXTS).tobytes() == alone.tobytes()


def test_a_pickled_stand_in_keeps_no_cache_and_encodes_the_same():
    encoder = StandInEncoder()
    before = encoder.encode_passages(TEXTS)
    again = pickle.loads(pickle.dumps(encoder))
    assert len(pickle.dumps(encoder)) < 200  # the word directions are a cache: a model does not carry them
    assert again.encode_passages(TEXTS).tobytes() == before.tobytes()
