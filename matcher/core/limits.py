"""Input limits, defined once; the CLI, the HTTP schema and the docs read them here; and the process's BLAS threads."""
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


@dataclass(frozen=True)
class Setting:
    """One setting of the service: its name (service.settings.Settings), default, environment variable, help, and
    the `matcher serve` option that sets it (None: the environment only; no env: the command line only).

    minimum: the least whole number allowed; argparse checks an option's, the service a setting without option.
    default_text: how the docs name a default that is derived (a file beside the model directory).
    """

    name: str
    default: object
    help: str
    flag: str | None = None
    env: str | None = "derived"
    type: type = str
    minimum: int | None = None
    default_text: str | None = None

    @property
    def variable(self) -> str | None:
        """The environment variable, KOMMUNE_MATCHER_<NAME> unless named otherwise."""
        return f"KOMMUNE_MATCHER_{self.name.upper()}" if self.env == "derived" else self.env

    def to_env(self, value) -> str:
        return ("true" if value else "false") if self.type is bool else str(value)


BESIDE_THE_MODEL = "a SQLite file beside the model directory"
SETTINGS = (
    Setting("model_dir", None, "the model directory to serve (written by `matcher train`)", flag="--model",
            env="KOMMUNE_MATCHER_MODEL"),
    Setting("host", "127.0.0.1", "address to listen on", flag="--host", env=None),
    Setting("port", 8000, "port to listen on", flag="--port", env=None, type=int),
    Setting("workers", 1, "worker processes (each loads the model)", flag="--workers", env=None, type=int),
    Setting("demand_db", None, "SQLAlchemy URL of the demand log, e.g. postgresql+psycopg://user@host/db; '' for "
            "none", flag="--demand-db", default_text=f"{BESIDE_THE_MODEL} (demand.sqlite)"),
    Setting("feedback_db", None, "SQLAlchemy URL where verdicts (\"passt\" / \"passt nicht\") are kept, read by "
            "`matcher refit`; '' for none (POST /feedback then answers 503)", flag="--feedback-db",
            default_text=f"{BESIDE_THE_MODEL} (demand.sqlite, the demand log's)"),
    Setting("demand_profiles", None, "a profiles file (e.g. a survey) counted as demand on /coverage and /anbieter",
            flag="--profiles"),
    Setting("demand_retention_days", 365, "days the demand log and the verdicts keep (0 = forever)", flag="--retention-days",
            type=int, minimum=0),
    Setting("max_waiting", MAX_WAITING, f"engine requests in the service at once, per worker, before it answers 503 "
            f"with Retry-After (default {MAX_WAITING}: an admitted request is answered well within 2 s)",
            flag="--max-waiting", type=int, minimum=1),
    Setting("semantic", True, "false: the fast mode, lexical signals only (`serve --no-semantic`)",
            flag="--no-semantic", type=bool),
    Setting("searches_db", None, "SQLAlchemy URL of the saved searches (personal data, stored on consent); '' for "
            "none", default_text=f"{BESIDE_THE_MODEL} (searches.sqlite, as `matcher alerts` reads it)"),
    Setting("searches_key_file", None, "the key the saved searches' links are derived from (a file the database "
            "never holds)", default_text="searches.key beside the model directory"),
    Setting("searches_retention_days", 180, "days a saved search is kept unless deleted before", type=int,
            minimum=1),
    Setting("max_body_bytes", MAX_BODY_BYTES, "largest request body; beyond it 413", type=int),
    Setting("cache_size", 1024, "results kept by request (matcher.ranking.CachedRecommender)", type=int),
    Setting("query_cache_size", 4096, "query embeddings kept by text (matcher.text.QueryCache)", type=int),
    Setting("reload_seconds", 10.0, "how often to look for a model that `matcher train` swapped in; 0: never",
            type=float),
    Setting("drain_seconds", 2.0, "on SIGTERM, new requests get 503 this long before the shutdown", type=float),
)


def settings_table() -> str:
    """The settings as a Markdown table, for docs/reference.md (a test keeps the two the same)."""
    rows = ["| setting | `matcher serve` | environment variable | default | what it is |", "| --- | --- | --- | --- | --- |"]
    for s in SETTINGS:
        default = s.default_text or ("none" if s.default is None else f"`{s.default}`")
        rows.append(f"| {s.name} | {f'`{s.flag}`' if s.flag else '–'} | {f'`{s.variable}`' if s.variable else '–'} "
                    f"| {default} | {s.help} |")
    return "\n".join(rows) + "\n"


def one_blas_thread() -> None:
    """Run BLAS on one thread in this process (the CLI, the service and each Spark worker call it). The engine's
    products are matrix-vector products, a request at a time: OpenBLAS's threads bring little there, and where two
    requests, the encoder or other processes share the cores they wait on each other (100,000 offers on a busy
    machine: p50 84 ms per request with them, 37 ms without). The encoder has threads of its own, not BLAS's."""
    from threadpoolctl import threadpool_limits
    threadpool_limits(1, user_api="blas")
