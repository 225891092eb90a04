"""Input limits, defined once; the CLI, the HTTP schema and the docs read them here."""
from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Limit:
    name: str
    value: int
    help: str


DEFAULT_TOP_K = 10
MAX_TOP_K = 50
MAX_NEEDS_CHARS = 5000
MAX_ROLE_TITLE_CHARS = 200
MAX_FIELDS = 10
MAX_TEXT_CHARS = 10000
MAX_BODY_BYTES = 1024 * 1024
MIN_MEMBERS, MAX_MEMBERS = 2, 12
# engine requests a service worker holds at once (two running, the rest waiting); beyond it 503 + Retry-After.
# At 10 to 16 requests a second on 2 cores (benchmarks/reliability.md), 8 in line are answered well within 2 s.
MAX_WAITING = 8

LIMITS = (
    Limit("top_k", MAX_TOP_K, f"number of offers returned: 1 to {MAX_TOP_K}, default {DEFAULT_TOP_K}"),
    Limit("needs", MAX_NEEDS_CHARS, f"needs text: at most {MAX_NEEDS_CHARS} characters"),
    Limit("role_title", MAX_ROLE_TITLE_CHARS, f"job title: at most {MAX_ROLE_TITLE_CHARS} characters"),
    Limit("fields", MAX_FIELDS, f"field codes per profile: at most {MAX_FIELDS}"),
    Limit("offer_text", MAX_TEXT_CHARS, f"offer title or description: at most {MAX_TEXT_CHARS} characters"),
    Limit("body", MAX_BODY_BYTES, f"HTTP request body: at most {MAX_BODY_BYTES} bytes"),
    Limit("members", MAX_MEMBERS, f"members of a team: {MIN_MEMBERS} to {MAX_MEMBERS}"),
    Limit("waiting", MAX_WAITING, f"recommendation requests in the service at once: {MAX_WAITING} by default "
                                  "(`serve --max-waiting`); beyond it 503 with Retry-After"),
)
