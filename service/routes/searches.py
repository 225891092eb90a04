"""Saved searches over the API: save one on consent, read it with its new offers, follow it as an Atom feed,
delete it. The token in the path is the only key: unknown, garbage and expired tokens all answer 404 alike."""
from __future__ import annotations

from fastapi import APIRouter, Request, Response

from matcher import MatcherInputError, Problem
from matcher.alerts import SavedSearch, SearchStore, atom_feed, save_search as store_search

from ..deps import RecommenderDep, SearchStoreDep
from ..schemas import SearchCreatedOut, SearchIn, SearchOut
from .recommendations import BODY_ERRORS

router = APIRouter(prefix="/searches", tags=["searches"])
PRIVATE = {"Cache-Control": "no-store"}  # a saved search is personal data: no cache keeps it
UNAVAILABLE = {503: {"description": "saved searches are not configured here, or their database does not answer"}}
NOT_FOUND = {404: {"description": "no saved search with this token (or it expired or was deleted)"}, **UNAVAILABLE}


def _not_found() -> MatcherInputError:
    # one answer for unknown, garbage, expired and deleted tokens; the token is never echoed
    return MatcherInputError([Problem(("path", "token"), "no saved search with this token", "not_found")])


def _found(store: SearchStore, token: str) -> SavedSearch:
    search = store.find(token)
    if search is None:
        raise _not_found()
    return search


def links(request: Request, token: str) -> dict:
    return {"url": str(request.url_for("search_page", token=token)),
            "api_url": str(request.url_for("read_search", token=token)),
            "feed_url": str(request.url_for("search_feed", token=token))}


@router.post("", status_code=201, response_model=SearchCreatedOut, responses={**BODY_ERRORS, **UNAVAILABLE})
def save_search(body: SearchIn, request: Request, response: Response, store: SearchStoreDep,
                recommender: RecommenderDep) -> SearchCreatedOut:
    """Save a search (consent required): the offers now in its top list count as seen; each offer that enters it
    after a retrain is new once. Returns the private links; the token is shown only here."""
    search = store_search(store, recommender, body.to_domain(), body.top_k)
    urls = links(request, search.token)
    response.headers.update({**PRIVATE, "Location": urls["api_url"]})
    return SearchCreatedOut.from_domain(search, urls)


@router.get("/{token}", response_model=SearchOut, responses=NOT_FOUND)
def read_search(token: str, request: Request, response: Response, store: SearchStoreDep) -> SearchOut:
    """The saved search and the offers new in its top list since it was saved."""
    search = _found(store, token)
    response.headers.update(PRIVATE)
    return SearchOut.from_domain(search, store.notices(search.id), links(request, token)["feed_url"])


@router.get("/{token}/feed", responses={**NOT_FOUND, 200: {"content": {"application/atom+xml": {}},
                                                            "description": "an Atom feed (RFC 4287)"}})
def search_feed(token: str, request: Request, store: SearchStoreDep) -> Response:
    """The offers new in the search's top list, as an Atom feed for any feed reader (or Outlook)."""
    search = _found(store, token)
    feed = atom_feed(search, store.notices(search.id), str(request.base_url),
                     links(request, token)["feed_url"])
    return Response(feed, media_type="application/atom+xml; charset=utf-8", headers=PRIVATE)


@router.delete("/{token}", status_code=204, responses=NOT_FOUND)
def delete_search(token: str, store: SearchStoreDep) -> Response:
    """Delete the search and everything noticed for it, at once."""
    if not store.delete(token):
        raise _not_found()
    return Response(status_code=204, headers=PRIVATE)
