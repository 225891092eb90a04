"""The `matcher` command line: argparse and one library call per subcommand.

Exit codes, chosen by the type of error: 0 ok; 1 bad data (MatcherInputError, ModelLoadError; reported, good
records kept); 2 usage (ArgumentError, argparse) or an engine that cannot run (UnavailableError: Spark without
Java, a database that does not answer); 3 the result cannot be stored (ModelSaveError: a full disk; the previous
model is kept).
"""
from __future__ import annotations

import argparse
import json
import logging
import sys

from .core import (FIELDS, STATES, ArgumentError, MatcherInputError, ModelLoadError, ModelSaveError, Problem,
                   UnavailableError, check_top_k, limits, unknown_code_message)

__all__ = ["BAD_DATA", "CANNOT_WRITE", "OK", "USAGE", "build_parser", "main"]

OK, BAD_DATA, USAGE = 0, 1, 2
CANNOT_WRITE = 3  # the machine refused (disk full, no permission): neither the data's fault nor the call's
GRACEFUL_SHUTDOWN_SECONDS = 30  # on SIGTERM, requests in flight get this long to finish


def _report(problems, stream=None) -> None:
    for problem in problems:
        print(f"  {problem}", file=stream or sys.stderr)


def _report_one(problem) -> None:
    _report([problem])


def _load(args):
    from .model import load
    model = load(args.model)
    return model if getattr(args, "semantic", True) else model.lexical()


def cmd_validate(args) -> int:
    from .io import read_catalog
    try:
        offers, problems = read_catalog(args.catalog, sheet=args.sheet)
    except MatcherInputError as exc:
        offers, problems = [], list(exc.problems)
    if args.format == "json":
        print(json.dumps({"file": args.catalog, "valid_records": len(offers),
                          "problems": [p.to_dict() for p in problems]}, ensure_ascii=False, indent=2))
    elif problems:
        print(f"{args.catalog}: {len(offers)} valid records, {len(problems)} problems:")
        _report(problems, sys.stdout)
    else:
        print(f"{args.catalog}: {len(offers)} valid records, no problems")
    return BAD_DATA if problems else OK


def _skipped(catalog, problems) -> None:
    if problems:
        print(f"{catalog}: {len(problems)} bad records skipped:", file=sys.stderr)
        _report(problems)


def cmd_train(args) -> int:
    from .batch import train
    try:
        done = train(args.catalog, args.model, sheet=args.sheet)
    except MatcherInputError as exc:
        *skipped, last = exc.problems
        _skipped(args.catalog, skipped if last.type == "no_offers" else [])
        print(f"error: {last if last.type == 'no_offers' else exc}", file=sys.stderr)
        return BAD_DATA
    _skipped(args.catalog, done.problems)
    how = (f"with semantic encoder: {done.encoded} offers encoded, {done.reused} reused" if done.semantic
           else "WITHOUT semantic encoder")
    print(f"trained on {done.offers} offers ({how}), model written to {args.model}")
    return BAD_DATA if done.problems else OK


def cmd_refit(args) -> int:
    from .feedback import refit
    outcome = refit(args.model, args.feedback_db, min_feedback=args.min_feedback)
    used = f"{outcome.verdicts} verdicts from {outcome.lists} result lists ({outcome.skipped} left out)"
    if outcome.adopted:
        print(f"refitted on {used}: {outcome.reason}; new model version written to {args.model}")
    else:
        print(f"model kept ({used}): {outcome.reason}")
    return OK


def cmd_recommend(args) -> int:
    from .core import parse_profile
    from .io import offer_summary, render_result, result_to_dict
    from .ranking import recommend
    model = _load(args)
    raw = {"role": args.role, "role_title": args.role_title, "fields": args.fields, "needs": args.needs,
           "region": args.region, "format_preference": args.format_preference}
    try:
        profile = parse_profile({k: v for k, v in raw.items() if v is not None})
    except MatcherInputError as exc:  # the profile comes from the arguments
        raise ArgumentError(exc.problems) from None
    result = recommend(model, profile, args.top_k, first_stage=_first_stage(args))
    if not args.json:
        lead = "" if model.semantic else "Schneller Modus: ohne Sprachmodell, nur Wortvergleich (--no-semantic)\n\n"
        print(lead + render_result(result))
        return OK
    record = {**result_to_dict(result), "mode": model.mode}
    for rec, full in zip(record["recommendations"], result.recommendations):
        rec.update(offer_summary(full.offer))
    print(json.dumps(record, ensure_ascii=False, indent=2))
    return OK


