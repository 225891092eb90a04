"""The readers of the data contract: catalogs, profile and team files, a reference mix of roles. Every
bad record is reported with its line, field and problem; the good ones are kept."""
from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterator
from dataclasses import replace
from pathlib import Path

from ..core import ROLES, MatcherInputError, Offer, Problem, Profile, parse_offer, parse_profile, unknown_code_message
from ..teams import check_members
from ._columns import OFFER_HEADERS, PROFILE_HEADERS, file_error
from ._records import open_records


# Reading a catalog: every bad record reported with its line, field and problem; the good ones kept.

REQUIRED_COLUMNS = ("id", "title", "description", "provider", "fields", "offer_type", "region")  # format, cost optional


def read_catalog(path: str | Path, *, sheet: str | None = None) -> tuple[list[Offer], list[Problem]]:
    """Good offers and the problems of the bad records; raises MatcherInputError only for file-level problems.

    JSON Lines, CSV or Excel (the first visible sheet, or `sheet`); table files may use German headers
    (Titel, Beschreibung, Anbieter, ...) and German labels as values.
    """
    records = open_records(path, sheet=sheet, names=OFFER_HEADERS)
    if records.columns:
        missing = records.columns.lacking(REQUIRED_COLUMNS, OFFER_HEADERS)
        if missing:
            raise file_error(f"{records.columns.where} lacks the columns {'; '.join(missing)}; found: "
                             f"{', '.join(records.columns.key_of)}", "missing_columns")
    offers: list[Offer] = []
    problems: list[Problem] = []
    first_line: dict[str, int] = {}
    for line, raw, problem in records:
        if problem:
            problems.append(problem)
            continue
        offer, found = parse_offer(raw, (line,))
        if found:
            problems.extend(map(records.located, found))
            continue
        if offer.id in first_line:
            unit = "row" if records.kind == "xlsx" else "line"
            problems.append(records.located(Problem(
                (line, "id"), f"duplicate id {offer.id!r}: first on {unit} {first_line[offer.id]}, again on {unit} "
                f"{line}", "duplicate_id")))
            continue
        first_line[offer.id] = line
        offers.append(offer)
    if not offers and not problems:
        problems.append(records.located(Problem((), "file holds no records", "empty_file")))
    return offers, problems


