"""The reference page (an article of The Kyiv Independent, 25 May 2025) as Byline content.

Its lead photo is a stand-in: an image drawn here, of the agency photo's 3:2 landscape shape,
saying that it stands in for the photo its caption describes. It is stored as any upload
is (the media store, renditions, size), so the demo shows what an uploaded photo looks like.
"""

import io
from datetime import UTC, datetime
from functools import lru_cache
from typing import Any

from sqlalchemy import select
from sqlmodel import Session

from app.articles.blocks import body_columns
from app.ids import new_id
from app.models import (
    Article,
    ArticleAuthor,
    ArticleStatus,
    ArticleTag,
    Author,
    AuthorKind,
    FeedEntry,
    FeedKind,
    RelatedLink,
    Section,
    Site,
    Tag,
)
from app.photos.service import stored_photo

SITE_URL = "https://kyivindependent.com"
SLUG = (
    "russia-categorically-rejected-unconditional-ceasefire-in-peace-talks-ukrainian-official-says"
)
RELATED_SLUG = "ukraine-brings-home-307-pows-in-2nd-phase-of-major-prisoner-swap-with-russia"

BODY = [
    "Russia's negotiating team in Istanbul has repeatedly stated that \"an unconditional "
    'ceasefire is categorically unacceptable," Ukrainian Deputy Foreign Minister Serhii '
    "Kyslytsia said in an interview aired on March 24 on Ukraine's national telethon.",
    "Kyslytsia was present in Istanbul last week, as Ukrainian and Russian negotiators met on "
    "May 16 to begin the first direct peace talks between the two countries in three years.",
    "The Ukrainian team emphasized during the talks that both the Ukrainians and Americans "
    "continue to propose an unconditional ceasefire as the next step in a peace negotiating "
    "process, Kyslytsia said.",
    "\"I do not think that (the Russian negotiating team's) directives had a position that "
    "allowed for the possibility of reaching an agreement with the Ukrainian side on a "
    'ceasefire," Kyslytsia said.',
    "The peace talks in Istanbul concluded after less than two hours with no agreement beween "
    "the two sides on a ceasefire.",
    "After the talks concluded, Russian Foreign Minister Sergey Lavrov confirmed that Moscow "
    "has no interest in agreeing to a ceasefire in Ukraine, saying on May 21 that \"we don't "
    'want this anymore."',
    "A source in the Ukrainian President's Office briefed on the talks confirmed to the Kyiv "
    "Independent that Moscow's delegation insisted that Ukraine retreat from Donetsk, Luhansk, "
    "Zaporizhzhia, and Kherson oblasts, despite Russia not fully controlling any of them.",
    "The only concrete agreement from the discussions was the arrangement of a major prisoner "
    "swap, which was completed on May 15.",
]

# The agency photo is a 3:2 landscape frame; the stand-in has its shape.
STAND_IN_SIZE = (1800, 1200)
STAND_IN_ALT = (
    "A stand-in image for the photo of Hakan Fidan and Vladimir Medinskiy meeting at the "
    "Dolmabahce Office in Istanbul"
)


