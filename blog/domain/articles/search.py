"""Full-text search of articles: ``GET /articles?q=`` (docs/search.md).

The query is in web-search syntax: words (an article must hold each), ``"a phrase"``,
``-word`` (an article must not hold it) and ``or`` between alternatives, binding more loosely
than the implied "and": ``a b or c`` is ``(a and b) or c``. Title, tags, description and
content are searched, and weighted in that order when the results are ranked.

- **PostgreSQL**: the query is parsed here as PostgreSQL's ``websearch_to_tsquery`` reads it,
  and handed to it again with every term quoted (``Query.websearch``: whatever ``q`` holds,
  no error), to match ``article.search_vector``, which triggers keep (the search migration),
  through its GIN index. Words are stemmed in
  ``search.language``; stop words are ignored. Ranked by ``ts_rank`` with PostgreSQL's
  default weights: a word in the title counts 10 times one in the content.
- **SQLite** (the zero-config default): the same syntax, parsed here, matched as case-
  insensitive (ASCII) substrings of the columns themselves; with ``english``, a final
  plural ``s`` is ignored (``engines`` finds ``engine``). No stop words, no other stemming,
  no index: a search reads every article, as SQLite's ``LIKE`` does. Ranked by where each
  word is found, with PostgreSQL's weights.

A query with no word left (only stop words or punctuation) matches nothing.

The conditions are written on the ``article`` table's columns, so that they serve the Core
reads (``BlogService.read_page``) and the ORM's counts alike.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, cast

from advanced_alchemy.filters import OrderBy, StatementFilter
from sqlalchemy import ColumnElement, Float, Select, Table, and_, case, false, func, literal, not_, or_, select, text
from sqlalchemy.dialects.postgresql import REGCONFIG, TSQUERY
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncConnection

from blog.domain.articles.models import Article, ArticleTag
from blog.domain.tags.models import Tag
from blog.startup import StartupError

ARTICLE = cast("Table", Article.__table__)
ARTICLE_TAG = cast("Table", ArticleTag.__table__)
TAG = cast("Table", Tag.__table__)

WEIGHTS = {"title": 1.0, "tags": 0.4, "description": 0.2, "content": 0.1}
"""How much a match counts, by where it is: PostgreSQL's default weights of A, B, C and D
(``ts_rank``), as the migration assigns them."""
_ASCII_LOWER = str.maketrans("ABCDEFGHIJKLMNOPQRSTUVWXYZ", "abcdefghijklmnopqrstuvwxyz")


@dataclass(frozen=True)
class Term:
    """A word or a phrase of a query (its white space collapsed, no ``"`` in it); ``negated``:
    the article must not hold it."""

    text: str
    negated: bool = False

    def matched(self, *, plural_s: bool) -> str:
        """The text as SQLite compares it: lower-cased (ASCII, as SQLite's ``lower``), the
        punctuation around each word dropped, and with ``plural_s`` a final plural ``s`` too."""
        return " ".join(word for word in (_normalised(word, plural_s=plural_s) for word in self.text.split()) if word)


@dataclass(frozen=True)
class Query:
    """A parsed web-search query: any of ``groups`` matches, each when all its terms do."""

    groups: tuple[tuple[Term, ...], ...] = ()

    @property
    def positive(self) -> list[Term]:
        """The terms an article is to hold (what ranks it)."""
        return [term for group in self.groups for term in group if not term.negated]

    def websearch(self) -> str:
        """The query as ``websearch_to_tsquery`` reads it the same way, every term a quoted phrase.

        PostgreSQL's own parser fails ("tsquery stack too small", a 500) on 32 negations in a
        row, such as ``--------------------------------a``; in quotes, operators are text.
        """
        return " or ".join(
            " ".join(f'{"-" if term.negated else ""}"{term.text}"' for term in group) for group in self.groups
        )


def parse(q: str) -> Query:
    """``q`` in web-search syntax, as PostgreSQL's ``websearch_to_tsquery`` reads it: words and
    ``"phrases"``, each negated by a ``-`` just before it, and ``or`` (in any case) between two.
    A term with no letter or digit is no term (PostgreSQL finds no word in it either).
    """
    groups: list[tuple[Term, ...]] = []
    group: list[Term] = []
    position, end = 0, len(q)
    while position < end:
        if q[position].isspace():
            position += 1
            continue
        negated = q[position] == "-" and position + 1 < end and not q[position + 1].isspace()
        if negated:
            position += 1
        if q[position] == '"':
            closing = q.find('"', position + 1)
            closing = end if closing < 0 else closing
            words, position = q[position + 1 : closing].split(), closing + 1
        else:
            start = position
            while position < end and not q[position].isspace() and q[position] != '"':
                position += 1
            words = [q[start:position]]
            if not negated and words[0].lower() == "or":
                if group:
                    groups.append(tuple(group))
                    group = []
                continue
        if any(char.isalnum() for word in words for char in word):
            group.append(Term(" ".join(words), negated))
    if group:
        groups.append(tuple(group))
    return Query(tuple(groups))


def _normalised(word: str, *, plural_s: bool) -> str:
    alphanumeric = [index for index, char in enumerate(word) if char.isalnum()]
    if not alphanumeric:
        return ""
    word = word[alphanumeric[0] : alphanumeric[-1] + 1].translate(_ASCII_LOWER)
    if plural_s and len(word) > 3 and word.endswith("s") and not word.endswith(("ss", "us", "is")):
        word = word[:-1]
    return word


def _postgres(query: Query, language: str) -> tuple[ColumnElement[bool], ColumnElement[float]]:
    tsquery = func.websearch_to_tsquery(literal(language, REGCONFIG), query.websearch(), type_=TSQUERY)
    vector = ARTICLE.c.search_vector
    return vector.bool_op("@@")(tsquery), func.ts_rank(vector, tsquery, type_=Float)


def _holds(column: ColumnElement[str], text: str) -> ColumnElement[bool]:
    return func.instr(func.lower(column), literal(text)) > 0


def _tagged(text: str) -> ColumnElement[bool]:
    tagged = select(ARTICLE_TAG.c.article_id).join(TAG, TAG.c.id == ARTICLE_TAG.c.tag_id)
    return ARTICLE.c.id.in_(tagged.where(_holds(TAG.c.name, text)))


def _places(text: str) -> dict[str, ColumnElement[bool]]:
    return {
        "title": _holds(ARTICLE.c.title, text),
        "tags": _tagged(text),
        "description": _holds(ARTICLE.c.description, text),
        "content": _holds(ARTICLE.c.content, text),
    }


def _sqlite(query: Query, language: str) -> tuple[ColumnElement[bool], ColumnElement[float]]:
    plural_s = language.rpartition(".")[2] == "english"
    groups = [
        and_(*(_term_condition(term.matched(plural_s=plural_s), term.negated) for term in group))
        for group in query.groups
    ]
    rank: ColumnElement[float] = literal(0.0, Float)
    for term in query.positive:
        for place, found in _places(term.matched(plural_s=plural_s)).items():
            rank = rank + case((found, WEIGHTS[place]), else_=0.0)
    return or_(*groups), rank


def _term_condition(text: str, negated: bool) -> ColumnElement[bool]:
    found = or_(*_places(text).values())
    return not_(found) if negated else found


@dataclass
class Relevance(OrderBy):
    """A listing's order: the best match of a search first. Placed before the listing's own
    order (``blog.listing``), which then breaks its ties."""

    field_name: Any = "relevance"
    sort_order: Any = "desc"
    rank: ColumnElement[float] = field(default_factory=lambda: literal(0.0, Float))

    def append_to_statement(self, statement: Any, model: Any) -> Any:
        if isinstance(statement, Select):
            return statement.order_by(self.rank.desc())
        return statement


def search(q: str, language: str, dialect: str, *, ranked: bool) -> list[StatementFilter | ColumnElement[bool]]:
    """The conditions of a search for ``q`` on ``dialect``: only the matching articles, and the
    best matches first if ``ranked``."""
    query = parse(q)
    if not query.groups:  # nothing to look for
        return [false()]
    condition, rank = (_postgres if dialect == "postgresql" else _sqlite)(query, language)
    return [condition, Relevance(rank=rank)] if ranked else [condition]


class SearchLanguageError(StartupError):
    """``search.language`` is not the language the articles are indexed in (PostgreSQL)."""


async def check_search_language(connection: AsyncConnection, language: str) -> None:
    """Refuse ``language`` unless the articles' search index is in it (PostgreSQL; SQLite has no
    index): queries stemmed in one language find little in an index stemmed in another.

    Raises ``SearchLanguageError``, saying how to change either.
    """
    if connection.dialect.name != "postgresql":
        return
    indexed = await connection.scalar(text("SELECT article_search_language()::text"))
    try:
        same = await connection.scalar(
            text("SELECT CAST(:language AS regconfig) = article_search_language()"), {"language": language}
        )
    except DBAPIError:  # no such configuration
        await connection.rollback()
        msg = f"search.language is {language!r}, which this PostgreSQL server does not know (see pg_ts_config)"
        raise SearchLanguageError(msg, fix=f"Set SEARCH_LANGUAGE={indexed}, the articles' index's.") from None
    if not same:
        msg = f"search.language is {language!r}, but the articles are indexed in {indexed!r}"
        fix = (
            f"Index them again in {language!r} (psql: SELECT article_search_reindex('{language}');), "
            f"or set SEARCH_LANGUAGE={indexed}. See docs/search.md."
        )
        raise SearchLanguageError(msg, fix=fix)
