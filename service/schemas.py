"""Wire models of the HTTP API. A profile is checked once, by matcher's own check (parse_profile, strict as for
typed JSON), whose problems the 422 answers carry under the API's error types (API_TYPES); ProfileIn describes
it for the OpenAPI schema only. The envelope (top_k, members, aggregation, consent) is pydantic's. Answers are
built from matcher's wire dicts (matcher.io)."""
from __future__ import annotations

from dataclasses import replace
from datetime import date, datetime, timezone
from typing import Annotated, Literal

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, PlainValidator, field_validator, model_validator
from pydantic_core import PydanticCustomError

from matcher import (FIELDS, ROLES, GroupResult, MatcherInputError, Offer, Problem, Profile, Result, limits, parse_profile,
                     render)
from matcher.alerts import Notice, SavedSearch
from matcher.core import FORMATS, REGIONS, storable, unknown_code_message
from matcher.io import offer_summary
from matcher.teams import AGGREGATIONS, DEFAULT_AGGREGATION, MAX_MEMBERS, MIN_MEMBERS, check_members, member_ids


def _code(what: str, codes: tuple[str, ...]):
    """A before-validator with matcher's message for an unknown code, the one a near miss meant included."""
    def check(value):
        if value is None or (isinstance(value, str) and value in codes):
            return value
        raise PydanticCustomError("unknown_code", "{message}", {"message": unknown_code_message(value, what)})
    return BeforeValidator(check)


def _not_a_bool(value):
    # JSON true is no number of offers: pydantic's lax int would read it as 1
    if isinstance(value, bool):
        raise PydanticCustomError("int_type", "Input should be a valid integer, not a boolean")
    return value


TopK = Annotated[int, BeforeValidator(_not_a_bool)]
RoleCode = Annotated[Literal[ROLES], _code("role", ROLES)]
FieldCode = Annotated[Literal[FIELDS], _code("field", FIELDS)]
RegionCode = Annotated[Literal[REGIONS], _code("region", REGIONS)]
FormatCode = Annotated[Literal[FORMATS], _code("format", FORMATS)]


