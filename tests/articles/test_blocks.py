"""Body blocks: validation, sanitizing, and what is derived from them."""

import pytest
from pydantic import ValidationError

from app.articles.blocks import body_columns, derive, sanitize


def test_paragraph_keeps_only_links_and_emphasis():
    [block] = sanitize(
        [
            {
                "type": "paragraph",
                "html": '<b>x</b> <em>y</em> <a href="https://a.test" onclick="z()">l</a>'
                "<script>alert(1)</script>",
            }
        ]
    )
    assert "<b>" not in block["html"]
    assert "<em>y</em>" in block["html"]
    assert "onclick" not in block["html"]
    assert "script" not in block["html"]
    assert 'href="https://a.test"' in block["html"]


def test_javascript_urls_are_removed():
    [block] = sanitize([{"type": "paragraph", "html": '<a href="javascript:alert(1)">x</a>'}])
    assert "javascript" not in block["html"]


def test_heading_and_quote_text_is_escaped_in_html():
    # Blocks as an older row may hold them, past the rule that refuses such text now.
    derived = derive(
        [
            {"type": "heading", "text": "<img src=x onerror=alert(1)>"},
            {"type": "quote", "text": "We <will> win", "attribution": "<b>Someone</b>"},
            {"type": "embed", "provider": "<i>x</i>", "url": "https://e.test", "title": "<s>"},
        ]
    )
    assert "<img" not in derived.html
    assert "&lt;will&gt;" in derived.html
    assert "<footer>&lt;b&gt;Someone&lt;/b&gt;</footer>" in derived.html
    assert "<i>" not in derived.html and "<s>" not in derived.html


def test_stored_plain_text_with_markup_is_stripped_when_derived_again():
    [heading, quote] = sanitize(
        [
            {"type": "heading", "text": "<script>alert(1)</script>Title a < b"},
            {"type": "quote", "text": "We <b>will</b> win", "attribution": "<i>Someone</i>"},
        ]
    )
    assert heading["text"] == "Title a < b"
    assert quote["text"] == "We will win"
    assert quote["attribution"] == "Someone"


def test_unknown_block_type_is_refused():
    with pytest.raises(ValidationError):
        sanitize([{"type": "marquee", "text": "x"}])


def test_unknown_block_field_is_refused():
    with pytest.raises(ValidationError):
        sanitize([{"type": "paragraph", "html": "x", "style": "color: red"}])


def test_embed_needs_an_http_url():
    with pytest.raises(ValidationError):
        sanitize([{"type": "embed", "provider": "x", "url": "javascript:alert(1)"}])


def test_word_count_and_reading_time_round_up_at_200_words_a_minute():
    assert body_columns([{"type": "paragraph", "html": "word " * 200}])["reading_time_minutes"] == 1
    columns = body_columns([{"type": "paragraph", "html": "word " * 201}])
    assert (columns["word_count"], columns["reading_time_minutes"]) == (201, 2)


def test_plain_text_drops_markup_and_counts_list_items():
    columns = body_columns(
        [
            {"type": "paragraph", "html": "<em>One</em> &amp; two"},
            {"type": "list", "items": ["three", "<strong>four</strong>"]},
        ]
    )
    assert columns["body_text"] == "One & two\n\nthree\n\nfour"
    assert columns["word_count"] == 5