@lru_cache
def stand_in_photo() -> bytes:
    """The demo's lead photo: a JPEG of the agency photo's shape that says it is a stand-in."""
    from PIL import Image, ImageDraw, ImageFont

    width, height = STAND_IN_SIZE
    image = Image.new("RGB", STAND_IN_SIZE)
    draw = ImageDraw.Draw(image)
    for y in range(height):  # a dusk-blue to stone-grey sky, darker at the foot
        t = y / (height - 1)
        draw.line(
            [(0, y), (width, y)], fill=(int(52 + 90 * t), int(72 + 70 * t), int(110 + 30 * t))
        )
    draw.rectangle([0, height * 3 // 4, width, height], fill=(58, 56, 60))
    for i, x in enumerate(range(150, width - 150, 300)):  # the colonnade of a palace front
        draw.rectangle(
            [x, height // 2 - 60 * (i % 2), x + 70, height * 3 // 4], fill=(214, 205, 186)
        )
    lines = (
        "Stand-in image",
        "Istanbul, May 15, 2025",
        "The photo the caption describes is not included",
    )
    y = height // 8
    for size, line in zip((110, 64, 44), lines, strict=True):
        font = ImageFont.load_default(size=size)
        left, top, right, bottom = draw.textbbox((0, 0), line, font=font)
        draw.text(((width - (right - left)) // 2, y), line, font=font, fill=(250, 248, 240))
        y += bottom - top + size // 2
    out = io.BytesIO()
    image.save(out, "JPEG", quality=85, optimize=True)
    return out.getvalue()


# What an editor says about the lead photo (the upload's form fields).
LEAD_PHOTO = {
    "caption": "ISTANBUL, TURKIYE - MAY 15: Turkish Foreign Minister Hakan Fidan (R) meets "
    "with Russian Presidential Advisor Vladimir Medinskiy at the Presidential Dolmabahce "
    "Office in Istanbul, Turkiye, on May 15, 2025.",
    "credit": "Photo by Arda Kucukkaya/Anadolu via Getty Images",
    "photographer": "Arda Kucukkaya",
    "agency": "Anadolu via Getty Images",
    "alt_text": STAND_IN_ALT,
    "copyright_holder": "Anadolu via Getty Images",
    "usage_terms": "Editorial use on the publication's own pages; not licensed for syndication.",
}

RELATED_SUMMARY = (
    "Ukraine has secured the release of 307 Ukrainians from Russian captivity in the second "
    "phase of its largest prisoner exchange with Russia, President Volodymyr Zelensky "
    "announced on May 24."
)

# The page shows News Feed times in Kyiv time (UTC+3 in May): 5:03 PM on May 25,
# 11:31 PM and 5:27 PM on May 24.
FEED = [
    (
        datetime(2025, 5, 25, 14, 3, tzinfo=UTC),
        FeedKind.video,
        "Russia advancing and ex-official assassination | Ukraine This Week.",
        "In the latest episode of Ukraine This Week, the Kyiv Independent’s Anna Belokur "
        "shares key takeaways from Monday’s phone call between U.S. President Donald Trump and "
        "Russian President Vladimir Putin, as well as Wednesday’s assassination of a "
        "controversial Ukrainian ex-official. Also, Russia is advancing in Sumy Oblast.",
    ),
    (
        datetime(2025, 5, 24, 20, 31, tzinfo=UTC),
        FeedKind.news,
        "US rolls back Assad-era sanctions on Syria.",
        "The United States granted immediate sanctions relief to Syria after President Donald "
        "Trump called for a complete end to sanctions on the country. The sanctions relief was "
        "announced by the U.S. Treasury Department and State Department on May 23.",
    ),
    (
        datetime(2025, 5, 24, 14, 27, tzinfo=UTC),
        FeedKind.video,
        "Inside Ukraine’s 1,000 for 1,000 POW swap with Russia.",
        "On May 23, Ukraine and Russia began the largest prisoner exchange since 2014. Over "
        "three days, 1,000 prisoners of war (POWs) from both sides will return home in a deal "
        "agreed upon during direct Russia-Ukraine talks in Istanbul earlier this month — the "
        "first such talks between Moscow and Kyiv since 2022. The Kyiv Independent went to the "
        "site of exchange.",
    ),
]


# When the reference page was captured (its story's last update).
CAPTURED = datetime(2025, 5, 25, 14, 16, tzinfo=UTC)


def load_reference(session: Session) -> bool:
    """Write the reference page's content; False (and nothing written) when it is there."""
    if session.scalars(select(Article.id).where(Article.slug == SLUG)).first():
        return False
    # The page as it stood when it was captured: every object dated then, so that what
    # the answers say of their age (Last-Modified) is the page's, not the load's.
    dated = {"created_at": CAPTURED, "updated_at": CAPTURED}
    if session.get(Site, 1) is None:
        session.add(
            Site(
                updated_at=CAPTURED,
                name="The Kyiv Independent",
                url=SITE_URL,
                timezone="Europe/Kyiv",
                language="en",
                banner_text="Stand behind Ukrainian independent journalism when it’s needed "
                "most. Help us reach 20,000 members.",
                banner_url=f"{SITE_URL}/membership/",
                banner_cta="Become a member",
                logo_url=f"{SITE_URL}/assets/kyiv-independent-logo.png",
            )
        )
    section = Section(id=new_id("sec"), slug="news", name="News", position=0, **dated)
    tags = [
        Tag(id=new_id("tag"), slug="peace-talks", name="Peace talks", **dated),
        Tag(id=new_id("tag"), slug="russia", name="Russia", **dated),
        Tag(id=new_id("tag"), slug="prisoner-exchange", name="Prisoner exchange", **dated),
    ]
    desk = Author(
        id=new_id("aut"),
        slug="kyiv-independent-news-desk",
        name="The Kyiv Independent news desk",
        kind=AuthorKind.desk,
        url=f"{SITE_URL}/authors/kyiv-independent-news-desk/",
        **dated,
    )
    fornusek = Author(
        id=new_id("aut"),
        slug="martin-fornusek",
        name="Martin Fornusek",
        kind=AuthorKind.person,
        url=f"{SITE_URL}/authors/martin-fornusek/",
        **dated,
    )
    photo = stored_photo(stand_in_photo(), **LEAD_PHOTO, syndication_allowed=False, **dated)
    session.add_all([section, *tags, desk, fornusek, photo])
    session.flush()

    related_at = datetime(2025, 5, 24, 13, 5, tzinfo=UTC)
    pows = Article(
        id=new_id("art"),
        slug=RELATED_SLUG,
        headline="Ukraine brings home 307 POWs in 2nd phase of major prisoner swap with Russia",
        summary=RELATED_SUMMARY,
        status=ArticleStatus.published,
        language="en",
        section_id=section.id,
        canonical_url=f"{SITE_URL}/{RELATED_SLUG}/",
        published_at=related_at,
        first_published_at=related_at,
        created_at=related_at,
        updated_at=related_at,
        **body_columns([{"type": "paragraph", "html": RELATED_SUMMARY}]),
    )
    published = datetime(2025, 5, 25, 14, 16, tzinfo=UTC)  # 5:16 PM in Kyiv
    article_id = new_id("art")
    link = RelatedLink(id=new_id("rel"), article_id=article_id, position=0, inline=True)
    blocks: list[dict[str, Any]] = [{"type": "paragraph", "html": p} for p in BODY]
    blocks.append({"type": "related", "related_id": link.id})
    article = Article(
        id=article_id,
        slug=SLUG,
        headline="Russia 'categorically' rejected unconditional ceasefire in peace talks, "
        "Ukrainian official says",
        status=ArticleStatus.published,
        language="en",
        section_id=section.id,
        lead_photo_id=photo.id,
        canonical_url=f"{SITE_URL}/{SLUG}/",
        published_at=published,
        first_published_at=published,
        created_at=published,
        updated_at=published,
        **body_columns(blocks),
    )
    session.add_all([pows, article])
    session.flush()
    link.target_article_id = pows.id
    session.add_all(
        [
            link,
            ArticleAuthor(article_id=article.id, author_id=desk.id, position=0, role="author"),
            ArticleAuthor(article_id=pows.id, author_id=fornusek.id, position=0, role="author"),
            *(
                ArticleTag(article_id=article.id, tag_id=t.id, position=i)
                for i, t in enumerate(tags[:2])
            ),
            ArticleTag(article_id=pows.id, tag_id=tags[2].id, position=0),
            *(
                FeedEntry(
                    id=new_id("fe"),
                    kind=kind,
                    title=title,
                    summary=summary,
                    published_at=at,
                    created_at=at,
                    updated_at=at,
                )
                for at, kind, title, summary in FEED
            ),
        ]
    )
    session.commit()
    return True
