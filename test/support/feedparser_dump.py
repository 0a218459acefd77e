"""Parses feed documents with Debian's python3-feedparser and prints normalised JSON.

Run with /usr/bin/python3 (the Debian interpreter that owns python3-feedparser):
    /usr/bin/python3 feedparser_dump.py FILE...
Prints one JSON object {file: dump} so that a whole build is parsed in one process.
Files are read from disk and never fetched; feedparser is given bytes, not a URL.
"""
import json
import sys
import time

import feedparser


def iso(parsed):
    """feedparser's UTC struct_time → 'YYYY-MM-DDTHH:MM:SSZ' (or None)."""
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", parsed) if parsed else None


def links(obj):
    return [{"rel": l.get("rel"), "href": l.get("href"), "type": l.get("type"), "title": l.get("title"),
             "length": l.get("length")} for l in obj.get("links", [])]


def item(e):
    return {
        "id": e.get("id"),
        "title": e.get("title"),
        "title_type": e.get("title_detail", {}).get("type"),
        "link": e.get("link"),
        "links": links(e),
        "published": iso(e.get("published_parsed")),
        "updated": iso(e.get("updated_parsed")),
        "tags": [t.get("term") for t in e.get("tags", [])],
        "authors": [{"name": a.get("name"), "email": a.get("email"), "href": a.get("href")} for a in e.get("authors", [])],
        "author": e.get("author"),
        "enclosures": [{"href": x.get("href"), "type": x.get("type"), "length": x.get("length")} for x in e.get("enclosures", [])],
        "media_content": [dict(m) for m in e.get("media_content", [])],
        "media_credit": [dict(m) for m in e.get("media_credit", [])],
        "media_description": e.get("media_description") if isinstance(e.get("media_description"), str) else None,
        "content": [{"type": c.get("type"), "value": c.get("value")} for c in e.get("content", [])],
        "summary": e.get("summary"),
        "summary_type": e.get("summary_detail", {}).get("type"),
        "summary_detail": e.get("summary_detail", {}).get("value"),
        "language": e.get("language") or e.get("title_detail", {}).get("language"),
    }


def dump(path):
    with open(path, "rb") as f:
        d = feedparser.parse(f.read(), sanitize_html=False, resolve_relative_uris=False)
    feed = d.feed
    return {
        "bozo": int(d.bozo),
        "bozo_exception": repr(d.get("bozo_exception")) if d.bozo else None,
        "version": d.version,
        "encoding": d.get("encoding"),
        "namespaces": dict(d.get("namespaces", {})),
        "feed": {
            "id": feed.get("id"),
            "title": feed.get("title"),
            "link": feed.get("link"),
            "links": links(feed),
            "language": feed.get("language"),
            "updated": iso(feed.get("updated_parsed")),
            "subtitle": feed.get("subtitle"),
        },
        "items": [item(e) for e in d.entries],
    }


if __name__ == "__main__":
    json.dump({p: dump(p) for p in sys.argv[1:]}, sys.stdout, ensure_ascii=False)
