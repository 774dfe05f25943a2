"""Generated news articles in volume, deterministic for a seed, for load tests and benchmarks."""

import json
import random
import re
import string
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from enum import Enum
from importlib import resources
from typing import Any

import sqlalchemy as sa
from sqlalchemy import JSON, func, insert, select
from sqlmodel import Session, SQLModel

from app.articles.blocks import body_columns
from app.ids import new_id
from app.models import (
    Article,
    ArticleAuthor,
    ArticleRevision,
    ArticleStatus,
    ArticleTag,
    Author,
    AuthorKind,
    FeedEntry,
    Photo,
    RelatedLink,
    Section,
    Site,
    Tag,
)

Row = dict[str, Any]
Pools = Mapping[str, Sequence[str]]

# Generated stories are spread over the two years before this moment.
ANCHOR = datetime(2025, 6, 1, tzinfo=UTC)
SPAN = timedelta(days=730)
BATCH = 1000
SITE_URL = "https://news.example.org"
MEDIA_URL = "https://media.example.org"
RENDITION_WIDTHS = (320, 640, 1024, 1600)
YOUTUBE_ALPHABET = string.ascii_letters + string.digits + "-_"

# ---------------------------------------------------------------------------------------------
# The words stories are written with live in `data/words.json`: sections, tags and authors
# (fixed lists, reused when their slug is already in the database), photographers and
# agencies, and the word pools and templates. A `{name}` slot takes a value from the pool
# `name`; a trailing digit (`{country2}`) draws again from the same pool, never repeating a
# value in one text. Lists are read as tuples, so that draws are as they were.


def _frozen(value: Any) -> Any:
    if isinstance(value, list):
        return tuple(_frozen(v) for v in value)
    if isinstance(value, dict):
        return {k: _frozen(v) for k, v in value.items()}
    return value


_WORDS: dict[str, Any] = _frozen(
    json.loads(resources.files("app.demo").joinpath("data/words.json").read_text("utf-8"))
)

SECTIONS: tuple[tuple[str, str, str], ...] = _WORDS["sections"]
SECTION_WEIGHTS: dict[str, int] = _WORDS["section_weights"]
TAGS: tuple[str, ...] = _WORDS["tags"]
SECTION_TAGS: dict[str, tuple[str, ...]] = _WORDS["section_tags"]
FIRST_NAMES: tuple[str, ...] = _WORDS["first_names"]
LAST_NAMES: tuple[str, ...] = _WORDS["last_names"]
BEAT_TITLES: dict[str, str] = _WORDS["beat_titles"]
DESKS: tuple[tuple[str, str, str], ...] = _WORDS["desks"]


def _person(index: int) -> str:
    """Author number `index`: first and last names paired by a fixed stride."""
    return f"{FIRST_NAMES[index]} {LAST_NAMES[(7 * index + 3) % len(LAST_NAMES)]}"


# People quoted in stories: the same names, paired differently.
SOURCES: tuple[str, ...] = tuple(
    dict.fromkeys(
        f"{FIRST_NAMES[i]} {LAST_NAMES[(stride * i + shift) % len(LAST_NAMES)]}"
        for stride, shift in ((11, 5), (13, 17))
        for i in range(len(FIRST_NAMES))
    )
)
PHOTOGRAPHERS: tuple[str, ...] = _WORDS["photographers"]
AGENCIES: tuple[str | None, ...] = _WORDS["agencies"]
AGENCY_TERMS: str = _WORDS["agency_terms"]
STAFF_TERMS: str = _WORDS["staff_terms"]

COMMON: dict[str, tuple[str, ...]] = {"person": SOURCES, **_WORDS["common"]}
SECTION_PLACES: dict[str, tuple[tuple[str, str], ...]] = _WORDS["section_places"]
GENERAL_SENTENCES: tuple[str, ...] = _WORDS["general_sentences"]
SHARED_POOLS: dict[str, tuple[str, ...]] = _WORDS["shared_pools"]


@dataclass(frozen=True)
class SectionText:
    headlines: tuple[str, ...]
    sentences: tuple[str, ...]
    scenes: tuple[str, ...]
    pools: dict[str, tuple[str, ...]]


SECTION_TEXT: dict[str, SectionText] = {
    slug: SectionText(**text) for slug, text in _WORDS["section_text"].items()
}
HEADINGS: tuple[str, ...] = _WORDS["headings"]
UK_HEADLINES: dict[str, tuple[str, ...]] = _WORDS["uk_headlines"]
UK_SECTION_DRAW: tuple[str, ...] = _WORDS["uk_section_draw"]
UK_SENTENCES: tuple[str, ...] = _WORDS["uk_sentences"]
UK_HEADINGS: tuple[str, ...] = _WORDS["uk_headings"]
UK_POOLS: dict[str, tuple[str, ...]] = _WORDS["uk_pools"]
_UK_LATIN = str.maketrans(_WORDS["uk_latin"])
EXTERNAL_SITES: tuple[tuple[str, str], ...] = _WORDS["external_sites"]