class ProfileIn(BaseModel):
    """A person asking for offers. Only `needs` is required; the role is read from `role_title` if not given."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True, json_schema_extra={"examples": [{
        "role_title": "Jugendhilfeplanerin im Kreisjugendamt", "fields": [],
        "needs": "Wie kriege ich Jugendliche in die Planung vom neuen Jugendzentrum rein?", "region": "NW"}]})

    id: str | None = Field(None, max_length=200, pattern=r"^[^\x00-\x1f\x7f]*$",
                            description="your reference, echoed back")
    role: RoleCode | None = Field(None, description="role code; overrides the role read from role_title")
    role_title: str | None = Field(None, max_length=limits.MAX_ROLE_TITLE_CHARS,
                                   description="job title in the person's own words")
    fields: list[FieldCode] = Field(default_factory=list, max_length=limits.MAX_FIELDS,
                                    description="field codes; inferred from needs when empty")
    needs: str = Field(min_length=1, max_length=limits.MAX_NEEDS_CHARS,
                       description=f"what the person needs, in their own words (1 to {limits.MAX_NEEDS_CHARS} "
                                   "characters; long formal texts are welcome)")
    region: RegionCode | None = Field(None, description="state code: only nationwide offers and offers of "
                                                        "this state qualify; 'bund' = nationwide offers only")
    format_preference: FormatCode | None = Field(None, description="a soft preference, never a filter")

    @field_validator("id", "role_title", "needs")
    @classmethod
    def _storable(cls, value: str | None) -> str | None:
        if value is not None and not storable(value):
            raise PydanticCustomError("invalid_text", "text holds broken UTF-16 surrogates that cannot be stored")
        return value



# matcher's problem types under the names the API's 422 has always used (pydantic's, as FastAPI answers for the
# envelope), so that clients see one vocabulary; a type not named here is the API's as it is
API_TYPES = {"empty": "string_too_short", "too_long": "string_too_long", "too_many": "too_long",
             "unknown_key": "extra_forbidden"}
_LISTS = ("fields",)


def _api_problem(problem: Problem, base: tuple) -> Problem:
    if problem.type == "wrong_type":  # what was expected: the object itself, a list or a text
        kind = "model_attributes_type" if len(problem.loc) == len(base) else (
            "list_type" if problem.loc[-1] in _LISTS else "string_type")
        return replace(problem, type=kind)
    return replace(problem, type=API_TYPES.get(problem.type, problem.type))


def profile_from_wire(raw, loc: tuple) -> Profile:
    """The Profile of a request body's profile at `loc`, by matcher's one check; MatcherInputError (422) else."""
    try:
        return parse_profile(raw, loc, strict=True)
    except MatcherInputError as exc:
        raise MatcherInputError([_api_problem(p, loc) for p in exc.problems]) from None


# a profile in a body: ProfileIn in the OpenAPI document (a component, as SearchOut answers with it), matcher's
# check on the request
ProfileBody = Annotated[object, PlainValidator(lambda raw: raw, json_schema_input_type=ProfileIn)]


class RecommendationsIn(BaseModel):
    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [{
        "profile": {"role_title": "Jugendhilfeplanerin im Kreisjugendamt",
                    "needs": "Wie kriege ich Jugendliche in die Planung vom neuen Jugendzentrum rein?",
                    "region": "NW"},
        "top_k": 5}]})

    profile: ProfileBody
    top_k: TopK = Field(limits.DEFAULT_TOP_K, ge=1, le=limits.MAX_TOP_K,
                       description=f"number of offers, 1 to {limits.MAX_TOP_K}")

    def to_domain(self) -> Profile:
        return profile_from_wire(self.profile, ("body", "profile"))


class InterpretedOut(BaseModel):
    role: str | None = Field(description="role code, null when the title was not clear enough")
    role_confidence: float
    role_source: Literal["given", "title", "none"]
    fields: list[str]
    field_source: Literal["given", "inferred"]
    roles: list[str] = Field(default_factory=list, max_length=2,
                             description="at most two role codes, primary first (= role): a title that holds two "
                                         "roles, e.g. a hauptamtliche Bürgermeisterin, is read as leitung and politik")


class ReasonOut(BaseModel):
    kind: str
    value: list[str]


class OfferOut(BaseModel):
    id: str
    title: str
    description: str
    provider: str
    target_roles: list[str]
    fields: list[str]
    offer_type: str
    format: str | None = Field(description="praesenz, online or hybrid; null when the provider does not say")
    region: str
    cost: str | None = Field(description="kostenfrei or kostenpflichtig; null when the provider does not say")
    language: str
    url: str | None
    valid_until: date | None

    @classmethod
    def from_domain(cls, offer: Offer) -> "OfferOut":
        return cls(**offer.to_dict())


class OfferSummaryOut(BaseModel):
    """What a result list shows of an offer."""

    offer_id: str
    rank: int
    title: str
    provider: str
    offer_type: str
    format: str | None = Field(description="praesenz, online or hybrid; null when the provider does not say")
    region: str
    cost: str | None = Field(description="kostenfrei or kostenpflichtig; null when the provider does not say")
    url: str | None
    valid_until: date | None

    @staticmethod
    def summary(offer: Offer, rank: int) -> dict:
        return {"offer_id": offer.id, "rank": rank, **offer_summary(offer)}


class RecommendationOut(OfferSummaryOut):
    score: float = Field(description="estimated chance in (0, 1) that the offer is useful to this person")
    reasons: list[str] = Field(description="2 to 4 reasons in German, each true of this offer")
    reason_details: list[ReasonOut]


class RecommendationsOut(BaseModel):
    profile_id: str | None
    interpreted: InterpretedOut
    recommendations: list[RecommendationOut]

    @classmethod
    def from_domain(cls, result: Result) -> "RecommendationsOut":
        recs = [RecommendationOut(**OfferSummaryOut.summary(rec.offer, rec.rank), score=rec.score,
                                  reasons=[render(r) for r in rec.reasons],
                                  reason_details=[ReasonOut(kind=r.kind, value=list(r.value)) for r in rec.reasons])
                for rec in result.recommendations]
        return cls(profile_id=result.profile_id, interpreted=InterpretedOut(**result.interpreted.to_dict()),
                   recommendations=recs)


class GroupIn(BaseModel):
    """A team of one municipality; every member is a profile as for /recommendations."""

    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [{
        "id": "lindenau",
        "members": [
            {"id": "planung", "role_title": "Jugendhilfeplanerin", "needs": "Jugendliche an der Planung beteiligen",
             "region": "HE"},
            {"id": "rat", "role_title": "Ratsmitglied", "needs": "Was muss der Rat zur Jugendbeteiligung wissen?",
             "region": "HE"},
            {"id": "praxis", "role_title": "Streetworker", "needs": "Methoden, um Jugendliche zu erreichen",
             "region": "HE"}],
        "top_k": 5, "aggregation": DEFAULT_AGGREGATION}]})

    id: str | None = Field(None, max_length=200)
    members: list[ProfileBody] = Field(min_length=MIN_MEMBERS, max_length=MAX_MEMBERS,
                                     description=f"{MIN_MEMBERS} to {MAX_MEMBERS} members")
    top_k: TopK = Field(limits.DEFAULT_TOP_K, ge=1, le=limits.MAX_TOP_K)
    aggregation: Literal[tuple(AGGREGATIONS)] = Field(
        DEFAULT_AGGREGATION, description="how the members' fit is combined; the default won the team benchmark")

    def to_domain(self) -> list[Profile]:
        """The members, with given ids checked for repeats (matcher.teams.check_members, the body's path)."""
        members, problems = [], []
        for i, raw in enumerate(self.members):
            try:
                members.append(profile_from_wire(raw, ("body", "members", i)))
            except MatcherInputError as exc:
                problems += exc.problems
        if problems:
            raise MatcherInputError(problems)
        try:
            check_members(members)
        except MatcherInputError as exc:
            raise MatcherInputError([replace(p, loc=("body", *p.loc)) for p in exc.problems]) from None
        return [replace(m, id=member_id) for m, member_id in zip(members, member_ids(members))]


class MemberOut(BaseModel):
    member_id: str
    interpreted: InterpretedOut


class MemberFitOut(BaseModel):
    member_id: str
    may_attend: bool
    served: bool
    reasons: list[str]


class GroupRecommendationOut(OfferSummaryOut):
    score: float = Field(description="estimated chance in [0, 1] that the team finds the offer clearly useful "
                         "(team grade 2 or 3), from the team relevance model")
    reasons: list[str] = Field(description="about the team as a whole, in German")
    members: list[str] = Field(description="ids of the members this offer serves")
    member_fit: list[MemberFitOut]


class GroupOut(BaseModel):
    group_id: str | None
    aggregation: str
    members: list[MemberOut]
    recommendations: list[GroupRecommendationOut]

    @classmethod
    def from_domain(cls, result: GroupResult, aggregation: str) -> "GroupOut":
        recs = [GroupRecommendationOut(
            **OfferSummaryOut.summary(rec.offer, rec.rank), score=rec.score, reasons=[render(r) for r in rec.reasons],
            members=list(rec.served),
            member_fit=[MemberFitOut(member_id=m.member_id, may_attend=m.may_attend, served=m.served,
                                     reasons=[render(r) for r in m.reasons]) for m in rec.members])
            for rec in result.recommendations]
        return cls(group_id=result.group_id, aggregation=aggregation,
                   members=[MemberOut(member_id=mid, interpreted=InterpretedOut(**it.to_dict()))
                            for mid, it in result.members], recommendations=recs)


def _utc(moment: datetime) -> datetime:
    return moment.replace(tzinfo=timezone.utc)  # stored as naive UTC


class SearchIn(BaseModel):
    """A search to be saved. Its profile is personal data: it is stored only with consent: true."""

    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [{
        "profile": {"role_title": "Jugendhilfeplanerin im Kreisjugendamt",
                    "needs": "Wie kriege ich Jugendliche in die Planung vom neuen Jugendzentrum rein?",
                    "region": "NW"},
        "top_k": 10, "consent": True}]})

    profile: ProfileBody
    top_k: TopK = Field(limits.DEFAULT_TOP_K, ge=1, le=limits.MAX_TOP_K,
                       description=f"size of the top list to watch, 1 to {limits.MAX_TOP_K}")
    consent: Literal[True] = Field(description="must be true: the person agrees that the profile is stored until "
                                               "it expires or is deleted by its link")

    def to_domain(self) -> Profile:
        return profile_from_wire(self.profile, ("body", "profile"))


