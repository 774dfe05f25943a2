"""The search language of `q`: a tokenizer and a recursive-descent parser into a small AST,
compiled to SQLite FTS5 and PostgreSQL tsquery syntax.

User text never reaches either engine's own parser: every word is re-quoted by the compiler
and only the operators of the AST are written, so `NEAR(`, `:`, `^`, `*`, quotes and
column filters mean nothing special to the database.

    query  := or
    or     := and ("OR" and)*
    and    := unary ("AND"? unary)*          two terms side by side: both must match
    unary  := ("NOT" | "-") unary | atom     NOT excludes; it needs a term beside it
    atom   := WORD "*"? | '"' PHRASE '"' | "(" or ")"

Words are runs of letters, digits and combining marks; any other character separates them.
Words joined by punctuation without a space (`ceasefire-related`, `U.S.`) form a phrase,
which is how both engines index them. `AND`, `OR` and `NOT` are operators only in capitals.
An unclosed quote or parenthesis closes at the end; anything else malformed is a
`SearchSyntaxError` whose message a reader can act on.
"""

import hashlib
import unicodedata
from dataclasses import dataclass

MAX_TERMS = 50
MAX_WORD_CHARS = 100
MAX_DEPTH = 10
MIN_PREFIX_CHARS = 2


class SearchSyntaxError(ValueError):
    """The query cannot be searched for; the message says why."""


# --- AST -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Term:
    word: str
    prefix: bool = False


@dataclass(frozen=True)
class Phrase:
    words: tuple[str, ...]


@dataclass(frozen=True)
class Not:
    child: "Node"


@dataclass(frozen=True)
class And:
    children: tuple["Node", ...]


@dataclass(frozen=True)
class Or:
    children: tuple["Node", ...]


Node = Term | Phrase | Not | And | Or


@dataclass(frozen=True)
class SearchQuery:
    """A parsed `q`: the AST and the text it came from."""

    text: str
    root: Node

    @property
    def fingerprint(self) -> str:
        """Short digest of the AST: relevance cursors carry it so that they only continue
        the query that made them."""
        return hashlib.blake2b(repr(self.root).encode(), digest_size=6).hexdigest()

    def fts5(self) -> str:
        """The query as an SQLite FTS5 MATCH expression."""
        return _fts5(self.root)

    def tsquery(self) -> str:
        """The query as PostgreSQL `to_tsquery` input."""
        return _tsquery(self.root)

    def ranking_tsquery(self) -> str:
        """What PostgreSQL ranks by: the query without its exclusions, which a match lacks
        by definition and which `ts_rank` would score as near zero for every article."""
        return _tsquery(self.root, negations=False)


# --- tokenizer -----------------------------------------------------------------------


@dataclass(frozen=True)
class _Token:
    kind: str  # WORDS, PHRASE, AND, OR, NOT, LPAREN, RPAREN
    words: tuple[str, ...] = ()
    prefix: bool = False


def _is_word_char(ch: str) -> bool:
    # Letters and digits (any script), and combining marks, which belong to their letter.
    return ch.isalnum() or unicodedata.category(ch)[0] == "M"


def _words(text: str) -> list[str]:
    words: list[str] = []
    current: list[str] = []
    for ch in text:
        if _is_word_char(ch):
            current.append(ch)
        elif current:
            words.append("".join(current))
            current = []
    if current:
        words.append("".join(current))
    return words


_OPERATORS = {"AND", "OR", "NOT"}
_BREAKS = frozenset('()"')


