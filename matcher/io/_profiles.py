"""Reading profile and team files: each good record parsed, each bad one reported with its line."""
from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import replace
from pathlib import Path

from ..core import MatcherInputError, Problem, Profile, parse_profile
from ..teams import check_members
from ._columns import PROFILE_HEADERS
from ._records import open_records


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