class SearchCreatedOut(BaseModel):
    id: str = Field(description="public id of the search (names its digest files); not a key to it")
    token: str = Field(description="the secret that opens, follows and deletes the search; shown only now")
    url: str = Field(description="the private German page of the search")
    api_url: str
    feed_url: str = Field(description="Atom feed of the offers new in the search's top list")
    expires: datetime = Field(description="when the search is deleted unless deleted before (UTC)")

    @classmethod
    def from_domain(cls, search: SavedSearch, urls: dict) -> "SearchCreatedOut":
        return cls(id=search.id, token=search.token, expires=_utc(search.expires), **urls)


class NoticeOut(BaseModel):
    offer_id: str
    title: str
    provider: str
    url: str | None
    noticed: datetime = Field(description="when the offer first entered the search's top list (UTC)")


class SearchOut(BaseModel):
    id: str
    profile: ProfileIn
    top_k: int
    created: datetime
    expires: datetime
    feed_url: str
    notices: list[NoticeOut] = Field(description="offers new in the top list since the search was saved, newest "
                                                 "first; the offers shown when it was saved are not listed")

    @classmethod
    def from_domain(cls, search: SavedSearch, notices: list[Notice], feed_url: str) -> "SearchOut":
        p = search.profile
        profile = ProfileIn(id=p.id, role=p.role, role_title=p.role_title, fields=list(p.fields), needs=p.needs,
                            region=p.region, format_preference=p.format_preference)
        return cls(id=search.id, profile=profile, top_k=search.top_k, created=_utc(search.created),
                   expires=_utc(search.expires), feed_url=feed_url,
                   notices=[NoticeOut(offer_id=n.offer_id, title=n.title, provider=n.provider, url=n.url,
                                      noticed=_utc(n.noticed)) for n in notices])