def file_sha256(path: str | Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


# A reference mix of roles (e.g. staff counts from a municipality's statistics), against which supply is read
# when there is no demand data yet: JSON Lines or CSV, one role and its count per record.

REFERENCE_HEADERS = {"role": ("Rolle",), "count": ("Anzahl",)}


def read_reference_roles(path: str | Path) -> dict[str, float]:
    """{role: count}; every bad record is reported (MatcherInputError with line and field), since a mix with a
    role left out would shift every share."""
    records = open_records(path, names=REFERENCE_HEADERS)
    mix: dict[str, float] = {}
    problems = []
    for line, raw, problem in records:
        if problem is not None:
            problems.append(problem)
            continue
        role, count = raw.get("role"), raw.get("count")
        role = role.strip() if isinstance(role, str) else role
        if role not in ROLES:
            problems.append(Problem((line, "role"), "role is missing" if role in (None, "") else
                                    unknown_code_message(role, "role"), "missing" if role in (None, "") else
                                    "unknown_code"))
        elif role in mix:
            problems.append(Problem((line, "role"), f"role {role!r} is given twice", "duplicate_id"))
        try:
            number = float(str(count).replace(",", ".")) if count is not None and not isinstance(count, bool) \
                else None
        except ValueError:
            number = None
        if number is None or not number >= 0 or number == float("inf"):
            problems.append(Problem((line, "count"), f"count must be a number of at least 0, got {count!r}",
                                    "wrong_type"))
        elif role in ROLES and role not in mix:
            mix[role] = number
    if problems:
        raise MatcherInputError(problems)
    if not sum(mix.values()) > 0:
        raise file_error(f"file {str(path)!r} gives no role a count above 0", "empty")
    return mix


# Reading profile and team files: each good record parsed, each bad one reported with its line.

def read_profiles(path: str | Path, *, sheet: str | None = None) -> Iterator[tuple[int, Profile | None,
                                                                                     list[Problem]]]:
    """(line, profile, []) per good profile and (line, None, problems) per bad one: JSON Lines, CSV or Excel (the
    first visible sheet, or `sheet`), table files with German headers (Bedarf, Rolle, Funktion, ...) too.

    File-level problems raise MatcherInputError at the call, before any record is read.
    """
    records = open_records(path, sheet=sheet, names=PROFILE_HEADERS)
    return _parse(records, lambda raw, line: parse_profile(raw, (line,)))


def read_teams(path: str | Path, *, sheet: str | None = None) -> Iterator[tuple[int, tuple | None, list[Problem]]]:
    """(line, (team id, members), []) per good team: of a JSONL file {"id", "members": [profile, ...]}, or of a
    CSV or Excel table with one member per row and the team in a column `team` ("Team", "Kommune"), in the
    order teams first appear (the line is the team's first row; a member's problems name its own row)."""
    records = open_records(path, sheet=sheet, names={**PROFILE_HEADERS, "team": TEAM_HEADERS})
    if records.columns is None:
        return _parse(records, _parse_team)
    if "team" not in records.columns.keys:
        raise MatcherInputError([records.located(Problem(
            (), f"{records.columns.where} lacks the column team ('Team'): one member per row, the team's name in that column",
            "missing_columns"))])
    return _team_rows(records)


TEAM_HEADERS = ("Team", "Gruppe", "Kommune", "Team-ID")


def _team_rows(records):
    """Member rows gathered into teams, in the order teams first appear."""
    teams: dict[str, tuple[int, list, list]] = {}  # team -> (first row, members, problems)
    for line, raw, problem in records:
        if problem:
            yield line, None, [problem]
            continue
        team = raw.pop("team", None)
        team = str(team).strip() if team is not None else ""
        if not team:
            yield line, None, [records.located(Problem((line, "team"), "team is missing: name the member's team",
                                                       "missing"))]
            continue
        first, members, problems = teams.setdefault(team, (line, [], []))
        try:
            members.append(parse_profile(raw, (line,)))
        except MatcherInputError as exc:
            problems.extend(records.located(p) for p in exc.problems)
    for team, (line, members, problems) in teams.items():
        if not problems:
            try:
                check_members(members)
            except MatcherInputError as exc:
                problems = [records.located(replace(p, loc=(line, "team"), msg=f"team {team!r}: {p.msg}"))
                            for p in exc.problems]
        yield (line, None, problems) if problems else (line, (team, members), [])


def _parse_team(raw: dict, line: int):
    members = raw.get("members")
    if not isinstance(members, list):
        raise MatcherInputError([Problem((line, "members"), "members must be a list of profiles", "wrong_type")])
    problems, profiles = [], []
    for i, member in enumerate(members):
        try:
            profiles.append(parse_profile(member, (line, "members", i)))
        except MatcherInputError as exc:
            problems.extend(exc.problems)
    try:
        check_members(profiles if not problems else members)
    except MatcherInputError as exc:
        problems.extend(replace(p, loc=(line, *p.loc)) for p in exc.problems)
    if problems:
        raise MatcherInputError(problems)
    team_id = raw.get("id")
    if team_id is not None and (isinstance(team_id, bool) or not isinstance(team_id, (str, int))):
        raise MatcherInputError([Problem((line, "id"), f"id must be text, got {team_id!r}", "wrong_type")])
    return (str(team_id) if team_id is not None else f"line-{line}", profiles)


def _parse(records, parse: Callable):
    for line, raw, problem in records:
        if problem:
            yield line, None, [problem]
            continue
        try:
            yield line, parse(raw, line), []
        except MatcherInputError as exc:
            yield line, None, [records.located(p) for p in exc.problems]