# Weighted draws, written out once so that a draw is one `rng.choice`.
TYPE_DRAW = ("article",) * 86 + ("video",) * 8 + ("live",) * 2 + ("analysis",) * 3 + ("opinion",)
FEED_KIND_DRAW = ("news",) * 6 + ("video",) * 2 + ("breaking", "analysis")
SENTENCES_DRAW = (1, 1, 2, 2, 2, 2, 3, 3, 3, 4)
TAG_COUNT_DRAW = (0, 1, 1, 2, 2, 2, 3, 3, 4)
RELATED_COUNT_DRAW = (0, 0, 0, 1, 1, 1, 2, 2, 3)
BYLINE_DRAW = (1,) * 14 + (2,) * 4 + (3,) * 2

_SLOT = re.compile(r"\{([a-z_]+?)\d?\}")
_NOT_SLUG = re.compile(r"[^a-z0-9]+")


def _fill(rng: random.Random, template: str, pools: Pools) -> str:
    """The template with each slot drawn from its pool, no value twice, first letter capital."""
    used: set[str] = set()

    def draw(match: re.Match[str]) -> str:
        pool = pools[match.group(1)]
        value = rng.choice(pool)
        for _ in range(5):
            if value not in used:
                break
            value = rng.choice(pool)
        used.add(value)
        return value

    text = _SLOT.sub(draw, template)
    return text[0].upper() + text[1:]


def _slugify(text: str, limit: int = 80) -> str:
    slug = _NOT_SLUG.sub("-", text.lower().translate(_UK_LATIN)).strip("-")
    if len(slug) > limit:
        slug = slug[:limit].rsplit("-", 1)[0]
    return slug or "story"


@dataclass(frozen=True)
class Voice:
    """What a story is written with: one per English section, and one for Ukrainian."""

    language: str
    headlines: tuple[str, ...]
    sentences: tuple[str, ...]
    # Plain-text sentences on the story's own subject, for summaries and subheadlines.
    leads: tuple[str, ...]
    headings: tuple[str, ...]
    live_heading: str
    pools: Pools


def _voices() -> dict[str, Voice]:
    voices: dict[str, Voice] = {}
    for slug, text in SECTION_TEXT.items():
        pools = {
            **COMMON,
            **SHARED_POOLS,
            "city": tuple(city for city, _ in SECTION_PLACES[slug]),
            **text.pools,
        }
        voices[slug] = Voice(
            language="en",
            headlines=text.headlines,
            sentences=text.sentences + GENERAL_SENTENCES,
            leads=tuple(t for t in text.sentences if "<" not in t),
            headings=HEADINGS,
            live_heading="Update at {}",
            pools=pools,
        )
    voices["uk"] = Voice(
        language="uk",
        headlines=tuple(t for group in UK_HEADLINES.values() for t in group),
        sentences=UK_SENTENCES,
        leads=tuple(t for t in UK_SENTENCES if "<" not in t and "«" not in t),
        headings=UK_HEADINGS,
        live_heading="Оновлення о {}",
        pools=UK_POOLS,
    )
    return voices


VOICES = _voices()
COUNTRY_OF = {city: country for places in SECTION_PLACES.values() for city, country in places}
# Within one story, these pools shrink to a few values drawn for it: one city, a small cast.
BIND = {"city": 1, "oblast": 1, "person": 3, "company": 2, "country": 3, "film": 1, "festival": 1}
ALIGNED = ("city_loc", "city_gen")


def _bind(rng: random.Random, voice: Voice) -> Voice:
    """The voice of one story, whose places and people recur instead of changing each line."""
    pools = dict(voice.pools)
    for key, size in BIND.items():
        if key in pools:
            pools[key] = tuple(rng.sample(pools[key], size))
    if ALIGNED[0] in pools:
        pick = rng.randrange(len(pools[ALIGNED[0]]))
        for key in ALIGNED:
            pools[key] = (pools[key][pick],)
    return replace(voice, pools=pools)


def _insert(session: Session, model: type[SQLModel], rows: list[Row]) -> None:
    if rows:
        table: Any = model.__table__  # type: ignore[attr-defined]
        session.execute(insert(table), rows)


def _copy(session: Session, model: type[SQLModel], rows: list[Row]) -> None:
    """`rows` written with PostgreSQL's COPY, holding what `_insert` would have stored: a
    column a row leaves out gets the column's default, JSON is encoded as SQLAlchemy encodes
    it, and the columns PostgreSQL computes (the search vector) are computed by it."""
    if not rows:
        return
    table: Any = model.__table__  # type: ignore[attr-defined]
    given = rows[0].keys()
    columns = [c for c in table.columns if c.computed is None]
    names = [c.name for c in columns]
    fill: list[tuple[int, Any]] = []
    encode: list[int] = []
    for position, column in enumerate(columns):
        if column.name not in given and column.default is not None:
            fill.append((position, column.default))
        if isinstance(column.type, JSON):
            encode.append(position)
    cursor = session.connection().connection.driver_connection.cursor()  # type: ignore[union-attr]
    statement = f"COPY {table.name} ({', '.join(names)}) FROM STDIN"
    with cursor.copy(statement) as copy:
        for row in rows:
            values = [row.get(name) for name in names]
            for position, default in fill:
                value = default.arg(None) if default.is_callable else default.arg
                values[position] = value.value if isinstance(value, Enum) else value
            for position in encode:
                values[position] = json.dumps(values[position])
            copy.write_row(values)
    cursor.close()


