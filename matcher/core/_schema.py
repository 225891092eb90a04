"""Offers and profiles: the records of the data contract, and their validation into Problems."""
from __future__ import annotations

from dataclasses import dataclass, field
import unicodedata
from datetime import date, datetime

import numpy as np

from . import limits
from ._errors import ArgumentError, MatcherInputError, Problem
from ._taxonomy import COSTS, FIELDS, FORMATS, OFFER_TYPES, REGIONS, ROLES, suggest, taxonomy

NEVER_EXPIRES = date.max.toordinal()


def reachable(offer_region, expiry_ordinal, region: str | None, today_ordinal: int):
    """The hard rules, for one offer or arrays of offers: offers of another state and expired offers never qualify.

    offer_region: "bund" or a state code; expiry_ordinal: the last valid day as date.toordinal().
    """
    ok = np.asarray(expiry_ordinal) >= today_ordinal
    if region is not None:
        ok = ok & ((np.asarray(offer_region) == "bund") | (np.asarray(offer_region) == region))
    return ok


@dataclass(frozen=True)
class Offer:
    id: str
    title: str
    description: str
    provider: str
    target_roles: tuple[str, ...]  # empty = open to all roles
    fields: tuple[str, ...]
    offer_type: str
    format: str | None  # None: the provider did not say (shown as "k. A.")
    region: str  # "bund" or a state code
    cost: str | None  # None: the provider did not say
    language: str = "de"
    url: str | None = None
    valid_until: date | None = None

    @property
    def text(self) -> str:
        """What the lexical signals read of an offer: the title counts twice, as titles name the topic most densely."""
        return f"{self.title}. {self.title}. {self.description}"

    @property
    def passage(self) -> str:
        """What the sentence encoder reads: title, description and the labels of the offer's fields."""
        fields = ", ".join(taxonomy()["fields"][f]["label"] for f in self.fields)
        return f"{self.title}. {self.description} Handlungsfelder: {fields}."

    def is_open_to_all(self) -> bool:
        return not self.target_roles

    @property
    def expiry_ordinal(self) -> int:
        return self.valid_until.toordinal() if self.valid_until else NEVER_EXPIRES

    def is_expired(self, today: date) -> bool:
        return not reachable(self.region, self.expiry_ordinal, None, today.toordinal())

    def to_dict(self) -> dict:
        return {
            "id": self.id, "title": self.title, "description": self.description, "provider": self.provider,
            "target_roles": list(self.target_roles), "fields": list(self.fields), "offer_type": self.offer_type,
            "format": self.format, "region": self.region, "cost": self.cost, "language": self.language,
            "url": self.url, "valid_until": self.valid_until.isoformat() if self.valid_until else None,
        }


@dataclass(frozen=True)
class Profile:
    needs: str
    id: str | None = None
    role: str | None = None
    role_title: str | None = None
    fields: tuple[str, ...] = field(default_factory=tuple)
    region: str | None = None
    format_preference: str | None = None

    @property
    def query(self) -> str:
        """Job title and needs in one text, for the title signal: the title says what fits as much as the needs do."""
        return f"{self.role_title}: {self.needs}" if self.role_title else self.needs


