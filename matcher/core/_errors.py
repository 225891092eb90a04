"""Error types: every input problem is a Problem with a location, a message and a stable type slug.

    ValueError
     └── MatcherInputError        bad catalog record or profile (the data's fault); carries .problems
          └── ArgumentError       a bad argument of the call: top_k, provider, output path (the caller's fault)
    RuntimeError
     └── UnavailableError         something outside the input failed: Spark, Java, a database; carries .problems
    ValueError, AttributeError
     └── NotFittedError           an estimator was used before fit
    OSError
     ├── ModelLoadError           a model directory that is missing, half-written or of another format
     └── ModelSaveError           a model that cannot be written (disk full, no permission); the old one is kept
"""
from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Problem:
    """One thing wrong with an input.

    loc: where, e.g. (17, "fields", 0) = line 17, fields[0]; ("profile", "region").
    msg: what is wrong, what was expected and what came in.
    type: stable slug for programs: "unknown_code", "duplicate_id", "empty", "too_long", ...
    sheet: the worksheet of an Excel file; loc then starts with the row number and the column header as written.
    """

    loc: tuple[str | int, ...]
    msg: str
    type: str
    sheet: str | None = None

    def to_dict(self) -> dict:
        out = {"loc": list(self.loc), "msg": self.msg, "type": self.type}
        return {**out, "sheet": self.sheet} if self.sheet is not None else out

    def __str__(self) -> str:
        where = _render_sheet_loc(self.sheet, self.loc) if self.sheet is not None else _render_loc(self.loc)
        return f"{where}: {self.msg}" if where else self.msg


def _render_sheet_loc(sheet: str, loc: tuple[str | int, ...]) -> str:
    """("Angebote", (17, "Handlungsfelder", 0)) -> "sheet 'Angebote', row 17, column 'Handlungsfelder' [0]"."""
    parts = [f"sheet {sheet!r}"]
    if loc and isinstance(loc[0], int):
        parts.append(f"row {loc[0]}")
        loc = loc[1:]
    if loc:
        parts.append(f"column {loc[0]!r}" + "".join(f" [{p}]" for p in loc[1:]))
    return ", ".join(parts)


def _render_loc(loc: tuple[str | int, ...]) -> str:
    """(17, "fields", 0) -> 'line 17: fields[0]'; ("profile", "region") -> 'profile.region'."""
    parts = list(loc)
    line = f"line {parts.pop(0)}" if parts and isinstance(parts[0], int) else ""
    path = ""
    for part in parts:
        path += f"[{part}]" if isinstance(part, int) else (f".{part}" if path else str(part))
    return f"{line}: {path}" if line and path else line or path


class MatcherInputError(ValueError):
    """Raised when an input cannot be used; .problems lists every problem found, not only the first."""

    def __init__(self, problems: list[Problem] | tuple[Problem, ...]):
        self.problems = tuple(problems)
        super().__init__("; ".join(str(p) for p in self.problems))


class ArgumentError(MatcherInputError):
    """Raised when an argument of a call (not a record of a file) is wrong; the command line calls it usage."""


class UnavailableError(RuntimeError):
    """Raised when what the work needs around it is not there (Spark without Java, a database that does not
    answer); the input may be fine. .problems says what and where, like MatcherInputError."""

    def __init__(self, problems: list[Problem] | tuple[Problem, ...]):
        self.problems = tuple(problems)
        super().__init__("; ".join(str(p) for p in self.problems))


class NotFittedError(ValueError, AttributeError):
    """Raised when an estimator is used before fit."""


class ModelLoadError(OSError):
    """Raised when a model directory cannot be loaded; the message says why and what to do."""


class ModelSaveError(OSError):
    """Raised when a model cannot be written; the previous model in that directory is left as it was."""
