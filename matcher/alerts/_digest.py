"""After a retrain: the offers new in each saved search's top k, noticed once per search, and how they
are told: an Atom feed (RFC 4287) and German digests for whoever sends mail."""
from __future__ import annotations

import hashlib
import json
import re
import xml.etree.ElementTree as ET
from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from urllib.parse import quote

from jinja2 import Environment

from ..core import Profile, label
from ..io import atomic_output
from ..model import MatchModel, load
from ..ranking import recommend_many
from ._store import Notice, SavedSearch, SearchStore, default_locations, utcnow


# After a retrain: the offers that are new in each saved search's top k, noticed once per search, ever.

def model_fingerprint(model: MatchModel) -> str:
    """Names one trained model in one mode: its card (which has the time it was fitted) and its offers."""
    digest = hashlib.sha256(json.dumps(model.card, sort_keys=True, default=str).encode())
    digest.update(model.mode.encode())
    for offer in model.offers:
        digest.update(b"\0" + offer.id.encode())
    return digest.hexdigest()[:32]


def refresh_notices(store: SearchStore, model: MatchModel, now: datetime | None = None) -> dict:
    """Purge expired searches, then note for each search not yet checked against this model the offers of its top
    k it has never been told about. Idempotent: a second run for the same model ranks nothing, and two processes
    running at once store each notice once. Returns {"purged", "active", "searches" (computed now), "new"}."""
    now = now or utcnow()
    purged = store.purge(now)
    fingerprint = model_fingerprint(model)
    pending = store.unchecked(fingerprint, now)
    by_k = defaultdict(list)  # recommend_many ranks many profiles in one batch, for one k
    for search in pending:
        by_k[search.top_k].append(search)
    new = 0
    for k, group in by_k.items():
        results = recommend_many(model, [s.profile for s in group], k, today=now.date())
        for search, result in zip(group, results):
            new += store.record(search.id, [rec.offer for rec in result.recommendations], fingerprint, now)
    return {"purged": purged, "active": len(store.active(now)), "searches": len(pending), "new": new}


# A saved search as an Atom feed (RFC 4287): one entry per offer new in its top k, newest first.

ATOM = "http://www.w3.org/2005/Atom"
_NOT_XML = re.compile("[^\t\n\r\u0020-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")  # what XML 1.0 cannot carry


def _text(value: str) -> str:
    return _NOT_XML.sub("", value)


