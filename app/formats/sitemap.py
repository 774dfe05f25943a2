"""The Google News sitemap: stories of the last 48 hours, built with ElementTree."""

from datetime import datetime
from xml.etree import ElementTree as ET

from app.formats.common import xml_text
from app.formats.service import Publication
from app.models import Article

SITEMAP_NS = "http://www.sitemaps.org/schemas/sitemap/0.9"
NEWS_NS = "http://www.google.com/schemas/sitemap-news/0.9"
# The prefix Google's documentation uses, rather than ElementTree's generated `ns0`.
ET.register_namespace("news", NEWS_NS)


def news_sitemap(articles: list[Article], *, publication: Publication) -> tuple[bytes, int]:
    """A `urlset` with one `news:news` per article that has a web page (`canonical_url`),
    and how many stories it lists.

    `news:language` is the story's own language: Google identifies a publication by its
    name and language, so a translation belongs to the edition in its language.

    With no story to list the answer is still a valid sitemap: the sitemaps.org schema
    wants at least one `url`, so the publication's home page is listed, without
    `news:news`, the form Google asks for a URL that is not a story of the last two days.
    """
    urlset = ET.Element(f"{{{SITEMAP_NS}}}urlset")
    listed = 0
    for article in articles:
        if not article.canonical_url or article.published_at is None:
            continue
        url = ET.SubElement(urlset, f"{{{SITEMAP_NS}}}url")
        ET.SubElement(url, f"{{{SITEMAP_NS}}}loc").text = xml_text(article.canonical_url)
        news = ET.SubElement(url, f"{{{NEWS_NS}}}news")
        source = ET.SubElement(news, f"{{{NEWS_NS}}}publication")
        ET.SubElement(source, f"{{{NEWS_NS}}}name").text = xml_text(publication.name)
        ET.SubElement(source, f"{{{NEWS_NS}}}language").text = _news_language(article.language)
        ET.SubElement(news, f"{{{NEWS_NS}}}publication_date").text = _w3c(article.published_at)
        ET.SubElement(news, f"{{{NEWS_NS}}}title").text = xml_text(article.headline)
        listed += 1
    if not listed:
        home = ET.SubElement(urlset, f"{{{SITEMAP_NS}}}url")
        ET.SubElement(home, f"{{{SITEMAP_NS}}}loc").text = xml_text(publication.url)
    body = ET.tostring(urlset, encoding="utf-8", xml_declaration=True, default_namespace=SITEMAP_NS)
    return body, listed


def _w3c(value: datetime) -> str:
    return value.isoformat(timespec="seconds").replace("+00:00", "Z")


def _news_language(language: str) -> str:
    # Google takes ISO 639 codes, with zh-cn and zh-tw as the only regional ones.
    tag = language.lower()
    return tag if tag in ("zh-cn", "zh-tw") else tag.split("-")[0]
