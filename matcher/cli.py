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

from .core import (ArgumentError, MatcherInputError, ModelLoadError, ModelSaveError, Problem, UnavailableError,
                   check_top_k, limits)

__all__ = ["BAD_DATA", "CANNOT_WRITE", "OK", "USAGE", "build_parser", "main"]

OK, BAD_DATA, USAGE = 0, 1, 2
CANNOT_WRITE = 3  # the machine refused (disk full, no permission): neither the data's fault nor the call's


def _top_k(value: str) -> int:
    try:
        return check_top_k(value)
    except MatcherInputError as exc:
        raise argparse.ArgumentTypeError(exc.problems[0].msg) from None


def _print_problems(problems, stream=None) -> None:
    for problem in problems:
        print(f"  {problem}", file=stream or sys.stderr)


def _report_problem(problem) -> None:
    _print_problems([problem])


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
        _print_problems(problems, sys.stdout)
    else:
        print(f"{args.catalog}: {len(offers)} valid records, no problems")
    return BAD_DATA if problems else OK


def cmd_train(args) -> int:
    from .io import file_sha256, read_catalog
    from .model import fit_model, read_encodings, save
    try:
        offers, problems = read_catalog(args.catalog, sheet=args.sheet)
    except MatcherInputError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return BAD_DATA
    if problems:
        print(f"{args.catalog}: {len(problems)} bad records skipped:", file=sys.stderr)
        _print_problems(problems)
    if not offers:
        print("error: no valid offers to train on; nothing was written", file=sys.stderr)
        return BAD_DATA
    encodings = read_encodings(args.model)  # the embeddings of the model being replaced: only changes are encoded
    model = fit_model(offers, encodings=encodings)
    save(model, args.model, catalog_sha256=file_sha256(args.catalog), encodings=encodings)
    if model.semantic:
        done = model.card["encoding"]
        how = f"with semantic encoder: {done['encoded']} offers encoded, {done['reused']} reused"
    else:
        how = "WITHOUT semantic encoder"
    print(f"trained on {len(offers)} offers ({how}), model written to {args.model}")
    return BAD_DATA if problems else OK


def _load(path, semantic: bool = True):
    from .model import load
    model = load(path)
    return model if semantic else model.lexical()


def cmd_recommend(args) -> int:
    from .core import parse_profile
    from .io import offer_summary, render_result, result_to_dict
    from .ranking import recommend
    model = _load(args.model, args.semantic)
    raw = {"role": args.role, "role_title": args.role_title, "fields": args.fields, "needs": args.needs,
           "region": args.region, "format_preference": args.format_preference}
    try:
        profile = parse_profile({k: v for k, v in raw.items() if v is not None})
    except MatcherInputError as exc:  # the profile comes from the arguments
        raise ArgumentError(exc.problems) from None
    result = recommend(model, profile, args.top_k)
    if args.json:
        record = {**result_to_dict(result), "mode": model.mode}
        for rec, full in zip(record["recommendations"], result.recommendations):
            rec.update(offer_summary(full.offer))
        print(json.dumps(record, ensure_ascii=False, indent=2))
    else:
        if not model.semantic:
            print("Schneller Modus: ohne Sprachmodell, nur Wortvergleich (--no-semantic)\n")
        print(render_result(result))
    return OK


def cmd_score(args) -> int:
    from .batch import score_file
    model = _load(args.model, args.semantic)

    if args.engine == "spark":
        from .batch import score_file_spark
        # the executors map the model from its directory (shared storage on a cluster), loaded once per worker
        counts = score_file_spark(args.model, args.profiles, args.out, top_k=args.top_k, on_problem=_report_problem,
                                  master=args.spark_master, staging=args.spark_staging, semantic=args.semantic,
                                  sheet=args.sheet)
    else:
        counts = score_file(model, args.profiles, args.out, top_k=args.top_k, on_problem=_report_problem,
                            sheet=args.sheet)
    print(f"scored {counts['records']} profiles into {args.out} ({model.mode} mode); {counts['bad']} bad profiles "
          "skipped", file=sys.stderr)
    return BAD_DATA if counts["bad"] else OK


