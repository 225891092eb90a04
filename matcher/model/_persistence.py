"""Saving and loading a model directory: written atomically, with a model card, refused when foreign or stale."""
from __future__ import annotations

import glob
import json
import os
import shutil
import socket
import tempfile
from dataclasses import replace
from importlib import metadata
from pathlib import Path

import joblib
import numpy as np

from ..core import ModelLoadError, ModelSaveError
from ..text import check_encoder
from ._model import MatchModel

FORMAT_VERSION = 5  # 2: offers encoded with their field labels, a second role; 3: classes in subpackages;
# 4: the classes in fewer modules (their pickled paths changed); 5: the region partitions and HNSW graphs (issue 23), the feedback signal (issue 22)
KIND = "kommune-matcher-model"
CARD, ARTIFACT = "model.json", "model.joblib"
ENCODINGS = "encodings.npz"  # embeddings by content key, for the next retrain (never loaded to serve)
WRITER = ".writer"  # in a version directory while a save writes it: {"pid", "host"}


def package_version() -> str:
    try:
        return metadata.version("kommune-matcher")
    except metadata.PackageNotFoundError:
        return "unknown"


def save(model: MatchModel, directory: str | Path, *, catalog_sha256: str | None = None,
         encodings: dict | None = None) -> Path:
    """Write the model so that readers only ever see a complete one, and swap it in atomically.

    `directory` becomes a symbolic link to a sibling version directory (.NAME.v-...); a new model is written
    beside it and the link is replaced in one rename, so a running service reloads either the old model or
    the new one, never a mix. A path that holds anything but a kommune-matcher model is refused, not replaced.
    Version directories that a save killed mid-write left behind are swept first (sweep_unfinished).

    encodings: kept beside the model for the next retrain; by default the ones the model was fitted with.
    """
    directory = Path(directory)
    if directory.exists() or directory.is_symlink():
        _check_replaceable(directory)
    encodings = model.encodings if encodings is None else encodings
    card = {"kind": KIND, "format_version": FORMAT_VERSION, "package_version": package_version(),
            "catalog_sha256": catalog_sha256, "weights": model.weights.to_dict(), **model.card}
    try:
        directory.parent.mkdir(parents=True, exist_ok=True)
        sweep_unfinished(directory)
        version = Path(tempfile.mkdtemp(prefix=f".{directory.name}.v-", dir=directory.parent))
        # who writes this version: a save that is killed leaves it, and the next one knows it may go
        (version / WRITER).write_text(json.dumps({"pid": os.getpid(), "host": socket.gethostname()}),
                                      encoding="utf-8")
    except OSError as exc:
        raise _cannot_write(directory, exc) from exc
    link = directory.parent / f".{directory.name}.link-{version.name.rsplit('-', 1)[-1]}"
    try:
        # uncompressed, so that load maps the matrices from disk: a request reads only the rows it needs
        joblib.dump(model, version / ARTIFACT)
        if encodings:
            keys = sorted(encodings)
            with open(version / ENCODINGS, "wb") as f:
                np.savez(f, keys=np.array(keys), rows=np.array([encodings[k] for k in keys], dtype=np.float32))
            os.chmod(version / ENCODINGS, 0o644)
        # The card is written last: a directory with a card is complete.
        (version / CARD).write_text(json.dumps(card, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
        os.chmod(version, 0o755)
        os.chmod(version / ARTIFACT, 0o644)
        os.chmod(version / CARD, 0o644)
        os.symlink(version.name, link)
        previous = directory.resolve() if directory.is_symlink() else None
        if directory.is_dir() and not directory.is_symlink():  # a model written by an older layout
            aside = directory.parent / f".{directory.name}.old-{version.name.rsplit('-', 1)[-1]}"
            os.rename(directory, aside)
            previous = aside
        os.replace(link, directory)  # the atomic swap
    except BaseException as exc:
        link.unlink(missing_ok=True)
        shutil.rmtree(version, ignore_errors=True)
        if isinstance(exc, OSError):  # a full disk, a read-only folder: say so, not how joblib noticed
            raise _cannot_write(directory, exc) from exc
        raise
    try:
        (version / WRITER).unlink()  # complete and in place
    except OSError:
        pass  # it is what `directory` points at: never swept
    if previous is not None and previous != version:
        shutil.rmtree(previous, ignore_errors=True)
    return directory


def sweep_unfinished(directory: str | Path) -> list[Path]:
    """Delete the version directories (and their links) of saves into `directory` that were killed mid-write.

    Only what a save wrote is touched: a sibling `.NAME.v-*` directory that still holds the writer's note, whose
    writer ran on this machine and is no longer alive, and that `directory` does not point at. A save under way
    in another process (its writer alive), a directory of another machine (shared storage) and anything else are
    left alone. Returns what was deleted.
    """
    directory = Path(directory)
    current = directory.resolve() if directory.is_symlink() else None
    host, swept = socket.gethostname(), []
    for version in directory.parent.glob(f".{glob.escape(directory.name)}.v-*"):
        try:
            writer = json.loads((version / WRITER).read_text(encoding="utf-8"))
            pid, same_host = int(writer["pid"]), writer["host"] == host
        except (OSError, ValueError, KeyError, TypeError):
            continue  # not one of ours, or complete
        if version.is_symlink() or version.resolve() == current or not same_host or _alive(pid):
            continue
        link = directory.parent / f".{directory.name}.link-{version.name.rsplit('-', 1)[-1]}"
        if link.is_symlink():
            link.unlink(missing_ok=True)
        shutil.rmtree(version, ignore_errors=True)
        swept.append(version)
    return swept


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # alive, another user's
        return True
    return True


def _cannot_write(directory: Path, exc: OSError) -> ModelSaveError:
    kept = "the previous model is kept" if directory.exists() else "nothing was written"
    return ModelSaveError(f"cannot write the model beside {str(directory)!r}: {exc.strerror or exc}; {kept}")


def _check_replaceable(directory: Path) -> None:
    """Only a model of ours (of any format version) may be replaced."""
    try:
        card = json.loads((directory / CARD).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        card = None
    if not isinstance(card, dict) or card.get("kind") != KIND:
        raise ModelLoadError(f"refusing to replace {str(directory)!r}: it is not a kommune-matcher model "
                             "directory; choose another --model path")


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


def read_encodings(directory: str | Path) -> dict:
    """The embeddings a model directory keeps for the next retrain, by content key; {} when it has none (or they
    cannot be read: then everything is encoded again, nothing else changes)."""
    path = Path(directory) / ENCODINGS
    try:
        with np.load(path, allow_pickle=False) as data:
            return dict(zip(data["keys"].tolist(), data["rows"]))
    except (OSError, ValueError, KeyError):
        return {}


def load(directory: str | Path) -> MatchModel:
    """The model in `directory`; ModelLoadError with what to do when it is missing, half-written or foreign."""
    directory = Path(directory)
    read_card(directory)
    try:
        model = joblib.load(directory / ARTIFACT, mmap_mode="r")
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