# ---------------------------------------------------------------------------------------------


@dataclass
class _Pending:
    """An English story of the current batch that a Ukrainian one may translate."""

    row: Row
    section: str
    photo_id: str | None
    at: datetime


class _Generator:
    def __init__(
        self, session: Session, *, count: int, seed: int, copy: bool, now: datetime
    ) -> None:
        self.session = session
        self.rng = random.Random(seed)
        self.count = count
        self.start = ANCHOR - SPAN
        self.span_seconds = SPAN.total_seconds()
        self.real_now = now
        self.write = _copy if copy else _insert
        # COPY loads may run without the slug index (see `_without_indexes`): the slugs
        # already taken are looked up once, then kept here.
        self.slugs: set[str] | None = set(session.scalars(select(Article.slug))) if copy else None
        existing = session.scalar(select(func.count()).select_from(Article)) or 0
        # Slugs end in a number counting on from the stories already there.
        self.serial = existing
        site = session.get(Site, 1)
        self.own_name = site.name if site else "Byline"
        self.section_ids: dict[str, str] = {}
        self.tag_ids: dict[str, str] = {}
        self.beat_authors: dict[str, list[str]] = {slug: [] for slug, _, _ in SECTIONS}
        self.person_ids: list[str] = []
        self.desk_ids: dict[str, str] = {}
        self.earlier: list[str] = []
        self.pending: list[_Pending] = []
        self.deck: list[str] = []
        self._reset_batch()
        sections = [slug for slug, _, _ in SECTIONS]
        self.section_draw = tuple(s for s in sections for _ in range(SECTION_WEIGHTS[s]))

    def _reset_batch(self) -> None:
        self.photos: list[Row] = []
        self.articles: list[Row] = []
        self.bylines: list[Row] = []
        self.tagging: list[Row] = []
        self.links: list[Row] = []
        self.feed: list[Row] = []
        self.pending = []

    # -- reference rows -------------------------------------------------------------------

    def _existing(self, model: Any, slugs: list[str]) -> dict[str, str]:
        rows = self.session.execute(select(model.slug, model.id).where(model.slug.in_(slugs)))
        return {slug: id_ for slug, id_ in rows}

    def ensure_references(self) -> None:
        """Look sections, tags and authors up by slug; create the missing ones."""
        made = ANCHOR - SPAN - timedelta(days=30)
        stamps = {"version": 1, "created_at": made, "updated_at": made}

        found = self._existing(Section, [slug for slug, _, _ in SECTIONS])
        new: list[Row] = []
        for position, (slug, name, description) in enumerate(SECTIONS, start=1):
            if slug not in found:
                found[slug] = new_id("sec")
                new.append(
                    {
                        "id": found[slug],
                        "slug": slug,
                        "name": name,
                        "description": description,
                        "position": position,
                        **stamps,
                    }
                )
        _insert(self.session, Section, new)
        self.section_ids = found

        slugs = {name: _slugify(name) for name in TAGS}
        found = self._existing(Tag, list(slugs.values()))
        new = []
        for name, slug in slugs.items():
            if slug not in found:
                found[slug] = new_id("tag")
                new.append(
                    {"id": found[slug], "slug": slug, "name": name, "description": None, **stamps}
                )
        _insert(self.session, Tag, new)
        self.tag_ids = {name: found[slug] for name, slug in slugs.items()}

        people = [_person(i) for i in range(len(FIRST_NAMES))]
        people_slugs = [_slugify(name) for name in people]
        found = self._existing(Author, people_slugs + [slug for slug, _, _ in DESKS])
        new = []
        for index, (name, slug) in enumerate(zip(people, people_slugs, strict=True)):
            beat = SECTIONS[index % len(SECTIONS)][0]
            if slug not in found:
                found[slug] = new_id("aut")
                title = BEAT_TITLES[beat]
                new.append(
                    {
                        "id": found[slug],
                        "slug": slug,
                        "name": name,
                        "kind": AuthorKind.person.value,
                        "job_title": title,
                        "bio": f"{name} is a {title.lower()} covering "
                        f"{SECTIONS[index % len(SECTIONS)][1].lower()} news.",
                        "avatar_url": f"{MEDIA_URL}/authors/{slug}.jpg",
                        "url": f"{SITE_URL}/authors/{slug}/",
                        **stamps,
                    }
                )
            self.beat_authors[beat].append(found[slug])
            self.person_ids.append(found[slug])
        for slug, name, bio in DESKS:
            if slug not in found:
                found[slug] = new_id("aut")
                new.append(
                    {
                        "id": found[slug],
                        "slug": slug,
                        "name": name,
                        "kind": AuthorKind.desk.value,
                        "job_title": None,
                        "bio": bio,
                        "avatar_url": None,
                        "url": f"{SITE_URL}/authors/{slug}/",
                        **stamps,
                    }
                )
            self.desk_ids[slug] = found[slug]
        _insert(self.session, Author, new)
        self.session.commit()

    # -- one story ------------------------------------------------------------------------

    def _sentence(self, voice: Voice) -> str:
        """The next sentence of the story: templates are dealt from a shuffled deck."""
        if not self.deck:
            self.deck = list(voice.sentences)
            self.rng.shuffle(self.deck)
        return _fill(self.rng, self.deck.pop(), voice.pools)

    def _plain(self, voice: Voice, n: int) -> str:
        """`n` different plain-text sentences on the subject of `voice`."""
        return " ".join(_fill(self.rng, t, voice.pools) for t in self.rng.sample(voice.leads, n))

    def _sentences(self, voice: Voice, n: int) -> str:
        return " ".join(self._sentence(voice) for _ in range(n))

    def _paragraph(self, voice: Voice) -> Row:
        return {
            "type": "paragraph",
            "html": self._sentences(voice, self.rng.choice(SENTENCES_DRAW)),
        }

    def _youtube(self) -> str:
        code = "".join(self.rng.choice(YOUTUBE_ALPHABET) for _ in range(11))
        return f"https://www.youtube.com/watch?v={code}"

    def _body(
        self, voice: Voice, kind: str, headline: str, at: datetime, related_id: str | None
    ) -> list[Row]:
        rng = self.rng
        mean = 16.0 if kind in ("analysis", "opinion") else 10.0
        paragraphs = min(40, 3 + int(rng.expovariate(1 / mean)))
        blocks = [self._paragraph(voice) for _ in range(paragraphs)]
        if kind == "live":
            # Newest update first, each above the paragraphs it brings.
            moment = at + timedelta(hours=rng.randint(2, 12))
            updates: list[tuple[int, Row]] = []
            for position in range(0, len(blocks), rng.randint(2, 3)):
                text = voice.live_heading.format(f"{moment:%H:%M}")
                updates.append((position, {"type": "heading", "level": 3, "text": text}))
                moment -= timedelta(minutes=rng.randint(10, 50))
            for position, heading in reversed(updates):
                blocks.insert(position, heading)
        elif paragraphs >= 8 and rng.random() < (0.6 if kind == "analysis" else 0.3):
            spots = sorted(rng.sample(range(2, paragraphs), min(3, rng.randint(1, 3))))
            for position in reversed(spots):
                text = rng.choice(voice.headings)
                blocks.insert(position, {"type": "heading", "level": 2, "text": text})
        if rng.random() < 0.2:
            quote: Row = {"type": "quote", "text": _fill(rng, "{quote}.", voice.pools)}
            if rng.random() < 0.9:
                quote["attribution"] = _fill(rng, "{person}, {role}", voice.pools)
            blocks.insert(rng.randint(1, len(blocks)), quote)
        if rng.random() < 0.08:
            items = [self._sentence(voice).rstrip(".") for _ in range(rng.randint(3, 6))]
            list_block = {"type": "list", "ordered": rng.random() < 0.3, "items": items}
            blocks.insert(rng.randint(1, len(blocks)), list_block)
        if kind == "video" or rng.random() < 0.06:
            title = (
                headline
                if kind == "video"
                else _fill(rng, rng.choice(voice.headlines), voice.pools)
            )
            embed = {"type": "embed", "provider": "youtube", "url": self._youtube(), "title": title}
            blocks.insert(0 if kind == "video" else rng.randint(1, len(blocks)), embed)
        if related_id is not None:
            position = rng.randint(min(2, len(blocks)), len(blocks))
            blocks.insert(position, {"type": "related", "related_id": related_id})
        return blocks

    def _photo(self, section: str, city: str, at: datetime) -> str:
        rng = self.rng
        country = COUNTRY_OF[city]
        scene = rng.choice(SECTION_TEXT[section].scenes)
        photographer = rng.choice(PHOTOGRAPHERS)
        agency = rng.choice(AGENCIES)
        width, height = (2000, 1333) if rng.random() < 0.6 else (1600, 900)
        photo_id = new_id("pho")
        day = f"{at:%B} {at.day}"
        caption = (
            f"{city.upper()}, {country.upper()} - {day.upper()}: {scene} in {city}, "
            f"{country}, on {day}, {at.year}."
        )
        holder = agency or self.own_name
        self.photos.append(
            {
                "id": photo_id,
                "url": f"{MEDIA_URL}/photos/{photo_id}.jpg",
                "caption": caption,
                "credit": f"Photo by {photographer}/{holder}",
                "photographer": photographer,
                "agency": agency,
                "alt_text": f"{scene} in {city}",
                "width": width,
                "height": height,
                "mime_type": "image/jpeg",
                "copyright_holder": holder,
                "usage_terms": STAFF_TERMS if agency is None else AGENCY_TERMS,
                "syndication_allowed": agency is None,
                "renditions": [
                    {
                        "width": w,
                        "height": round(w * height / width),
                        "url": f"{MEDIA_URL}/photos/{photo_id}/{w}.jpg",
                    }
                    for w in RENDITION_WIDTHS
                    if w <= width
                ],
                "version": 1,
                "created_at": at,
                "updated_at": at,
            }
        )
        return photo_id

    def _related(self, article_id: str, at: datetime) -> list[str]:
        rng = self.rng
        ids: list[str] = []
        targets: set[str] = set()
        for position in range(rng.choice(RELATED_COUNT_DRAW)):
            link: Row = {
                "id": new_id("rel"),
                "article_id": article_id,
                "position": position,
                "target_article_id": None,
                "url": None,
                "title": None,
                "summary": None,
                "site_name": None,
                "inline": position == 0,
                "created_at": at,
            }
            target = None
            if self.earlier and rng.random() < 0.8:
                # Mostly a recent story, sometimes an older one.
                recent = rng.random() < 0.7
                pick = rng.randrange(
                    max(0, len(self.earlier) - 300) if recent else 0, len(self.earlier)
                )
                target = self.earlier[pick]
            if target is not None and target not in targets:
                targets.add(target)
                link["target_article_id"] = target
            else:
                site_name, base = rng.choice(EXTERNAL_SITES)
                english = VOICES[rng.choice(self.section_draw)]
                title = _fill(rng, rng.choice(english.headlines), english.pools)
                link.update(
                    url=f"{base}{_slugify(title, 60)}-{rng.randrange(10**6, 10**7)}",
                    title=title,
                    summary=self._plain(english, 1),
                    site_name=site_name,
                )
            self.links.append(link)
            ids.append(link["id"])
        return ids

    def _byline(self, article_id: str, section: str, kind: str) -> None:
        rng = self.rng
        if rng.random() < 0.12 or (kind == "video" and rng.random() < 0.5):
            desk = "video-desk" if kind == "video" else "news-desk"
            authors = [(self.desk_ids[desk], "author")]
        else:
            n = rng.choice(BYLINE_DRAW)
            beat = self.beat_authors[section]
            pool = beat if beat and rng.random() < 0.7 and len(beat) >= n else self.person_ids
            chosen = rng.sample(pool, n)
            authors = [(a, "author") for a in chosen]
            if rng.random() < 0.1:
                extra = rng.choice(self.person_ids)
                if extra not in chosen:
                    authors.append((extra, "contributor"))
        self.bylines.extend(
            {"article_id": article_id, "author_id": author, "position": i, "role": role}
            for i, (author, role) in enumerate(authors)
        )

    def _tags(self, article_id: str, section: str) -> None:
        rng = self.rng
        chosen: list[str] = []
        for _ in range(rng.choice(TAG_COUNT_DRAW)):
            name = rng.choice(SECTION_TAGS[section] if rng.random() < 0.75 else TAGS)
            if name not in chosen:
                chosen.append(name)
        self.tagging.extend(
            {"article_id": article_id, "tag_id": self.tag_ids[name], "position": i}
            for i, name in enumerate(chosen)
        )

    def article(self, index: int) -> None:
        rng = self.rng
        at = self.start + timedelta(
            seconds=int(self.span_seconds * (index + rng.random()) / self.count)
        )
        article_id = new_id("art")
        language = "uk" if rng.random() < 0.05 else "en"
        section = rng.choice(UK_SECTION_DRAW if language == "uk" else self.section_draw)
        if section == "opinion":
            kind = "opinion" if rng.random() < 0.9 else "article"
        elif section == "analysis":
            kind = "analysis" if rng.random() < 0.85 else "article"
        else:
            kind = rng.choice(TYPE_DRAW)
        translation_group: str | None = None
        photo_id: str | None = None
        source: _Pending | None = None
        if language == "uk" and rng.random() < 0.6:
            # A version of a recent English story, published up to two days after it.
            recent = [i for i, p in enumerate(self.pending) if p.at >= at - timedelta(days=2)]
            if recent:
                source = self.pending.pop(rng.choice(recent))
                section, kind, photo_id = source.section, source.row["type"], source.photo_id
                translation_group = source.row["translation_group"] = source.row["id"]
        voice = _bind(rng, VOICES["uk" if language == "uk" else section])
        headlines = UK_HEADLINES[section] if language == "uk" else voice.headlines
        self.deck = []
        if "city" in voice.pools:
            city = voice.pools["city"][0]
        else:
            city = rng.choice(SECTION_PLACES[section])[0]

        roll = rng.random()
        status = (
            ArticleStatus.published
            if roll < 0.94
            else ArticleStatus.draft
            if roll < 0.97
            else ArticleStatus.scheduled
            if roll < 0.99
            else ArticleStatus.unpublished
        )
        created = at - timedelta(minutes=rng.randint(15, 600))
        published: datetime | None = at
        first_published: datetime | None = at
        embargo: datetime | None = None
        if kind == "live":
            updated = at + timedelta(hours=rng.randint(2, 14))
        elif rng.random() < 0.3:
            updated = at + timedelta(minutes=rng.randint(5, 60 * 48))
        else:
            updated = at
        if status is ArticleStatus.draft:
            published = first_published = None
            created, updated = at, at + timedelta(minutes=rng.randint(1, 240))
        elif status is ArticleStatus.scheduled:
            published = self.real_now + timedelta(
                days=rng.randint(1, 21), minutes=rng.randint(0, 1439)
            )
            first_published = None
            created, updated = at, at + timedelta(minutes=rng.randint(1, 240))
        elif status is ArticleStatus.unpublished:
            updated = at + timedelta(days=rng.randint(1, 30))
        elif rng.random() < 0.04:
            embargo = at.replace(minute=0, second=0)
        live_since = at if first_published is not None else created
        updated = max(min(updated, ANCHOR), live_since)

        headline = _fill(rng, rng.choice(headlines), voice.pools)
        self.serial += 1
        slug = f"{_slugify(headline)}-{self.serial}"
        subheadline = self._plain(voice, 1) if rng.random() < 0.35 else None
        summary = self._plain(voice, rng.choice((1, 1, 2)))
        if source is None and rng.random() < 0.85:
            photo_id = self._photo(section, city, at)
        related = self._related(article_id, created)
        blocks = self._body(voice, kind, headline, at, related[0] if related else None)
        row: Row = {
            "id": article_id,
            "slug": slug,
            "type": kind,
            "status": status.value,
            "headline": headline,
            "subheadline": subheadline,
            "dateline": city.upper() if language == "en" and rng.random() < 0.4 else None,
            "summary": summary,
            "language": language,
            "section_id": self.section_ids[section],
            "lead_photo_id": photo_id,
            **body_columns(blocks),
            "canonical_url": f"{SITE_URL}/{section}/{slug}/",
            "translation_group": translation_group,
            "published_at": published,
            "first_published_at": first_published,
            "embargo_until": embargo,
            "version": 1,
            "created_at": created,
            "updated_at": updated,
        }
        self.articles.append(row)
        self._byline(article_id, section, kind)
        self._tags(article_id, section)
        if status is ArticleStatus.published:
            self.earlier.append(article_id)
            if language == "en" and translation_group is None and section in UK_HEADLINES:
                self.pending.append(_Pending(row, section, photo_id, at))
                del self.pending[:-50]
        if (index + 1) % 10 == 0:
            self._feed_entry(row, section, at)

    def _feed_entry(self, article: Row, section: str, at: datetime) -> None:
        rng = self.rng
        when = min(at + timedelta(minutes=rng.randint(0, 90)), ANCHOR)
        kind = rng.choice(FEED_KIND_DRAW)
        linked = article["status"] == ArticleStatus.published.value and rng.random() < 0.4
        voice = VOICES[section]
        url: str | None = None
        if linked:
            title, summary, url = article["headline"], article["summary"], article["canonical_url"]
        else:
            title = _fill(rng, rng.choice(voice.headlines), voice.pools)
            summary = self._plain(voice, rng.choice((1, 2)))
            if kind == "video":
                url = self._youtube()
        published = rng.random() < 0.98
        self.feed.append(
            {
                "id": new_id("fe"),
                "kind": kind,
                "status": (ArticleStatus.published if published else ArticleStatus.draft).value,
                "title": title if title.endswith(("?", "!")) else f"{title}.",
                "summary": summary,
                "url": url,
                "article_id": article["id"] if linked else None,
                "published_at": when if published else None,
                "version": 1,
                "created_at": when,
                "updated_at": when,
            }
        )

    # -- writing --------------------------------------------------------------------------

    def _free_slugs(self) -> None:
        """Rename, in the rare case, stories whose slug the database already holds."""
        rows = {row["slug"]: row for row in self.articles}
        taken = self._taken(list(rows))
        for slug in sorted(taken):
            row = rows[slug]
            old_url = row["canonical_url"]
            n = 2
            while f"{slug}-{n}" in rows or self._taken([f"{slug}-{n}"]):
                n += 1
            row["slug"] = f"{slug}-{n}"
            row["canonical_url"] = old_url.removesuffix(f"{slug}/") + f"{row['slug']}/"
            for entry in self.feed:
                if entry["url"] == old_url:
                    entry["url"] = row["canonical_url"]

    def _taken(self, slugs: list[str]) -> set[str]:
        """Those of `slugs` that stories in the database already have."""
        if self.slugs is not None:
            return self.slugs.intersection(slugs)
        return set(self.session.scalars(select(Article.slug).where(Article.slug.in_(slugs))))

    def _revisions(self) -> list[Row]:
        """Revision 1 of each story of the batch, as a save through the editorial API would
        keep it (`articles.saving.snapshot`), so that history and restore work on them."""
        bylines: dict[str, list[Row]] = {}
        for row in self.bylines:
            bylines.setdefault(row["article_id"], []).append(row)
        tags: dict[str, list[Row]] = {}
        for row in self.tagging:
            tags.setdefault(row["article_id"], []).append(row)
        links: dict[str, list[Row]] = {}
        for row in self.links:
            links.setdefault(row["article_id"], []).append(row)

        def when(value: datetime | None) -> str | None:
            return value.isoformat().replace("+00:00", "Z") if value else None

        revisions: list[Row] = []
        for article in self.articles:
            article_id = article["id"]
            snapshot = {
                **{name: article[name] for name in _SNAPSHOT_FIELDS},
                "published_at": when(article["published_at"]),
                "embargo_until": when(article["embargo_until"]),
                "authors": [
                    {"author_id": b["author_id"], "role": b["role"]}
                    for b in sorted(bylines.get(article_id, []), key=lambda b: b["position"])
                ],
                "tags": [
                    t["tag_id"]
                    for t in sorted(tags.get(article_id, []), key=lambda t: t["position"])
                ],
                "related": [
                    {key: link[key] for key in _LINK_FIELDS}
                    for link in sorted(
                        links.get(article_id, []), key=lambda r: (r["position"], r["id"])
                    )
                ],
            }
            revisions.append(
                {
                    "id": new_id("rev"),
                    "article_id": article_id,
                    "number": 1,
                    "action": "create",
                    "key_id": None,
                    "snapshot": snapshot,
                    "created_at": article["created_at"],
                }
            )
        return revisions

    def flush(self) -> None:
        if not self.articles:
            return
        self._free_slugs()
        self.write(self.session, Photo, self.photos)
        self.write(self.session, Article, self.articles)
        self.write(self.session, ArticleAuthor, self.bylines)
        self.write(self.session, ArticleTag, self.tagging)
        self.write(self.session, RelatedLink, self.links)
        self.write(self.session, ArticleRevision, self._revisions())
        self.write(self.session, FeedEntry, self.feed)
        if self.slugs is not None:
            self.slugs.update(row["slug"] for row in self.articles)
        else:
            self.session.commit()
        self._reset_batch()


