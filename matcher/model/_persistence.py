"""Saving and loading a model directory: written atomically, with a model card, refused when foreign or stale."""
from __future__ import annotations

import glob
import json
import os
import pickle
import shutil
import socket
import tempfile
from collections.abc import Mapping
from importlib import metadata
from pathlib import Path

import joblib
import numpy as np

from ..core import ModelLoadError, ModelSaveError
from ..text import KeptEncodings, check_encoder, content_key
from ._model import KEPT_VIEWS, MatchModel, OffersApart, read_offers, write_offers

FORMAT_VERSION = 9  # 2: offers encoded with their field labels, a second role; 3: classes in subpackages;
# 4: the classes in fewer modules (their pickled paths changed); 5: the region partitions and HNSW graphs (issue 23), the
# feedback signal (issue 22); 6: the offers' embeddings in a file of their own, read by the model and the next retrain;
# 7: the offers packed by column and the request's views kept (a tenth of the load time); 8: the offers in a file of
# their own, written a chunk at a time, their strings other than ASCII as UTF-8 bytes (train memory); 9: what the
# vectorizers and classifiers learned as plain data, no scikit-learn objects (loading never imports scikit-learn)
READABLE = (6, 7, 8, 9)  # format 6 loads as it is: its offers unpacked the slow way, its views built on first use
KIND = "kommune-matcher-model"
CARD, ARTIFACT = "model.json", "model.joblib"
OFFERS = "offers.bin"  # the offers, packed (model.write_offers); the artifact says where each chunk ends
EMBEDDINGS = "embeddings.npy"  # the offers' embeddings, row i of offer i: memory-mapped to serve, reused to retrain
ENCODINGS = "encodings.npz"  # the keys of those rows and the other embeddings by content key, for the next retrain
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
        with open(version / OFFERS, "wb") as f:  # a chunk at a time: never all of them packed in memory
            apart = write_offers(model.offers, f)
        # uncompressed, so that load maps the matrices from disk: a request reads only the rows it needs
        joblib.dump(_apart(model, apart), version / ARTIFACT)
        if model.embeddings is not None:
            np.save(version / EMBEDDINGS, np.asarray(model.embeddings, dtype=np.float32))
            os.chmod(version / EMBEDDINGS, 0o644)
        if encodings:
            _save_encodings(version / ENCODINGS, model, encodings)
        # The card is written last: a directory with a card is complete.
        (version / CARD).write_text(json.dumps(card, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
        os.chmod(version, 0o755)
        os.chmod(version / ARTIFACT, 0o644)
        os.chmod(version / OFFERS, 0o644)
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


def _apart(model: MatchModel, offers: OffersApart) -> MatchModel:
    """The model as pickled into the artifact: its embeddings and its offers go to files of their own (shallow copy,
    so the views cached on it, such as the transposed word matrix, are pickled as they are; they are built first,
    from the offers, which the copy lacks)."""
    for name in KEPT_VIEWS:
        getattr(model, name)
    shallow = object.__new__(MatchModel)  # not copy.copy: that would pickle the offers and unpickle them
    shallow.__dict__.update(model.__dict__, embeddings=None, offers=offers)
    return shallow


def _passage_keys(model: MatchModel) -> np.ndarray:
    """The content key of each offer's passage: the key of row i of the embeddings file."""
    name = model.card.get("encoder")
    keys = np.empty(len(model.offers) if name else 0, dtype="S64")
    for start in range(0, len(keys), KEY_CHUNK):  # the passages' texts a chunk at a time
        keys[start:start + KEY_CHUNK] = [content_key(name, "passage", o.passage)
                                         for o in model.offers[start:start + KEY_CHUNK]]
    return keys


KEY_CHUNK = 8_192


def _save_encodings(path: Path, model: MatchModel, encodings: Mapping[str, np.ndarray]) -> None:
    """The keys of the embeddings file's rows, and every other embedding with its key: each row is kept once.

    Encodings whose rows are those of the embeddings file (a fit's own, or those read from the directory that held
    this catalog's model) keep only their other rows; any others are written whole, keys and rows."""
    passage_keys = _passage_keys(model) if model.embeddings is not None else np.empty(0, dtype="S64")
    if isinstance(encodings, KeptEncodings) and np.array_equal(encodings.row_keys, passage_keys):
        others = encodings.extra
    else:  # rows not encoded from this model's passages: kept as they are
        passage_keys, others = np.empty(0, dtype="S64"), encodings
    keys = sorted(others)
    with open(path, "wb") as f:
        np.savez(f, keys=np.array(keys, dtype="S64"), passage_keys=passage_keys,
                 rows=np.array([others[k] for k in keys], dtype=np.float32).reshape(len(keys), -1))
    os.chmod(path, 0o644)


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
    if card.get("format_version") not in READABLE:
        older = ", ".join(str(v) for v in READABLE if v != FORMAT_VERSION)
        raise ModelLoadError(f"model format {card.get('format_version')} found, this matcher reads {FORMAT_VERSION} "
                             f"(and {older}); retrain with `matcher train`")
    return card


def _unwrap_maps(model: MatchModel) -> None:
    """The memory-mapped arrays as plain arrays over the same mapped memory: indexing a numpy memmap costs about
    20 microseconds in bookkeeping, a hundred times per request (100,000 offers: 2 ms of 15)."""
    for matrix in (model.word_matrix, model.char_matrix, model.__dict__.get("word_columns")):
        if matrix is not None:
            matrix.data, matrix.indices, matrix.indptr = (np.asarray(a) for a in (matrix.data, matrix.indices,
                                                                                  matrix.indptr))
    for name in ("embeddings", *KEPT_VIEWS):
        if isinstance(model.__dict__.get(name), np.ndarray):
            model.__dict__[name] = np.asarray(model.__dict__[name])


def read_encodings(directory: str | Path) -> Mapping[str, np.ndarray]:
    """The embeddings a model directory keeps for the next retrain, by content key (the embeddings file's rows mapped,
    not read); {} when it has none (or they cannot be read: then everything is encoded again, nothing else changes)."""
    directory = Path(directory)
    try:
        with np.load(directory / ENCODINGS, allow_pickle=False) as data:
            others = dict(zip(data["keys"].astype(str).tolist(), data["rows"]))
            passage_keys = data["passage_keys"] if "passage_keys" in data else np.empty(0, dtype="S64")
        rows = np.load(directory / EMBEDDINGS, mmap_mode="r") if len(passage_keys) else np.empty((0, 0), np.float32)
        if len(rows) != len(passage_keys):
            return {}
        return KeptEncodings(passage_keys, rows, others)
    except (OSError, ValueError, KeyError):
        return {}


READ_BLOCK = 1 << 24  # bytes read at a time by read_ahead


def read_ahead(directory: str | Path) -> bool:
    """Read a model directory's files once, so that the page cache holds them before the model serves: a request reads
    a few scattered rows of each mapped array, and left to the requests a large model warms up over thousands of
    them (1,000,000 offers, files not cached, the 40 requests right after load: p50 180 ms, max 4.5 s; read ahead
    first, 12 s more: p50 124 ms, max 0.6 s). The service reads ahead before it reports ready or swaps a new model
    in. Nothing is read (False) when the files would not fit into half the memory the system has available."""
    files = [f for f in (Path(directory) / name for name in (ARTIFACT, OFFERS, EMBEDDINGS)) if f.exists()]
    try:
        size = sum(f.stat().st_size for f in files)
        available = os.sysconf("SC_AVPHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
        if not files or size > available // 2:
            return False
        for f in files:
            with open(f, "rb", buffering=0) as stream:
                while stream.read(READ_BLOCK):
                    pass
    except (OSError, ValueError):  # replaced meanwhile, or no such figure here: the requests read what they need
        return False
    return True


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
    if isinstance(model.offers, OffersApart):
        try:
            model.__dict__["offers"] = read_offers(np.memmap(directory / OFFERS, dtype=np.uint8, mode="r"),
                                                   model.offers)
        except (OSError, ValueError, pickle.UnpicklingError, EOFError):
            raise ModelLoadError(f"{str(directory / OFFERS)!r} is missing or cannot be read; retrain with "
                                 "`matcher train`") from None
    if (directory / EMBEDDINGS).exists():
        try:
            embeddings = np.load(directory / EMBEDDINGS, mmap_mode="r")
        except (OSError, ValueError):
            raise ModelLoadError(f"{str(directory / EMBEDDINGS)!r} cannot be read; retrain with `matcher train`") from None
        if embeddings.shape[0] != len(model.offers):
            raise ModelLoadError(f"{str(directory / EMBEDDINGS)!r} does not fit the model; retrain with `matcher train`")
        object.__setattr__(model, "embeddings", embeddings)  # in place: the views mapped from the artifact stay
    _unwrap_maps(model)
    if model.encoder is not None and check_encoder(model.encoder) is None:
        model = model.but(encoder=None)  # check_encoder has warned: lexical signals only
    return model