def tokenize(text: str) -> list[_Token]:
    """Operators, parentheses, phrases and words; separators and symbols are dropped."""
    tokens: list[_Token] = []
    i, n = 0, len(text)
    while i < n:
        ch = text[i]
        if ch.isspace():
            i += 1
        elif ch == "(":
            tokens.append(_Token("LPAREN"))
            i += 1
        elif ch == ")":
            tokens.append(_Token("RPAREN"))
            i += 1
        elif ch == '"':
            end = text.find('"', i + 1)
            end = n if end < 0 else end  # an unclosed quote runs to the end
            words = _words(text[i + 1 : end])
            if words:
                tokens.append(_Token("PHRASE", tuple(words)))
            i = end + 1
        elif ch == "-" and i + 1 < n and (_is_word_char(text[i + 1]) or text[i + 1] in '("'):
            # `-word` excludes, as in web search engines; a dash inside a word does not.
            tokens.append(_Token("NOT"))
            i += 1
        else:
            # A chunk: everything up to the next space, parenthesis or quote.
            j = i
            while j < n and not text[j].isspace() and text[j] not in _BREAKS:
                j += 1
            chunk = text[i:j]
            i = j
            if chunk in _OPERATORS:
                tokens.append(_Token(chunk))
                continue
            words = _words(chunk)
            if not words:
                continue  # only symbols: `^`, `:`, `*`, emoji
            prefix = chunk.endswith("*") and _is_word_char(chunk.rstrip("*")[-1:] or " ")
            tokens.append(_Token("WORDS", tuple(words), prefix))
    return tokens


# --- parser --------------------------------------------------------------------------


class _Parser:
    def __init__(self, tokens: list[_Token]) -> None:
        self.tokens = tokens
        self.pos = 0
        self.depth = 0

    def peek(self) -> str | None:
        return self.tokens[self.pos].kind if self.pos < len(self.tokens) else None

    def take(self) -> _Token:
        token = self.tokens[self.pos]
        self.pos += 1
        return token

    def parse(self) -> Node:
        node = self.or_()
        if self.peek() == "RPAREN":
            raise SearchSyntaxError("a closing parenthesis has no opening one")
        return node

    def or_(self) -> Node:
        children = [self.and_()]
        while self.peek() == "OR":
            self.take()
            if self.peek() in (None, "OR", "AND", "RPAREN"):
                raise SearchSyntaxError("OR needs a term on each side")
            children.append(self.and_())
        return children[0] if len(children) == 1 else Or(tuple(children))

    def and_(self) -> Node:
        children = [self.unary()]
        while self.peek() not in (None, "OR", "RPAREN"):
            if self.peek() == "AND":
                self.take()
                if self.peek() in (None, "OR", "AND", "RPAREN"):
                    raise SearchSyntaxError("AND needs a term on each side")
            children.append(self.unary())
        return children[0] if len(children) == 1 else And(tuple(children))

    def unary(self) -> Node:
        negate = False
        while self.peek() == "NOT":  # a loop, not recursion: `NOT NOT ... a` is cheap
            self.take()
            negate = not negate
            if self.peek() in (None, "OR", "AND", "RPAREN"):
                raise SearchSyntaxError("NOT needs a term after it")
        node = self.atom()
        return Not(node) if negate else node

    def atom(self) -> Node:
        kind = self.peek()
        if kind in ("AND", "OR"):
            raise SearchSyntaxError(f"{kind} needs a term on each side")
        if kind == "LPAREN":
            self.take()
            self.depth += 1
            if self.depth > MAX_DEPTH:
                raise SearchSyntaxError(f"parentheses nest at most {MAX_DEPTH} deep")
            if self.peek() in (None, "RPAREN"):
                raise SearchSyntaxError("empty parentheses")
            node = self.or_()
            if self.peek() == "RPAREN":
                self.take()  # an unclosed parenthesis closes at the end
            self.depth -= 1
            return node
        if kind == "RPAREN":
            raise SearchSyntaxError("a closing parenthesis has no opening one")
        token = self.take()
        if len(token.words) == 1:
            return Term(token.words[0], token.prefix)
        return Phrase(token.words)  # `*` after a joined phrase (`U.S.*`) is ignored


def _flatten(node: Node) -> Node:
    if isinstance(node, And | Or):
        kind = type(node)
        children: list[Node] = []
        for child in map(_flatten, node.children):
            children.extend(child.children if isinstance(child, kind) else (child,))
        unique = tuple(dict.fromkeys(children))  # a repeated term adds nothing
        return unique[0] if len(unique) == 1 else kind(unique)
    if isinstance(node, Not):
        return Not(_flatten(node.child))
    return node