def _when(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")  # stored as naive UTC


def atom_feed(search: SavedSearch, notices: list[Notice], base_url: str, feed_url: str) -> bytes:
    """The feed document. Entry ids name the search by its public id, never by its token, so they stay permanent
    and say nothing; the feed's own link is the token's (the reader subscribed to it)."""
    base = base_url.rstrip("/")
    ET.register_namespace("", ATOM)
    feed = ET.Element(f"{{{ATOM}}}feed", {"xml:lang": "de"})

    def child(parent, tag, text=None, **attrs):
        element = ET.SubElement(parent, f"{{{ATOM}}}{tag}", attrs)
        if text is not None:
            element.text = _text(text)
        return element

    child(feed, "id", f"urn:kommune-matcher:search:{search.id}")
    child(feed, "title", "Neue passende Angebote für Ihre gespeicherte Suche")
    child(feed, "updated", _when(max([n.noticed for n in notices], default=search.created)))
    author = child(feed, "author")
    child(author, "name", "kommune-matcher")
    child(feed, "link", rel="self", href=feed_url)
    for notice in notices:
        entry = child(feed, "entry")
        child(entry, "id", f"urn:kommune-matcher:search:{search.id}:offer:{notice.offer_id}")
        child(entry, "title", notice.title)
        child(entry, "link", rel="alternate", href=f"{base}/offers/{quote(notice.offer_id, safe='')}")
        if notice.url:
            child(entry, "link", rel="related", href=_text(notice.url))
        child(entry, "updated", _when(notice.noticed))
        child(entry, "summary", f"Neu unter Ihren passenden Angeboten: {notice.title} ({notice.provider})")
    return ET.tostring(feed, encoding="utf-8", xml_declaration=True)


# Digests for whoever sends mail: per saved search, the offers new since its last digest, in German, as plain
# text and HTML. Each carries the recipient's own private link (to see and delete the search) and its feed.

@dataclass(frozen=True)
class Digest:
    search: SavedSearch
    notices: tuple[Notice, ...]
    subject: str
    text: str
    html: str


def search_links(base_url: str, token: str) -> tuple[str, str]:
    """(page, feed) of a search: the German page at /suche/{token} and the Atom feed of the API."""
    base = base_url.rstrip("/")
    return f"{base}/suche/{token}", f"{base}/searches/{token}/feed"


def describe(search: SavedSearch) -> list[tuple[str, str]]:
    """(German label, value) of what a saved search holds, for the digest and the search's page."""
    p = search.profile
    rows = [("Anliegen", p.needs)]
    if p.role_title:
        rows.append(("Berufsbezeichnung", p.role_title))
    if p.role:
        rows.append(("Rolle", label("roles", p.role)))
    if p.fields:
        rows.append(("Handlungsfelder", ", ".join(label("fields", f) for f in p.fields)))
    rows.append(("Bundesland", label("states", p.region) if p.region else "alle Bundesländer"))
    if p.format_preference:
        rows.append(("Format", label("formats", p.format_preference)))
    return rows


def _offer_link(base: str, notice: Notice) -> str:
    return notice.url or f"{base}/offers/{quote(notice.offer_id, safe='')}"


def _excerpt(text: str, size: int = 80) -> str:
    text = " ".join(text.split())
    return text if len(text) <= size else text[:size - 1].rstrip() + "…"


_HTML = Environment(autoescape=True).from_string("""<!doctype html>
<html lang="de"><head><meta charset="utf-8"><title>{{ subject }}</title></head>
<body style="font-family: sans-serif; max-width: 40em">
<h1 style="font-size: 1.3em">{{ subject }}</h1>
<p>Guten Tag,</p>
<p>für Ihre gespeicherte Suche „{{ excerpt }}“ gibt es
{{ 'ein neues passendes Angebot' if notices | length == 1 else (notices | length) ~ ' neue passende Angebote' }}:</p>
<ol>
{% for n in notices %}  <li><a href="{{ link(n) }}">{{ n.title }}</a><br>{{ n.provider }}</li>
{% endfor %}</ol>
<p><a href="{{ page }}">Ihre Suche ansehen oder löschen</a> · <a href="{{ feed }}">als Feed abonnieren</a></p>
<p style="color: #555">Diesen Link kennen nur Sie: wer ihn hat, kann die Suche sehen und löschen. Ihre Suche wird
am {{ expires }} automatisch gelöscht.</p>
</body></html>
""")


def render_digest(search: SavedSearch, notices: list[Notice], base_url: str) -> Digest:
    """The digest of one search's new notices; the search must carry its token (its link is in the digest)."""
    base = base_url.rstrip("/")
    page, feed = search_links(base, search.token)
    count = len(notices)
    subject = "Ein neues passendes Angebot" if count == 1 else f"{count} neue passende Angebote"
    subject += " für Ihre gespeicherte Suche"
    excerpt, expires = _excerpt(search.profile.needs), search.expires.strftime("%d.%m.%Y")
    lines = [subject, "", "Guten Tag,", "",
             f"für Ihre gespeicherte Suche „{excerpt}“ gibt es "
             + ("ein neues passendes Angebot:" if count == 1 else f"{count} neue passende Angebote:"), ""]
    for place, n in enumerate(notices, start=1):
        lines += [f"{place}. {n.title}", f"   {n.provider}", f"   {_offer_link(base, n)}", ""]
    lines += [f"Ihre Suche ansehen oder löschen: {page}", f"Als Feed abonnieren: {feed}", "",
              "Diesen Link kennen nur Sie: wer ihn hat, kann die Suche sehen und löschen.",
              f"Ihre Suche wird am {expires} automatisch gelöscht.", ""]
    html = _HTML.render(subject=subject, excerpt=excerpt, notices=notices, page=page, feed=feed, expires=expires,
                        link=lambda n: _offer_link(base, n))
    return Digest(search, tuple(notices), subject, "\n".join(lines), html)


def _write_private(path: Path, text: str) -> None:
    """Replace `path` whole or not at all, readable by its owner only: a digest holds a secret link."""
    with atomic_output(path, (), private=True) as (out, _):
        out.write(text)


def write_digests(store: SearchStore, out_dir: str | Path, base_url: str, now: datetime | None = None) -> dict:
    """Write OUT/<search id>.txt and .html for every search with notices not yet in a digest, then mark those
    notices sent, so the next run writes only newer ones. A file is replaced by that search's next digest: send
    (or move) the files before the next run. Returns {"digests", "offers", "without_link"}; a search whose link
    the key cannot rebuild (the key file was replaced) is left unsent and counted in without_link."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    counts = {"digests": 0, "offers": 0, "without_link": 0}
    for search in store.active(now):
        unsent = [n for n in store.notices(search.id) if n.sent is None]
        if not unsent:
            continue
        if search.token is None:
            counts["without_link"] += 1
            continue
        digest = render_digest(search, unsent, base_url)
        _write_private(out / f"{search.id}.txt", digest.text)
        _write_private(out / f"{search.id}.html", digest.html)
        # marked after both files are in place: a run that dies between writes the same digest again, never none
        store.mark_sent(search.id, [n.offer_id for n in unsent], now or utcnow())
        counts["digests"] += 1
        counts["offers"] += len(unsent)
    return counts


def send_alerts(model_dir: str | Path, out_dir: str | Path, *, db: str | None = None, key_file: str | None = None,
                base_url: str = "http://127.0.0.1:8000", semantic: bool = True) -> dict:
    """After a retrain: the new offers of every saved search under the model in `model_dir`, one digest per search
    with news written to `out_dir`. The searches are where the service keeps them unless `db` and `key_file` say
    otherwise. Returns the counts of refresh_notices and write_digests in one dict (zeros without a database)."""
    default_db, default_key = default_locations(model_dir)
    store = SearchStore(db or default_db, key_file or default_key)
    model = load(model_dir)
    model = model if semantic else model.lexical()
    counts = {"active": 0, "searches": 0, "new": 0, "purged": 0, "digests": 0, "offers": 0, "without_link": 0}
    if store.exists():
        counts.update(refresh_notices(store, model))
        counts.update(write_digests(store, out_dir, base_url))
    return counts


def save_search(store: SearchStore, recommender, profile: Profile, top_k: int) -> SavedSearch:
    """Store a search with its current top k as already seen, so only offers that enter it later are new.

    recommender: a matcher.ranking.CachedRecommender (the person has usually just seen this list: a cache hit);
    one model gives the baseline and names it.
    """
    seen = recommender.recommend(profile, top_k)
    return store.save(profile, top_k, [r.offer for r in seen.recommendations], model_fingerprint(recommender.model))
