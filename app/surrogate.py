"""Surrogate keys: what each answer is tagged with, and what each change purges.

Two kinds of key, so that a purge is exact and no answer's header grows with its length:

- **Object keys** name one object an answer shows: `article:<id>`, `author:<id>`,
  `section:<slug>`, `tag:<slug>`, `photo:<id>`, `feed_entry:<id>`, `site`. A story's own
  answers carry its key and those of the objects it shows (byline, section, tags, photos,
  and the stories its cards show).
- **Collection keys** name what a list was drawn from: `articles` (every story: the lists
  without a section, tag, author or type filter, search, the site's feeds, the news
  sitemap, most popular), `articles:section:<ref>`, `articles:tag:<ref>`,
  `articles:author:<ref>`, `articles:type:<type>`, and `authors`, `sections`, `tags`,
  `feed`, `sync`. A list never carries a key per item: whatever enters, leaves or changes
  in it purges its collection. Lists of stories also carry `article-lists`, purged when
  an object they show in every item (a section, an author, a tag, a photo) changes.

A change purges its object's key and the collections it was in or is now in
(`article_change`, `object_change`); every purge is sent from the outbox after the commit.
"""

import re
from collections.abc import Iterable
from typing import Any

ARTICLES = "articles"
ARTICLE_LISTS = "article-lists"
FEED = "feed"
SITE = "site"
SYNC = "sync"

# A ref that can stand in a space-separated header as it is; anything else (which no
# slug or id is) widens a list's key to its whole collection.
_TOKEN = re.compile(r"^[A-Za-z0-9_.:-]{1,120}$")


def collection(kind: str, ref: str) -> str:
    """The collection of stories of one section, tag, author (by id or slug) or type."""
    return f"articles:{kind}:{ref}"


def article_keys(article: dict[str, Any]) -> set[str]:
    """The keys of one story's answers (JSON, ninjs, JSON-LD): the objects it shows."""
    keys = {f"article:{article['id']}"}
    if article.get("section"):
        keys.add(f"section:{article['section']['slug']}")
    keys.update(f"author:{a['id']}" for a in article.get("authors") or ())
    keys.update(f"tag:{t['slug']}" for t in article.get("tags") or ())
    if article.get("lead_photo"):
        keys.add(f"photo:{article['lead_photo']['id']}")
    for card in article.get("related") or ():
        if card["article"]:
            keys.add(f"article:{card['article']['id']}")
            keys.update(f"author:{a['id']}" for a in card["authors"])
    keys.update(f"article:{t['id']}" for t in article.get("translations") or ())
    for block in article.get("body") or ():
        if block["type"] == "photo":
            keys.add(f"photo:{block['photo_id']}")
    return keys


def article_list_keys(
    *,
    section: str | None = None,
    tags: Iterable[str] = (),
    author: str | None = None,
    type: str | None = None,
) -> set[str]:
    """The keys of a list of stories: the collections its filters drew it from (a story
    entering the list enters each of them), or all stories when it has none of them."""
    drawn = set()
    if section:
        drawn.add(collection("section", section))
    drawn.update(collection("tag", t) for t in tags)
    if author:
        drawn.add(collection("author", author))
    if type:
        drawn.add(collection("type", type))
    if not drawn or not all(_TOKEN.match(k) for k in drawn):
        drawn = {ARTICLES}
    return {ARTICLE_LISTS, *drawn}


def memberships(
    *,
    section: tuple[str | None, str | None] = (None, None),
    tags: Iterable[tuple[str, str]] = (),
    authors: Iterable[tuple[str, str]] = (),
    type: str | None = None,
) -> set[str]:
    """Every collection a story is in, by id and by slug of each (lists take either):
    `section` is (id, slug), `tags` and `authors` (id, slug) pairs."""
    keys = {collection("section", ref) for ref in section if ref}
    keys.update(collection("tag", ref) for pair in tags for ref in pair if ref)
    keys.update(collection("author", ref) for pair in authors for ref in pair if ref)
    if type:
        keys.add(collection("type", type))
    return keys


def article_change(article_id: str, *, collections: Iterable[str], in_feed: bool) -> set[str]:
    """What a save or deletion of a story purges: its answers and those of stories that
    show it as a card (`article:<id>`), every collection it was or is now in, all stories'
    lists, the sync log, and the News Feed when an entry links to it."""
    keys = {f"article:{article_id}", ARTICLES, SYNC, *collections}
    if in_feed:
        keys.add(FEED)
    return keys


def object_change(own: Iterable[str], *, shown_in_article_lists: bool) -> set[str]:
    """What a change of an author, section, tag, photo or feed entry purges: its own keys
    (its answers, its list, and the stories that show it), the sync log, and, for an
    object that lists of stories show in their items, every such list."""
    keys = {SYNC, *own}
    if shown_in_article_lists:
        keys.add(ARTICLE_LISTS)
    return keys