# What a revision keeps of a story's own columns, and of each related card.
_SNAPSHOT_FIELDS = (
    "slug",
    "type",
    "headline",
    "subheadline",
    "dateline",
    "summary",
    "language",
    "canonical_url",
    "section_id",
    "lead_photo_id",
    "body",
    "status",
    "translation_group",
)
_LINK_FIELDS = ("id", "target_article_id", "url", "title", "summary", "site_name", "inline")


# The tables a load writes, whose indexes and keys a big COPY load builds after the rows.
LOADED: tuple[type[SQLModel], ...] = (
    Photo,
    Article,
    ArticleAuthor,
    ArticleTag,
    RelatedLink,
    ArticleRevision,
    FeedEntry,
)
# From this many stories on (and at least as many as the database holds), a COPY load drops
# the indexes and keys of the loaded tables and builds them once at the end: maintaining a
# GIN index and a dozen b-trees row by row is most of the time of a big load.
REBUILD_FROM = 50_000


_LZ4 = (
    "SELECT count(*) > 0 FROM pg_settings "
    "WHERE name = 'default_toast_compression' AND 'lz4' = ANY(enumvals)"
)


@dataclass(frozen=True)
class _Definitions:
    """What `_without_indexes` dropped, in the order it is built again."""

    indexes: list[str]
    keys: list[str]
    foreign_keys: list[str]