def cmd_group(args) -> int:
    from .batch import group_file
    model = _load(args.model, args.semantic)

    counts = group_file(model, args.teams, args.out, top_k=args.top_k, aggregation=args.aggregation,
                        on_problem=_report_problem, sheet=args.sheet)
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
    read_card(args.model)  # fail fast, with the reason, before the server starts
    os.environ["KOMMUNE_MATCHER_MODEL"] = str(args.model)
    if args.demand_db is not None:
        os.environ["KOMMUNE_MATCHER_DEMAND_DB"] = args.demand_db
    if args.profiles:
        os.environ["KOMMUNE_MATCHER_DEMAND_PROFILES"] = str(args.profiles)
    os.environ["KOMMUNE_MATCHER_DEMAND_RETENTION_DAYS"] = str(args.retention_days)
    os.environ["KOMMUNE_MATCHER_MAX_WAITING"] = str(args.max_waiting)
    os.environ["KOMMUNE_MATCHER_SEMANTIC"] = "true" if args.semantic else "false"
    print(f"serving {args.model} on http://{args.host}:{args.port}/ (API docs at /docs)", file=sys.stderr)
    # The app is named by its import string: matcher never imports service (the README's layout).
    uvicorn.run("service.main:app_from_env", factory=True, host=args.host, port=args.port, workers=args.workers,
                log_level="warning", timeout_graceful_shutdown=GRACEFUL_SHUTDOWN_SECONDS)
    return OK


def cmd_alerts(args) -> int:
    from .alerts import SearchStore, default_locations, refresh_notices, write_digests
    db, key_file = default_locations(args.model)  # where the service keeps them unless told otherwise
    store = SearchStore(args.db or db, args.key_file or key_file)
    model = _load(args.model, args.semantic)
    counts = {"active": 0, "searches": 0, "new": 0, "purged": 0}
    written = {"digests": 0, "offers": 0, "without_link": 0}
    if store.exists():
        counts = refresh_notices(store, model)
        written = write_digests(store, args.out, args.base_url)
    # a summary only: the tokens are in the digests, for their recipients, never on stdout
    print(f"{counts['searches']} of {counts['active']} saved searches computed for this model, {counts['new']} new "
          f"offers noticed; {written['digests']} digests ({written['offers']} offers) written to {args.out}; "
          f"{counts['purged']} expired searches deleted")
    if written["without_link"]:
        print(f"warning: {written['without_link']} searches have new offers but their links cannot be rebuilt "
              "with this key file; they stay unsent", file=sys.stderr)
    return OK


def _demand(args, model):
    """(demand records, profiles, sources) from --profiles and --demand-db; bad profiles are reported."""
    from .coverage import DemandLog, demand_records, gather_demand
    from .io import read_profiles
    profiles, survey, logged, bad = [], None, None, 0
    if args.profiles:
        for line, profile, problems in read_profiles(args.profiles, sheet=args.sheet):
            _print_problems(problems)
            bad += bool(problems)
            if profile is not None:
                profiles.append(profile)
        survey = demand_records(model, profiles)
    if args.demand_db:
        try:
            logged = DemandLog(args.demand_db, retention_days=0).read()
        except Exception as exc:
            # a URL that is no URL is the call's fault; a missing driver or a server that does not answer is not
            from sqlalchemy.exc import ArgumentError as BadURL
            error = ArgumentError if isinstance(exc, BadURL) else UnavailableError
            raise error([Problem(("demand_db",), f"cannot read the demand log {args.demand_db!r}: "
                                 f"{type(exc).__name__}: {exc}".splitlines()[0], "unreadable")]) from None
    records, sources = gather_demand(survey, str(args.profiles), logged)
    return records, profiles, sources, bad


def cmd_coverage(args) -> int:
    from .coverage import check_output, coverage_report, exposure, write_coverage
    check_output(args.out)
    model = _load(args.model)
    records, profiles, sources, bad = _demand(args, model)
    exposed = exposure(model, profiles) if profiles else None
    report = coverage_report(model.offers, records, fields=[args.field] if args.field else None,
                             region=args.region, demand_sources=sources, exposure=exposed)
    if args.reference_roles:
        from .coverage import with_reference
        from .io import read_reference_roles
        report = with_reference(report, read_reference_roles(args.reference_roles), str(args.reference_roles))
    write_coverage(report, args.out)
    for sentence in report.summary:
        print(sentence)
    print(f"report written to {args.out}", file=sys.stderr)
    return BAD_DATA if bad else OK


