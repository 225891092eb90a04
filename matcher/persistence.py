"""Saving and loading a model directory: written atomically, with a model card, refused when foreign or stale."""
from __future__ import annotations

import json
import os
import shutil
import tempfile
from dataclasses import replace
from importlib import metadata
from pathlib import Path

import joblib

from .encoder import check_encoder
from .errors import ModelLoadError
from .model import MatchModel

FORMAT_VERSION = 1
KIND = "kommune-matcher-model"
CARD, ARTIFACT = "model.json", "model.joblib"


def package_version() -> str:
    try:
        return metadata.version("kommune-matcher")
    except metadata.PackageNotFoundError:
        return "unknown"


def save(model: MatchModel, directory: str | Path, *, catalog_sha256: str | None = None) -> Path:
    """Write the model into `directory` via a sibling temporary directory and a rename: never half-written."""
    directory = Path(directory)
    directory.parent.mkdir(parents=True, exist_ok=True)
    card = {"kind": KIND, "format_version": FORMAT_VERSION, "package_version": package_version(),
            "catalog_sha256": catalog_sha256, "weights": model.weights.to_dict(), **model.card}
    tmp = Path(tempfile.mkdtemp(prefix=f".{directory.name}.tmp-", dir=directory.parent))
    try:
        joblib.dump(model, tmp / ARTIFACT, compress=3)
        # The card is written last: a directory with a card is complete.
        (tmp / CARD).write_text(json.dumps(card, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
        old = None
        if directory.exists():
            old = Path(tempfile.mkdtemp(prefix=f".{directory.name}.old-", dir=directory.parent))
            os.rename(directory, old / "model")
        os.rename(tmp, directory)
        if old is not None:
            shutil.rmtree(old, ignore_errors=True)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return directory


def read_card(directory: str | Path) -> dict:
    directory = Path(directory)
    if not directory.is_dir():
        raise ModelLoadError(f"model directory {str(directory)!r} does not exist; create it with "
                             "`matcher train --catalog FILE --model DIR`")
    try:
        card = json.loads((directory / CARD).read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ModelLoadError(f"{str(directory)!r} has no {CARD}: it is not a model directory or it is "
                             "half-written; retrain with `matcher train`") from None
    except (json.JSONDecodeError, UnicodeDecodeError):
        raise ModelLoadError(f"{str(directory / CARD)!r} is damaged; retrain with `matcher train`") from None
    if not isinstance(card, dict) or card.get("kind") != KIND:
        raise ModelLoadError(f"{str(directory)!r} was not written by kommune-matcher; retrain with `matcher train`")
    if card.get("format_version") != FORMAT_VERSION:
        raise ModelLoadError(f"model format {card.get('format_version')} found, this matcher reads {FORMAT_VERSION}; "
                             "retrain with `matcher train`")
    return card


def load(directory: str | Path) -> MatchModel:
    """The model in `directory`; ModelLoadError with what to do when it is missing, half-written or foreign."""
    directory = Path(directory)
    read_card(directory)
    try:
        model = joblib.load(directory / ARTIFACT)
    except FileNotFoundError:
        raise ModelLoadError(f"{str(directory)!r} lacks {ARTIFACT}: it is half-written; retrain with "
                             "`matcher train`") from None
    except Exception as exc:  # a truncated or foreign pickle fails in many ways
        raise ModelLoadError(f"{str(directory / ARTIFACT)!r} cannot be read ({type(exc).__name__}); retrain with "
                             "`matcher train`") from None
    if not isinstance(model, MatchModel):
        raise ModelLoadError(f"{str(directory / ARTIFACT)!r} holds no kommune-matcher model; retrain")
    if model.encoder is not None and check_encoder(model.encoder) is None:
        model = replace(model, encoder=None)  # check_encoder has warned: lexical signals only
    return model