def _drop_indexes(session: Session) -> _Definitions:
    """Drop the indexes, primary and unique keys and foreign keys of the loaded tables (and
    the foreign keys pointing at them); return the SQL that makes each again."""
    names = [model.__tablename__ for model in LOADED]  # type: ignore[attr-defined]
    oids = "ARRAY[" + ", ".join(f"'{name}'::regclass" for name in names) + "]"
    constraints = session.execute(
        sa.text(
            "SELECT conrelid::regclass::text, conname, contype, pg_get_constraintdef(oid) "
            f"FROM pg_constraint WHERE contype IN ('p', 'u', 'f') "
            f"AND (conrelid = ANY({oids}) OR confrelid = ANY({oids})) ORDER BY oid"
        )
    ).all()
    indexes = session.execute(
        sa.text(
            "SELECT i.indexrelid::regclass::text, pg_get_indexdef(i.indexrelid) FROM pg_index i "
            f"WHERE i.indrelid = ANY({oids}) "
            "AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = i.indexrelid "
            "AND c.contype IN ('p', 'u', 'x')) ORDER BY i.indexrelid"
        )
    ).all()
    made = _Definitions(
        indexes=[definition for _, definition in indexes],
        keys=[
            f'ALTER TABLE {table} ADD CONSTRAINT "{name}" {definition}'
            for table, name, kind, definition in constraints
            if kind != "f"
        ],
        foreign_keys=[
            f'ALTER TABLE {table} ADD CONSTRAINT "{name}" {definition}'
            for table, name, kind, definition in constraints
            if kind == "f"
        ],
    )
    for table, name, _kind, _ in sorted(constraints, key=lambda c: c[2] != "f"):
        session.execute(sa.text(f'ALTER TABLE {table} DROP CONSTRAINT "{name}"'))
    for name, _ in indexes:
        session.execute(sa.text(f"DROP INDEX {name}"))
    return made