def _first_stage(args):
    from .ranking import DEFAULT_FIRST_STAGE
    return None if args.full_scoring else DEFAULT_FIRST_STAGE


def cmd_score(args) -> int:
    from .batch import score_file, score_file_spark
    model = _load(args)
    if args.engine == "spark":  # the executors map the model from its directory (shared storage on a cluster)
        counts = score_file_spark(args.model, args.profiles, args.out, top_k=args.top_k, on_problem=_report_one,
                                  master=args.spark_master, staging=args.spark_staging, semantic=args.semantic,
                                  sheet=args.sheet, first_stage=_first_stage(args))
    else:
        counts = score_file(model, args.profiles, args.out, top_k=args.top_k, on_problem=_report_one,
                            sheet=args.sheet, first_stage=_first_stage(args))
    print(f"scored {counts['records']} profiles into {args.out} ({model.mode} mode); {counts['bad']} bad profiles "
          "skipped", file=sys.stderr)
    return BAD_DATA if counts["bad"] else OK


def cmd_group(args) -> int:
    from .batch import group_file
    model = _load(args)
    counts = group_file(model, args.teams, args.out, top_k=args.top_k, aggregation=args.aggregation,
                        on_problem=_report_one, sheet=args.sheet)
    print(f"recommended for {counts['records']} teams into {args.out} ({model.mode} mode); {counts['bad']} bad "
          "teams skipped", file=sys.stderr)
    return BAD_DATA if counts["bad"] else OK


def cmd_template(args) -> int:
    from .io import write_template
    if not str(args.out).lower().endswith(".xlsx"):
        raise ArgumentError([Problem(("out",), f"the template is an Excel file: --out must end in .xlsx, got "
                                     f"{args.out!r}", "unknown_format")])
    write_template(args.out)
    print(f"template written to {args.out}: fill in one offer per row of the sheet 'Angebote', then run "
          f"'matcher validate {args.out}'", file=sys.stderr)
    return OK


def cmd_serve(args) -> int:
    import os

    import uvicorn

    from .model import read_card
    read_card(args.model_dir)  # fail fast, with the reason, before the server starts
    # the worker processes read the settings from the environment (service.settings)
    os.environ.update({s.variable: s.to_env(getattr(args, s.name)) for s in limits.SETTINGS
                       if s.flag and s.variable and getattr(args, s.name) is not None})
    print(f"serving {args.model_dir} on http://{args.host}:{args.port}/ (API docs at /docs)", file=sys.stderr)
    # The app is named by its import string: matcher never imports service (the README's layout).
    uvicorn.run("service.main:app_from_env", factory=True, host=args.host, port=args.port, workers=args.workers,
                log_level="warning", timeout_graceful_shutdown=GRACEFUL_SHUTDOWN_SECONDS)
    return OK


def cmd_alerts(args) -> int:
    from .alerts import send_alerts
    n = send_alerts(args.model, args.out, db=args.db, key_file=args.key_file, base_url=args.base_url,
                    semantic=args.semantic)
    # a summary only: the tokens are in the digests, for their recipients, never on stdout
    print(f"{n['searches']} of {n['active']} saved searches computed for this model, {n['new']} new offers "
          f"noticed; {n['digests']} digests ({n['offers']} offers) written to {args.out}; {n['purged']} expired "
          "searches deleted")
    if n["without_link"]:
        print(f"warning: {n['without_link']} searches have new offers but their links cannot be rebuilt with this "
              "key file; they stay unsent", file=sys.stderr)
    return OK


def cmd_coverage(args) -> int:
    from .coverage import write_gap_report
    report, demand = write_gap_report(args.model, args.out, profiles=args.profiles, sheet=args.sheet,
                                      demand_db=args.demand_db, field=args.field, region=args.region,
                                      reference_roles=args.reference_roles, on_problem=_report_one)
    print("\n".join(report.summary))
    print(f"report written to {args.out}", file=sys.stderr)
    return BAD_DATA if demand.bad else OK


def cmd_portfolio(args) -> int:
    from .coverage import DemandLog, write_provider_report
    from .feedback import FeedbackStore, read_responses
    feedback_db = args.feedback_db or args.demand_db
    responses = read_responses(DemandLog(args.demand_db, 0) if args.demand_db else None,
                               FeedbackStore(feedback_db, 0) if feedback_db else None)
    result, demand = write_provider_report(args.model, args.provider, args.out, profiles=args.profiles,
                                           sheet=args.sheet, demand_db=args.demand_db, responses=responses,
                                           on_problem=_report_one)
    print(f"{result.provider}: {result.offers} offers; {sum(g['could_fill'] for g in result.gaps)} underserved "
          f"cells without an offer of yours; written to {args.out}", file=sys.stderr)
    return BAD_DATA if demand.bad else OK