def cmd_portfolio(args) -> int:
    from .coverage import check_output, coverage_report, portfolio, write_portfolio
    check_output(args.out)
    model = _load(args.model)
    records, _, sources, bad = _demand(args, model)
    report = coverage_report(model.offers, records, demand_sources=sources)
    result = portfolio(list(model.offers), args.provider, report)
    write_portfolio(result, report, args.out)
    print(f"{result.provider}: {result.offers} offers; {sum(g['could_fill'] for g in result.gaps)} underserved "
          f"cells without an offer of yours; written to {args.out}", file=sys.stderr)
    return BAD_DATA if bad else OK


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


_non_negative, _positive = _at_least(0), _at_least(1)
GRACEFUL_SHUTDOWN_SECONDS = 30  # on SIGTERM, requests in flight get this long to finish


def _code(what: str, codes):
    def check(value: str) -> str:
        if value in codes:
            return value
        from .core import unknown_code_message
        raise argparse.ArgumentTypeError(unknown_code_message(value, what, tuple(codes)))
    return check


def _sheet_option(p) -> None:
    p.add_argument("--sheet", help="for an Excel file: the sheet to read (default: its first visible sheet)")


def _semantic_switch(p) -> None:
    p.add_argument("--no-semantic", dest="semantic", action="store_false",
                   help="fast mode: rank on the lexical signals alone, with the weights fitted for them; no sentence "
                        "encoder runs (several times the throughput, somewhat lower quality: benchmarks/results.md)")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="matcher", description="Support offers for municipal actors.")
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser("validate", help="report problems of a catalog (.jsonl, .csv, .xlsx); exit 1 if any record "
                                        "is bad")
    p.add_argument("catalog")
    p.add_argument("--format", choices=("text", "json"), default="text")
    _sheet_option(p)
    p.set_defaults(handler=cmd_validate)

    p = sub.add_parser("train", help="fit a model on a catalog (.jsonl, .csv, .xlsx) and write it atomically")
    p.add_argument("--catalog", required=True)
    p.add_argument("--model", required=True)
    _sheet_option(p)
    p.set_defaults(handler=cmd_train)

    p = sub.add_parser("template", help="write the Excel template for a catalog (German headers, dropdowns)")
    p.add_argument("--out", required=True, help="file to write, e.g. angebote.xlsx")
    p.set_defaults(handler=cmd_template)

    top_k_help = f"number of offers, 1 to {limits.MAX_TOP_K} (default {limits.DEFAULT_TOP_K})"
    p = sub.add_parser("recommend", help="offers for one person")
    p.add_argument("--model", required=True)
    p.add_argument("--role-title", help="job title in your own words, e.g. 'Jugendhilfeplanerin'")
    p.add_argument("--role", help="role code, overrides the role read from the title")
    p.add_argument("--fields", help="field codes, comma separated, e.g. beteiligung,kinder_jugend")
    p.add_argument("--needs", required=True, help="what you need, in your own words")
    p.add_argument("--region", help="state code, e.g. NW")
    p.add_argument("--format-preference", help="praesenz, online or hybrid (a preference, not a filter)")
    p.add_argument("--top-k", type=_top_k, default=limits.DEFAULT_TOP_K, help=top_k_help)
    p.add_argument("--json", action="store_true", help="print JSON instead of a table")
    _semantic_switch(p)
    p.set_defaults(handler=cmd_recommend)

    p = sub.add_parser("score", help="batch: offers for every profile of a JSONL, CSV or Excel file")
    p.add_argument("profiles")
    _sheet_option(p)
    p.add_argument("--engine", choices=("local", "spark"), default="local",
                   help="where to score: local (streamed in chunks on this machine) or spark (Apache Spark; "
                        "needs the extra [spark] and Java 17+); both write the same file")
    p.add_argument("--spark-master", default=None,
                   help="Spark master URL for --engine spark (default: spark-submit's --master, else local[*])")
    p.add_argument("--spark-staging", default=None,
                   help="directory every Spark executor can read, for the checked profiles (default: a temp dir)")
    p.add_argument("--model", required=True)
    p.add_argument("--out", required=True, help="output file, .jsonl, .csv or .xlsx")
    p.add_argument("--top-k", type=_top_k, default=limits.DEFAULT_TOP_K, help=top_k_help)
    _semantic_switch(p)
    p.set_defaults(handler=cmd_score)

    from .teams import AGGREGATIONS, DEFAULT_AGGREGATION
    p = sub.add_parser("group", help="batch: offers each team of a file can take up together (JSONL; or CSV or "
                                     "Excel, one member per row with a column 'Team')")
    p.add_argument("teams")
    _sheet_option(p)
    p.add_argument("--model", required=True)
    p.add_argument("--out", required=True, help="output file, .jsonl, .csv or .xlsx")
    p.add_argument("--top-k", type=_top_k, default=limits.DEFAULT_TOP_K, help=top_k_help)
    p.add_argument("--aggregation", choices=tuple(AGGREGATIONS), default=DEFAULT_AGGREGATION,
                   help=f"how members' fit is combined (default {DEFAULT_AGGREGATION}, the benchmark's choice)")
    _semantic_switch(p)
    p.set_defaults(handler=cmd_group)

    from .core import FIELDS, STATES
    for name, handler, text in (("coverage", cmd_coverage, "report of underserved roles per field (.json .csv .html)"),
                                ("portfolio", cmd_portfolio, "where one provider's offers sit, which gaps it could fill")):
        p = sub.add_parser(name, help=text)
        p.add_argument("--model", required=True)
        p.add_argument("--profiles", help="demand: a JSONL, CSV or Excel file of profiles (e.g. a survey)")
        _sheet_option(p)
        p.add_argument("--demand-db", help="demand: the service's demand log, e.g. sqlite:///models/demand.sqlite")
        p.add_argument("--out", required=True, help="report file: .json, .csv, .xlsx or .html")
        if name == "coverage":
            p.add_argument("--field", type=_code("field", FIELDS), help="one field code")
            p.add_argument("--region", type=_code("region", STATES), help="one state code")
            p.add_argument("--reference-roles", help="a reference mix of roles (JSONL or CSV: role;count, e.g. "
                                                     "staff counts) to set the supply against, also without demand")
        else:
            p.add_argument("--provider", required=True, help="provider name as in the catalog")
        p.set_defaults(handler=handler)

    p = sub.add_parser("alerts", help="after a retrain: each saved search's new offers, one digest per search "
                                      "(HTML and text, German) for whoever sends mail")
    p.add_argument("--model", required=True)
    p.add_argument("--db", help="SQLAlchemy URL of the saved searches (default: sqlite beside the model directory, "
                                "as the service keeps them)")
    p.add_argument("--key-file", help="the key the search links are derived from (default: beside the model)")
    p.add_argument("--out", required=True, help="folder for the digests: <search id>.html and .txt each")
    p.add_argument("--base-url", default="http://127.0.0.1:8000",
                   help="the service's public address, for the links in the digests")
    _semantic_switch(p)
    p.set_defaults(handler=cmd_alerts)

    p = sub.add_parser("serve", help="HTTP service and web page")
    p.add_argument("--model", required=True)
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, default=8000)
    p.add_argument("--workers", type=int, default=1)
    p.add_argument("--demand-db", help="SQLAlchemy URL of the demand log (default: sqlite beside the model "
                                       "directory; '' for none), e.g. postgresql+psycopg://user@host/db")
    p.add_argument("--profiles", help="a profiles file (e.g. a survey) counted as demand on /coverage and /anbieter")
    p.add_argument("--retention-days", type=_non_negative, default=365,
                   help="days the demand log keeps (0 = forever)")
    p.add_argument("--max-waiting", type=_positive, default=limits.MAX_WAITING,
                   help=f"engine requests in the service at once, per worker, before it answers 503 with "
                        f"Retry-After (default {limits.MAX_WAITING}: an admitted request is answered well within 2 s)")
    _semantic_switch(p)
    p.set_defaults(handler=cmd_serve)
    return parser


def main(argv: list[str] | None = None) -> int:
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s: %(message)s")
    args = build_parser().parse_args(argv)
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
        _print_problems(exc.problems)
        return USAGE
    except MatcherInputError as exc:  # ArgumentError included
        print("error: invalid input:", file=sys.stderr)
        _print_problems(exc.problems)
        return USAGE if isinstance(exc, ArgumentError) else BAD_DATA


if __name__ == "__main__":
    sys.exit(main())