class FeedbackIn(BaseModel):
    """A verdict on one offer of a list: for a person (`profile`, as sent to /recommendations) or a team (`team`, as
    sent to /recommendations/group), never both. Only derived codes and the ranker's numbers are stored."""

    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [{
        "profile": {"role_title": "Jugendhilfeplanerin im Kreisjugendamt",
                    "needs": "Wie kriege ich Jugendliche in die Planung vom neuen Jugendzentrum rein?",
                    "region": "NW"},
        "offer_id": "ang-0001", "verdict": "passt"}]})

    profile: ProfileBody | None = Field(None, description="the person the list was for")
    team: GroupIn | None = Field(None, description="the team the list was for")
    offer_id: str = Field(min_length=1, max_length=200, description="an offer of the list")
    verdict: Literal["passt", "passt_nicht"]
    top_k: TopK = Field(limits.DEFAULT_TOP_K, ge=1, le=limits.MAX_TOP_K,
                       description="length of the person's list (a team's is team.top_k)")

    @model_validator(mode="after")
    def _one_of(self):
        if (self.profile is None) == (self.team is None):
            raise PydanticCustomError("one_of", "give either profile or team, not both and not neither")
        return self


class FeedbackOut(BaseModel):
    id: int = Field(description="the stored verdict's number")