def _at_least(minimum: int):
    """An argparse type: a whole number of at least `minimum`."""
    def parse(value: str) -> int:
        try:
            number = int(value)
        except ValueError:
            number = minimum - 1
        if number < minimum:
            raise argparse.ArgumentTypeError(f"must be a whole number of {minimum} or more, got {value!r}")
        return number
    return parse


def _top_k(value: str) -> int:
    try:
        return check_top_k(value)
    except MatcherInputError as exc:
        raise argparse.ArgumentTypeError(exc.problems[0].msg) from None


def _code(what: str, codes):
    def check(value: str) -> str:
        if value in codes:
            return value
        raise argparse.ArgumentTypeError(unknown_code_message(value, what, tuple(codes)))
    return check


# options several subcommands share: (flags, keyword arguments of add_argument)
SHEET = ("--sheet", {"help": "for an Excel file: the sheet to read (default: its first visible sheet)"})
MODEL = ("--model", {"required": True})
OUT = ("--out", {"required": True, "help": "output file, .jsonl, .csv or .xlsx"})
TOP_K = ("--top-k", {"type": _top_k, "default": limits.DEFAULT_TOP_K,
                     "help": f"number of offers, 1 to {limits.MAX_TOP_K} (default {limits.DEFAULT_TOP_K})"})
NO_SEMANTIC = ("--no-semantic", {"dest": "semantic", "action": "store_false", "help": (
    "fast mode: rank on the lexical signals alone, with the weights fitted for them; no sentence encoder runs "
    "(several times the throughput, somewhat lower quality: benchmarks/results.md)")})
FULL_SCORING = ("--full-scoring", {"action": "store_true", "help": (
    "score every offer, as the reference does; by default catalogs of more than 20,000 offers are ranked on "
    "candidates first (docs/operations.md)")})
DEMAND = [("--profiles", {"help": "demand: a JSONL, CSV or Excel file of profiles (e.g. a survey)"}), SHEET,
          ("--demand-db", {"help": "demand: the service's demand log, e.g. sqlite:///models/demand.sqlite"}),
          ("--out", {"required": True, "help": "report file: .json, .csv, .xlsx or .html"})]


def _serve_options() -> list:
    """`matcher serve`'s options, from the settings table (matcher.limits.SETTINGS)."""
    options = []
    for s in limits.SETTINGS:
        if s.flag == "--no-semantic":
            options.append(NO_SEMANTIC)
        elif s.flag:
            kind = _at_least(s.minimum) if s.minimum is not None else (s.type if s.type is not str else None)
            extra = {"required": True} if s.name == "model_dir" else {"default": s.default}
            help_ = s.help + (f" (default: {s.default_text})" if s.default_text else "")
            options.append((s.flag, {"dest": s.name, "metavar": s.flag[2:].replace("-", "_").upper(), "type": kind,
                                     "help": help_, **extra}))
    return options


