"""Reading profile and team files: each good record parsed, each bad one reported with its line."""
from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import replace
from pathlib import Path

from ..core import MatcherInputError, Problem, Profile, parse_profile
from ..teams import check_members
from ._records import open_records


def read_profiles(path: str | Path) -> Iterator[tuple[int, Profile | None, list[Problem]]]:
    """(line, profile, []) per good profile and (line, None, problems) per bad one.

    File-level problems raise MatcherInputError at the call, before any record is read.
    """
    _, records = open_records(path)
    return _parse(records, lambda raw, line: parse_profile(raw, (line,)))


def read_teams(path: str | Path) -> Iterator[tuple[int, tuple | None, list[Problem]]]:
    """(line, (team id, members), []) per good team of a JSONL file {"id", "members": [profile, ...]}."""
    _, records = open_records(path)
    return _parse(records, _parse_team)


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
            yield line, None, list(exc.problems)
