import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
DATA = Path(__file__).resolve().parent / "data"
TINY_CATALOG = DATA / "tiny_catalog.jsonl"
BUNDLED_CATALOG = ROOT / "data" / "catalog.jsonl"


def offer_lines(path: Path) -> list[str]:
    """The records of a JSON Lines catalog, for counts derived from the data rather than written into tests."""
    return [line for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


TINY_OFFERS = len(offer_lines(TINY_CATALOG))


def run_cli(*args, check_rc=None, env_update=None, **kwargs):
    """The `matcher` console script as a user runs it: a subprocess, text in and out."""
    proc = subprocess.run([sys.executable, "-m", "matcher.cli", *map(str, args)], capture_output=True, text=True,
                          env={**os.environ, "PYTHONIOENCODING": "utf-8", **(env_update or {})}, **kwargs)
    if check_rc is not None:
        assert proc.returncode == check_rc, proc.stderr + proc.stdout
    return proc


def wait_until_ready(client, tries: int = 200) -> None:
    """Poll /ready of an app that loads its model in the background (a TestClient)."""
    import time
    for _ in range(tries):
        if client.get("/ready").status_code == 200:
            return
        time.sleep(0.05)
    raise AssertionError("the model did not load")


@pytest.fixture(scope="session")
def tiny_model():
    from matcher import fit_model, read_catalog
    offers, problems = read_catalog(TINY_CATALOG)
    assert not problems
    return fit_model(offers)


@pytest.fixture(scope="session")
def bundled_model():
    from matcher import fit_model, read_catalog
    offers, problems = read_catalog(BUNDLED_CATALOG)
    assert not problems
    return fit_model(offers)


@pytest.fixture(scope="session")
def tiny_model_dir(tmp_path_factory):
    target = tmp_path_factory.mktemp("models") / "tiny"
    run_cli("train", "--catalog", TINY_CATALOG, "--model", target, check_rc=0)
    return target


@pytest.fixture
def copy_of(tmp_path):
    def copy(path):
        target = tmp_path / Path(path).name
        shutil.copy(path, target)
        return target
    return copy
