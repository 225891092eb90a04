"""A saved search as an Atom feed (RFC 4287): one entry per offer new in its top k, newest first."""
from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from datetime import datetime
from urllib.parse import quote

from ._store import Notice, SavedSearch

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