def storable(text: str) -> bool:
    """Text that can be written anywhere as UTF-8: no broken UTF-16 surrogates."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


# (kind for suggestions, allowed codes, German-independent name used in messages)
_VOCAB = {
    "role": ("roles", ROLES), "field": ("fields", FIELDS), "offer_type": ("offer_types", OFFER_TYPES),
    "format": ("formats", FORMATS), "region": ("states", REGIONS), "cost": ("costs", COSTS),
}


def unknown_code_message(value, what: str, codes: tuple[str, ...] | None = None) -> str:
    """The one message for a code that is not in the vocabulary, with the code a near miss meant ("NRW" -> "NW").

    what: role, field, offer_type, format, region, cost or a name of the caller's own (then give codes).
    """
    kind, known = _VOCAB.get(what, (None, codes))
    codes = codes or known
    hint = suggest(value, kind or what, codes) if isinstance(value, str) else None
    did_you_mean = f"did you mean {hint!r}? " if hint else ""
    return f"unknown {what} code {value!r}; {did_you_mean}expected one of: {', '.join(codes)}"


def _unknown_code(value, what: str, loc: tuple) -> Problem:
    return Problem(loc, unknown_code_message(value, what), "unknown_code")


def check_top_k(top_k) -> int:
    """top_k as an int in 1..MAX_TOP_K, else ArgumentError naming top_k."""
    if isinstance(top_k, bool) or not isinstance(top_k, (int, np.integer)):
        try:
            top_k = int(str(top_k).strip())
        except ValueError:
            raise ArgumentError([Problem(("top_k",), f"top_k must be a whole number from 1 to {limits.MAX_TOP_K}, "
                                             f"got {top_k!r}", "wrong_type")]) from None
    if not 1 <= top_k <= limits.MAX_TOP_K:
        raise ArgumentError([Problem(("top_k",), f"top_k must be from 1 to {limits.MAX_TOP_K}, got {top_k}",
                                         "out_of_range")])
    return int(top_k)


class _Checker:
    """Collects problems while reading the fields of one raw record.

    strict: a typed record (JSON over HTTP) must be as its schema says: no number for a text, no "a|b" text for a
    list, a code exactly as written, no key it does not know. Files are read leniently, as people write them.
    """

    def __init__(self, raw: dict, loc: tuple, strict: bool = False):
        self.raw, self.loc, self.problems, self.strict = raw, loc, [], strict

    def known_keys(self, keys) -> None:
        for key in self.raw:
            if key not in keys:
                self.problems.append(Problem((*self.loc, key), f"unknown key {key!r}; expected one of: "
                                             f"{', '.join(keys)}", "unknown_key"))

    def text(self, key: str, *, required: bool, non_empty: bool = False, max_len: int = limits.MAX_TEXT_CHARS):
        value = self.raw.get(key)
        if value is None or (isinstance(value, str) and not value.strip() and not required):
            if required:
                self.problems.append(Problem((*self.loc, key), f"{key} is missing", "missing"))
            return None
        if isinstance(value, int) and not isinstance(value, bool) and key == "id" and not self.strict:
            value = str(value)
        if not isinstance(value, str):
            self.problems.append(Problem((*self.loc, key), f"{key} must be text, got {value!r}", "wrong_type"))
            return None
        if not storable(value) or (key == "id" and any(unicodedata.category(c) == "Cc" for c in value)):
            self.problems.append(Problem((*self.loc, key), f"{key} holds characters that cannot be stored "
                                         "(control characters or broken UTF-16 surrogates)", "invalid_text"))
            return None
        if len(value) > max_len:  # counted as sent, spaces around it included: the schema's maxLength says so
            self.problems.append(Problem((*self.loc, key), f"{key} has {len(value)} characters, at most {max_len} "
                                         "are allowed", "too_long"))
            return None
        value = value.strip()
        if non_empty and not value:
            self.problems.append(Problem((*self.loc, key), f"{key} is empty", "empty"))
            return None
        return value

    def code(self, key: str, what: str, *, required: bool, default=None):
        value = self.raw.get(key)
        if value is None or (isinstance(value, str) and not value.strip() and not self.strict):
            if required:
                self.problems.append(Problem((*self.loc, key), f"{key} is missing", "missing"))
            return default
        codes = _VOCAB[what][1]
        if isinstance(value, str) and (value if self.strict else value.strip()) in codes:
            return value.strip()
        self.problems.append(_unknown_code(value, what, (*self.loc, key)))
        return None

    def codes(self, key: str, what: str, *, at_least_one: bool, max_items: int = 50) -> tuple[str, ...]:
        value = self.raw.get(key, [] if self.strict else None)
        if (value is None or value == "") and not self.strict:
            value = []
        if isinstance(value, str) and not self.strict:
            value = [v for v in (p.strip() for p in value.replace(",", "|").split("|")) if v]
        if not isinstance(value, (list, tuple)):
            self.problems.append(Problem((*self.loc, key), f"{key} must be a list of {what} codes, got {value!r}",
                                         "wrong_type"))
            return ()
        if len(value) > max_items:
            self.problems.append(Problem((*self.loc, key), f"{key} has {len(value)} entries, at most {max_items} "
                                         "are allowed", "too_many"))
            return ()
        known = _VOCAB[what][1]
        out = []
        for i, item in enumerate(value):
            item = item.strip() if isinstance(item, str) and not self.strict else item
            if item in known:
                if item not in out:
                    out.append(item)
            else:
                self.problems.append(_unknown_code(item, what, (*self.loc, key, i)))
        if at_least_one and not out and not any(p.loc[: len(self.loc) + 1] == (*self.loc, key)
                                                for p in self.problems):
            self.problems.append(Problem((*self.loc, key), f"{key} needs at least one {what} code", "empty"))
        return tuple(out)

    def iso_date(self, key: str):
        value = self.raw.get(key)
        if value is None or (isinstance(value, str) and not value.strip()):
            return None
        try:
            text = str(value).strip()
            return date.fromisoformat(text) if len(text) <= 10 else datetime.fromisoformat(text).date()
        except ValueError:
            self.problems.append(Problem((*self.loc, key), f"{key} must be a date like 2027-06-30 (in a table also 30.06.2027), "
                                         f"got {value!r}",
                                         "invalid_date"))
            return None


def parse_offer(raw: dict, loc: tuple = ()) -> tuple[Offer | None, list[Problem]]:
    """An Offer from one raw record, or None and every problem found in it."""
    c = _Checker(raw, loc)
    values = dict(
        id=c.text("id", required=True, non_empty=True, max_len=200),
        title=c.text("title", required=True, non_empty=True),
        description=c.text("description", required=True),
        provider=c.text("provider", required=True, non_empty=True, max_len=500),
        target_roles=c.codes("target_roles", "role", at_least_one=False),
        fields=c.codes("fields", "field", at_least_one=True),
        offer_type=c.code("offer_type", "offer_type", required=True),
        format=c.code("format", "format", required=False),
        region=c.code("region", "region", required=True),
        cost=c.code("cost", "cost", required=False),
        language=c.text("language", required=False, max_len=20) or "de",
        url=c.text("url", required=False, max_len=2000),
        valid_until=c.iso_date("valid_until"),
    )
    if values["url"] and not values["url"].startswith(("http://", "https://")):
        c.problems.append(Problem((*loc, "url"), f"url must start with http:// or https://, got {values['url']!r}",
                                  "invalid_url"))
    if c.problems:
        return None, c.problems
    return Offer(**values), []


PROFILE_KEYS = ("id", "role", "role_title", "fields", "needs", "region", "format_preference")


def parse_profile(raw: dict, loc: tuple = (), *, strict: bool = False) -> Profile:
    """A Profile from one raw record; raises MatcherInputError listing every problem.

    strict: the record is typed JSON (an HTTP body), held to its schema: unknown keys, numbers for texts, a text
    for the list of fields and codes not written exactly are problems too.
    """
    if not isinstance(raw, dict):
        raise MatcherInputError([Problem(loc, f"expected a JSON object, got {type(raw).__name__}", "wrong_type")])
    c = _Checker(raw, loc, strict)
    if strict:
        c.known_keys(PROFILE_KEYS)
    needs = c.text("needs", required=True, non_empty=True, max_len=limits.MAX_NEEDS_CHARS)
    values = dict(
        id=c.text("id", required=False, max_len=200),
        role=c.code("role", "role", required=False),
        role_title=c.text("role_title", required=False, max_len=limits.MAX_ROLE_TITLE_CHARS),
        fields=c.codes("fields", "field", at_least_one=False, max_items=limits.MAX_FIELDS),
        region=c.code("region", "region", required=False),
        format_preference=c.code("format_preference", "format", required=False),
    )
    if c.problems:
        raise MatcherInputError(c.problems)
    return Profile(needs=needs, **values)
