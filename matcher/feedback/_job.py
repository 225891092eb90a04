"""`matcher refit`: the served model's weights refitted on the verdicts stored beside it, written as a new model
version atomically (as `train` writes one), or the model kept with the reason."""
from __future__ import annotations

from datetime import datetime, timezone
from pathlib import Path

from ..core import Problem, UnavailableError
from ..coverage import default_demand_db
from ..model import load, read_card, read_encodings, save
from ._refit import PRIOR_STRENGTH, RefitOutcome, refit_weights
from ._store import FeedbackStore


def refit(model_dir: str | Path, feedback_db: str | None = None, *, min_feedback: int = 30,
          strength: float = PRIOR_STRENGTH) -> RefitOutcome:
    """Refit the model's blend weights on its stored person verdicts; save a new version when the guard adopts
    them (the model card says how many verdicts and lists, and the held-out figures before and after)."""
    card = read_card(model_dir)
    model = load(model_dir)
    url = feedback_db or default_demand_db(model_dir)
    try:
        stored = FeedbackStore(url, retention_days=0).read(kind="person")
    except Exception as exc:  # a URL that is no URL, a missing driver, a server that does not answer
        raise UnavailableError([Problem(("feedback_db",), f"cannot read the feedback {url!r}: "
                                        f"{type(exc).__name__}: {exc}".splitlines()[0], "unreadable")]) from None
    outcome = refit_weights(stored, model.weights, model.index, prior=model.feedback, min_feedback=min_feedback,
                            strength=strength)
    if outcome.adopted:
        now = datetime.now(timezone.utc).isoformat(timespec="seconds")
        history = [*card.get("refits", []), {"at": now, **outcome.to_dict(), "previous_weights": card["weights"]}]
        refitted = model.but(weights=outcome.weights, feedback=outcome.prior,
                             card={**model.card, "created": now, "refits": history})
        save(refitted, model_dir, catalog_sha256=card.get("catalog_sha256"), encodings=read_encodings(model_dir))
    return outcome