def _check(node: Node) -> None:
    """Exclusions need something to exclude from: every NOT stands in an AND beside a
    term that is not excluded (neither engine can list 'everything without x' cheaply)."""
    if isinstance(node, Not):
        raise SearchSyntaxError("NOT needs a term to search for beside it, as in `a NOT b`")
    if isinstance(node, And):
        positive = [c for c in node.children if not isinstance(c, Not)]
        if not positive:
            raise SearchSyntaxError("NOT needs a term to search for beside it, as in `a NOT b`")
        for child in node.children:
            _check(child.child if isinstance(child, Not) else child)
    elif isinstance(node, Or):
        for child in node.children:
            _check(child)


def _words_of(node: Node) -> list[str]:
    if isinstance(node, Term):
        return [node.word]
    if isinstance(node, Phrase):
        return list(node.words)
    if isinstance(node, Not):
        return _words_of(node.child)
    return [w for child in node.children for w in _words_of(child)]


def parse(text: str) -> SearchQuery:
    """Parse a reader's query; SearchSyntaxError says what is wrong with it."""
    normal = unicodedata.normalize("NFC", text)
    tokens = tokenize(normal)
    if not any(t.kind in ("WORDS", "PHRASE") for t in tokens):
        raise SearchSyntaxError("nothing to search for: give at least one word")
    root = _flatten(_Parser(tokens).parse())
    _check(root)
    words = _words_of(root)
    if len(words) > MAX_TERMS:
        raise SearchSyntaxError(f"at most {MAX_TERMS} words")
    if any(len(w) > MAX_WORD_CHARS for w in words):
        raise SearchSyntaxError(f"words are at most {MAX_WORD_CHARS} characters")
    if any(t.prefix and len(t.word) < MIN_PREFIX_CHARS for t in _terms(root)):
        raise SearchSyntaxError(f"a prefix search needs at least {MIN_PREFIX_CHARS} characters")
    return SearchQuery(text=text, root=root)


def _terms(node: Node) -> list[Term]:
    if isinstance(node, Term):
        return [node]
    if isinstance(node, Phrase):
        return []
    if isinstance(node, Not):
        return _terms(node.child)
    return [t for child in node.children for t in _terms(child)]


# --- compilers -----------------------------------------------------------------------


def _split(children: tuple[Node, ...]) -> tuple[list[Node], list[Node]]:
    positive = [c for c in children if not isinstance(c, Not)]
    negative = [c.child for c in children if isinstance(c, Not)]
    return positive, negative


def _fts5_string(words: tuple[str, ...] | list[str]) -> str:
    # An FTS5 string: the tokenizer reads what is inside; `"` is doubled to stay literal.
    return '"' + " ".join(w.replace('"', '""') for w in words) + '"'


def _fts5(node: Node) -> str:
    if isinstance(node, Term):
        return _fts5_string([node.word]) + ("*" if node.prefix else "")
    if isinstance(node, Phrase):
        return _fts5_string(node.words)
    if isinstance(node, Or):
        return "(" + " OR ".join(_fts5(c) for c in node.children) + ")"
    if isinstance(node, And):
        positive, negative = _split(node.children)
        text = "(" + " AND ".join(_fts5(c) for c in positive) + ")"
        if negative:
            # FTS5's NOT is binary: (what is wanted) NOT (any of what is excluded).
            text = f"({text} NOT ({' OR '.join(_fts5(c) for c in negative)}))"
        return text
    raise AssertionError(f"unchecked query node {node!r}")


def _lexeme(word: str) -> str:
    # A quoted tsquery lexeme: quotes doubled, backslashes escaped.
    return "'" + word.replace("\\", "\\\\").replace("'", "''") + "'"


def _tsquery(node: Node, *, negations: bool = True) -> str:
    if isinstance(node, Term):
        return _lexeme(node.word) + (":*" if node.prefix else "")
    if isinstance(node, Phrase):
        return "(" + " <-> ".join(_lexeme(w) for w in node.words) + ")"
    if isinstance(node, Or):
        return "(" + " | ".join(_tsquery(c, negations=negations) for c in node.children) + ")"
    if isinstance(node, And):
        positive, negative = _split(node.children)
        parts = [_tsquery(c, negations=negations) for c in positive]
        if negations:
            parts += [f"!{_tsquery(c)}" for c in negative]
        return "(" + " & ".join(parts) + ")"
    raise AssertionError(f"unchecked query node {node!r}")