# Tables whose rows a trigger completes from another table (the link rows' copy of their
# story's `published_at`, see the migration that made it).
_COMPLETED = (ArticleAuthor, ArticleTag)


def _hold_triggers(session: Session) -> None:
    """Without its indexes, each link row's trigger would scan every story to find its
    own: switched off for the load, and done once for all rows by `_complete`."""
    for model in _COMPLETED:
        session.execute(sa.text(f"ALTER TABLE {model.__tablename__} DISABLE TRIGGER USER"))


def _complete(session: Session) -> None:
    """What the held triggers would have written, in one join a table; then back on."""
    for model in _COMPLETED:
        table = model.__tablename__
        session.execute(
            sa.text(
                f"UPDATE {table} SET published_at = article.published_at FROM article "
                f"WHERE article.id = {table}.article_id"
            )
        )
        session.execute(sa.text(f"ALTER TABLE {table} ENABLE TRIGGER USER"))


def _build_indexes(session: Session, made: _Definitions) -> None:
    # One sort in memory per index instead of many merges on disk; for this transaction only.
    session.execute(sa.text("SET LOCAL maintenance_work_mem = '1GB'"))
    for statement in made.indexes + made.keys + made.foreign_keys:
        session.execute(sa.text(statement))


def generate(
    session: Session,
    *,
    count: int,
    seed: int = 2025,
    copy: bool | None = None,
    rebuild_indexes: bool | None = None,
    now: datetime | None = None,
) -> None:
    """Add `count` varied, realistic news articles, for volume tests and benchmarks.

    Sections, tags and authors (30 people, 2 desks) are reused by slug or created. Each
    story gets a byline, tags, usually a lead photo, sometimes related links (the first
    one placed in the body), revision 1 (so history and restore work as on any story) and,
    for about 5%, a Ukrainian version or original. Stories
    spread over the two years before 1 June 2025; about 94% are published, the rest draft,
    scheduled (relative to `now`, the real clock unless given) or unpublished. One News Feed
    entry is added per ten stories. Content, slugs and times depend only on `seed`, `now`
    and the number of stories already in the database; ids differ from run to run.

    Rows are made 1,000 at a time, so memory stays flat at any `count`. SQLite (or
    `copy=False`) inserts each batch and commits it. PostgreSQL (unless `copy=False`) writes
    them with COPY in one transaction, the same rows through the same code, then VACUUMs
    and ANALYZEs the tables; with `rebuild_indexes` (by default, for `REBUILD_FROM` stories
    or more and at least as many as there are) the loaded tables' indexes and keys are
    dropped first and built once at the end, in the same transaction.
    """
    if count <= 0:
        return
    postgres = session.get_bind().dialect.name == "postgresql"
    copy = postgres if copy is None else copy
    if copy and not postgres:
        raise ValueError("COPY needs PostgreSQL")
    if rebuild_indexes and not copy:
        raise ValueError("indexes are built after the rows only by a COPY load")
    generator = _Generator(session, count=count, seed=seed, copy=copy, now=now or datetime.now(UTC))
    generator.ensure_references()
    if rebuild_indexes is None:
        rebuild_indexes = copy and count >= max(REBUILD_FROM, len(generator.slugs or ()))
    if copy and session.scalar(sa.text(_LZ4)):
        # Stories are mostly text kept in TOAST: lz4 compresses it several times faster than
        # the default pglz, and reads it back faster too.
        session.execute(sa.text("SET LOCAL default_toast_compression = 'lz4'"))
    made = _drop_indexes(session) if rebuild_indexes else None
    if made is not None:
        _hold_triggers(session)
    for index in range(count):
        generator.article(index)
        if len(generator.articles) >= BATCH:
            generator.flush()
    generator.flush()
    if made is not None:
        _complete(session)
        _build_indexes(session, made)
    session.commit()
    if copy:
        # VACUUM, not only ANALYZE: it sets the visibility map, without which an index-only
        # scan reads the table for every row (1.3 million heap fetches for one author's feed
        # at a million stories), and the hint bits, which the first reads would otherwise
        # write back to every page they touch.
        tables = ", ".join(model.__tablename__ for model in LOADED)  # type: ignore[attr-defined]
        with session.get_bind().connect() as conn:
            conn.execution_options(isolation_level="AUTOCOMMIT").execute(
                sa.text(f"VACUUM (ANALYZE) {tables}")
            )
