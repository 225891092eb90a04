"""Service settings, read once from the environment (set by `matcher serve`)."""
from __future__ import annotations

import os
from dataclasses import dataclass

from matcher import limits


@dataclass(frozen=True)
class Settings:
    model_dir: str | None
    max_body_bytes: int = limits.MAX_BODY_BYTES
    cache_size: int = 1024

    @classmethod
    def from_env(cls) -> "Settings":
        return cls(model_dir=os.environ.get("KOMMUNE_MATCHER_MODEL"),
                   cache_size=int(os.environ.get("KOMMUNE_MATCHER_CACHE_SIZE", "1024")))
