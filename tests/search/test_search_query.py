"""The `q` language: parsed by our own grammar, compiled with every word re-quoted."""

import re

import pytest

from app.search.query import And, Not, Or, Phrase, SearchSyntaxError, Term, parse


@pytest.mark.parametrize(
    "text, tree",
    [
        ("ceasefire", Term("ceasefire")),
        ("ceasefire talks", And((Term("ceasefire"), Term("talks")))),
        ("ceasefire AND talks", And((Term("ceasefire"), Term("talks")))),
        ('"peace talks"', Phrase(("peace", "talks"))),
        ("truce OR ceasefire", Or((Term("truce"), Term("ceasefire")))),
        ("kyiv NOT moscow", And((Term("kyiv"), Not(Term("moscow"))))),
        ("kyiv -moscow", And((Term("kyiv"), Not(Term("moscow"))))),
        ("a OR b c", Or((Term("a"), And((Term("b"), Term("c")))))),
        ("(a OR b) c", And((Or((Term("a"), Term("b"))), Term("c")))),
        ("negotiat*", Term("negotiat", prefix=True)),
        ("ceasefire-related", Phrase(("ceasefire", "related"))),
        ("and or not", And((Term("and"), Term("or"), Term("not")))),  # operators in capitals
        ("NOT NOT a", Term("a")),
        ("a a a", Term("a")),
        ('"unclosed phrase', Phrase(("unclosed", "phrase"))),
        ("((a", Term("a")),
        ("NEAR(a b)", And((Term("NEAR"), Term("a"), Term("b")))),
        ("headline:kyiv", Phrase(("headline", "kyiv"))),
        ("kyiv^2", Phrase(("kyiv", "2"))),
        ("Київ", Term("Київ")),
        ("cafe\u0301", Term("café")),  # NFC: one way to write é
    ],
)
def test_parses_into_the_tree(text, tree):
    assert parse(text).root == tree


@pytest.mark.parametrize(
    "text",
    [
        "",
        "   ",
        '""',
        "*",
        "🙂",
        ":",
        "^",
        "AND",
        "OR OR",
        "a OR",
        "AND a",
        "a AND",
        "NOT a",
        "-a",
        "a OR NOT b",
        "a )",
        "()",
        "x*",
        "(" * 11 + "a",
        " ".join(f"w{i}" for i in range(51)),
        "a" * 101,
    ],
)
def test_refuses_with_a_reason(text):
    with pytest.raises(SearchSyntaxError) as exc:
        parse(text)
    assert str(exc.value)


def test_compiles_to_fts5_with_every_word_quoted():
    query = parse('kyiv -"air raid" (drone* OR missile) NEAR')
    assert query.fts5() == ('(("kyiv" AND ("drone"* OR "missile") AND "NEAR") NOT ("air raid"))')


def test_compiles_to_tsquery_with_every_word_quoted():
    query = parse('kyiv -"air raid" (drone* OR missile)')
    assert query.tsquery() == "('kyiv' & ('drone':* | 'missile') & !('air' <-> 'raid'))"


def test_ranking_leaves_exclusions_out():
    query = parse('kyiv -"air raid" (drone* OR missile -shahed)')
    assert query.ranking_tsquery() == "('kyiv' & ('drone':* | ('missile')))"


def test_nothing_a_reader_types_becomes_an_operator_of_the_engine():
    for text in ['a" OR "b', "a'b", "a\\b", "a:b", "a^b", "a;b", "a|b", "a&b", "a!b", "a*b"]:
        query = parse(text)
        # Outside the quoted words, only what the compiler itself writes.
        assert set(re.sub(r'"[^"]*"', "", query.fts5())) <= set("() ANDORT")
        assert set(re.sub(r"'[^']*'", "", query.tsquery())) <= set("() &|!<->")


def test_fingerprint_tells_queries_apart_not_spellings():
    assert parse("a  b").fingerprint == parse("a AND b").fingerprint
    assert parse("a b").fingerprint != parse("a OR b").fingerprint
