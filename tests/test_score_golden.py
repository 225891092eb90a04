"""`matcher score` on the bundled catalog writes, byte for byte, what the code wrote before the restructuring of
issue 24 (the golden files were written by main's code, see `write_golden` below): moving code changes no output.

Ranking changes of their own (weights, signals, stopwords) change these files on purpose: write them again from
the code as it stands with `python tests/test_score_golden.py`, and commit them with the change that moved them.
"""
from __future__ import annotations

import datetime
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
DATA = Path(__file__).resolve().parent / "data"
PROFILES = {"survey": ROOT / "data" / "survey_profiles.jsonl", "samples": ROOT / "data" / "profiles.jsonl"}
MODES = {"semantic": (), "lexical": ("--no-semantic",)}
TODAY = datetime.date(2026, 12, 1)  # the day the golden files assume: some offers of the catalog expire soon after


def golden_path(profiles: str, mode: str) -> Path:
    return DATA / f"score_bundled_golden_{profiles}_{mode}.jsonl"


class _FixedDate(datetime.date):
    @classmethod
    def today(cls):
        return cls(TODAY.year, TODAY.month, TODAY.day)


def _fix_today(setattr_) -> None:
    """Every matcher module that took `date` from datetime sees TODAY (wherever the ranking code lives)."""
    import matcher.batch  # noqa: F401 (the modules `score` runs, loaded before they are patched)
    import matcher.cli  # noqa: F401
    for name, module in list(sys.modules.items()):
        if (name == "matcher" or name.startswith("matcher.")) and getattr(module, "date", None) is datetime.date:
            setattr_(module, "date", _FixedDate)


def _score(model_dir: Path, profiles: str, mode: str, out: Path) -> None:
    from matcher.cli import main
    assert main(["score", str(PROFILES[profiles]), "--model", str(model_dir), "--out", str(out),
                 *MODES[mode]]) == 0


@pytest.fixture(scope="module")
def bundled_model_dir(bundled_model, tmp_path_factory):
    from matcher import save
    return save(bundled_model, tmp_path_factory.mktemp("golden") / "bundled")


@pytest.mark.parametrize("profiles", sorted(PROFILES))
@pytest.mark.parametrize("mode", sorted(MODES))
def test_score_writes_the_golden_bytes(bundled_model_dir, profiles, mode, tmp_path, monkeypatch):
    _fix_today(monkeypatch.setattr)
    out = tmp_path / "scored.jsonl"
    _score(bundled_model_dir, profiles, mode, out)
    assert out.read_bytes() == golden_path(profiles, mode).read_bytes()


def write_golden() -> None:
    """Write the golden files from the code as it stands (the same model as the bundled_model fixture)."""
    import tempfile

    from matcher import fit_model, read_catalog, save
    offers, problems = read_catalog(ROOT / "data" / "catalog.jsonl")
    assert not problems
    with tempfile.TemporaryDirectory() as tmp:
        model_dir = save(fit_model(offers), Path(tmp) / "bundled")
        _fix_today(setattr)
        for profiles in PROFILES:
            for mode in MODES:
                _score(model_dir, profiles, mode, golden_path(profiles, mode))
                print(f"wrote {golden_path(profiles, mode)}")


if __name__ == "__main__":
    write_golden()