def _commands(teams) -> dict:
    """subcommand -> (handler, help, options)."""
    return {
        "validate": (cmd_validate, "report problems of a catalog (.jsonl, .csv, .xlsx); exit 1 if any record is bad",
                     [("catalog", {}), ("--format", {"choices": ("text", "json"), "default": "text"}), SHEET]),
        "train": (cmd_train, "fit a model on a catalog (.jsonl, .csv, .xlsx) and write it atomically",
                  [("--catalog", {"required": True}), MODEL, SHEET]),
        "refit": (cmd_refit, "fit the blend's weights again on the verdicts people gave (\"passt\" / \"passt nicht\"); "
                             "a new model version only when it orders held-out verdicts better", [
            MODEL, ("--feedback-db", {"help": "SQLAlchemy URL of the verdicts (default: the service's, sqlite beside "
                                              "the model directory)"}),
            ("--min-feedback", {"type": _at_least(1), "default": 30,
                                "help": "usable verdicts needed before a refit is tried (default 30)"})]),
        "template": (cmd_template, "write the Excel template for a catalog (German headers, dropdowns)",
                     [("--out", {"required": True, "help": "file to write, e.g. angebote.xlsx"})]),
        "recommend": (cmd_recommend, "offers for one person", [
            MODEL, ("--role-title", {"help": "job title in your own words, e.g. 'Jugendhilfeplanerin'"}),
            ("--role", {"help": "role code, overrides the role read from the title"}),
            ("--fields", {"help": "field codes, comma separated, e.g. beteiligung,kinder_jugend"}),
            ("--needs", {"required": True, "help": "what you need, in your own words"}),
            ("--region", {"help": "state code, e.g. NW"}),
            ("--format-preference", {"help": "praesenz, online or hybrid (a preference, not a filter)"}),
            TOP_K, ("--json", {"action": "store_true", "help": "print JSON instead of a table"}), NO_SEMANTIC,
            FULL_SCORING]),
        "score": (cmd_score, "batch: offers for every profile of a JSONL, CSV or Excel file", [
            ("profiles", {}), SHEET,
            ("--engine", {"choices": ("local", "spark"), "default": "local", "help": (
                "where to score: local (streamed in chunks on this machine) or spark (Apache Spark; needs the "
                "extra [spark] and Java 17+); both write the same file")}),
            ("--spark-master", {"help": "Spark master URL for --engine spark (default: spark-submit's --master, "
                                        "else local[*])"}),
            ("--spark-staging", {"help": "directory every Spark executor can read, for the checked profiles "
                                         "(default: a temp dir)"}),
            MODEL, OUT, TOP_K, NO_SEMANTIC, FULL_SCORING]),
        "group": (cmd_group, "batch: offers each team of a file can take up together (JSONL; or CSV or Excel, one "
                             "member per row with a column 'Team')", [
            ("teams", {}), SHEET, MODEL, OUT, TOP_K,
            ("--aggregation", {"choices": tuple(teams.AGGREGATIONS), "default": teams.DEFAULT_AGGREGATION,
                               "help": f"how members' fit is combined (default {teams.DEFAULT_AGGREGATION}, the "
                                       "benchmark's choice)"}), NO_SEMANTIC]),
        "coverage": (cmd_coverage, "report of underserved roles per field (.json .csv .html)", [
            MODEL, *DEMAND, ("--field", {"type": _code("field", FIELDS), "help": "one field code"}),
            ("--region", {"type": _code("region", STATES), "help": "one state code"}),
            ("--reference-roles", {"help": "a reference mix of roles (JSONL or CSV: role;count, e.g. staff counts) "
                                           "to set the supply against, also without demand"})]),
        "portfolio": (cmd_portfolio, "where one provider's offers sit, which gaps it could fill", [
            MODEL, *DEMAND, ("--provider", {"required": True, "help": "provider name as in the catalog"}),
            ("--feedback-db", {"help": "the verdicts, counted per offer (default: the --demand-db database)"})]),
        "alerts": (cmd_alerts, "after a retrain: each saved search's new offers, one digest per search (HTML and "
                               "text, German) for whoever sends mail", [
            MODEL, ("--db", {"help": "SQLAlchemy URL of the saved searches (default: sqlite beside the model "
                                     "directory, as the service keeps them)"}),
            ("--key-file", {"help": "the key the search links are derived from (default: beside the model)"}),
            ("--out", {"required": True, "help": "folder for the digests: <search id>.html and .txt each"}),
            ("--base-url", {"default": "http://127.0.0.1:8000",
                            "help": "the service's public address, for the links in the digests"}), NO_SEMANTIC]),
        "serve": (cmd_serve, "HTTP service and web page", _serve_options()),
    }


def build_parser() -> argparse.ArgumentParser:
    from . import teams
    parser = argparse.ArgumentParser(prog="matcher", description="Support offers for municipal actors.")
    sub = parser.add_subparsers(dest="command", required=True)
    for name, (handler, help_, options) in _commands(teams).items():
        p = sub.add_parser(name, help=help_)
        for flag, kwargs in options:
            p.add_argument(flag, **kwargs)
        p.set_defaults(handler=handler)
    return parser


def main(argv: list[str] | None = None) -> int:
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s: %(message)s")
    args = build_parser().parse_args(argv)
    limits.one_blas_thread()
    try:
        return args.handler(args)
    except ModelLoadError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return BAD_DATA
    except ModelSaveError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return CANNOT_WRITE
    except UnavailableError as exc:
        print("error: cannot run here:", file=sys.stderr)
        _report(exc.problems)
        return USAGE
    except MatcherInputError as exc:  # ArgumentError included
        print("error: invalid input:", file=sys.stderr)
        _report(exc.problems)
        return USAGE if isinstance(exc, ArgumentError) else BAD_DATA


if __name__ == "__main__":
    sys.exit(main())
