"""Full-text search: SQLite FTS5 or PostgreSQL tsvector behind one small interface.

An event's search document has four parts, from most to least telling: its title, its actors'
names and aliases (so "Zelensky" finds events of Volodymyr Zelenskiy), its summary, and its
sources: the publisher and the passage quoted. (Not the source's title: one report backs many
events, and its headline would make every one of them match its words.)

Reader input is never handed to either engine's query syntax: it is cut into words and "quoted
phrases", every word matches as a prefix, and all must match. Nothing a reader types can make a
query fail. Results rank in three tiers, the same on both databases and independent of the rest
of the corpus (so paging by rank is stable): every word in the title, every word in the title or
the actors, anywhere.
"""

import re
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from markupsafe import Markup, escape
from sqlalchemy import (
    ColumnElement,
    Connection,
    bindparam,
    case,
    func,
    literal_column,
    select,
    text,
)
from sqlalchemy.sql import Select

from app.models import Actor, ActorAlias, Citation, Event, EventActor, Source

MAX_WORDS = 12
MAX_WORD_LENGTH = 60
# Letters and digits in any script; everything else (quotes, operators, emoji) separates words.
WORD = re.compile(r"[^\W_]+")
PHRASE = re.compile(r'"([^"]*)"')
TABLE = "event_search"


@dataclass(frozen=True)
class SearchQuery:
    """What a reader asked for: phrases of one or more lowercase words, all required."""

    phrases: tuple[tuple[str, ...], ...]

    @classmethod
    def parse(cls, text: str) -> "SearchQuery | None":
        """Balanced "quotes" make phrases; anything else is just words. None if no word at all."""
        phrases: list[tuple[str, ...]] = []
        budget = MAX_WORDS

        def add(words: list[str]) -> None:
            nonlocal budget
            words = [w[:MAX_WORD_LENGTH] for w in words][:budget]
            if words and words not in [list(p) for p in phrases]:
                phrases.append(tuple(words))
                budget -= len(words)

        text = text.casefold()
        for index, part in enumerate(PHRASE.split(text)):
            # PHRASE.split alternates: outside quotes, inside quotes, outside, ...
            if index % 2:
                add(WORD.findall(part))
            else:
                for word in WORD.findall(part):
                    add([word])
        return cls(tuple(phrases)) if phrases else None

    @property
    def words(self) -> list[str]:
        return [word for phrase in self.phrases for word in phrase]

    def fts5(self, columns: Sequence[str] = ()) -> str:
        """An FTS5 MATCH expression: '"putin"* AND "severe costs"*', optionally column-scoped."""
        expression = " AND ".join('"' + " ".join(phrase) + '"*' for phrase in self.phrases)
        if columns:
            return "{" + " ".join(columns) + "} : (" + expression + ")"
        return expression

    def tsquery(self, weights: str = "") -> str:
        """A to_tsquery() string: 'putin:*' & 'severe':D <-> 'costs':*D', optionally weighted."""

        def term(word: str, last: bool) -> str:
            suffix = ("*" if last else "") + weights
            return f"'{word}':{suffix}" if suffix else f"'{word}'"

        parts = []
        for phrase in self.phrases:
            terms = [term(word, i == len(phrase) - 1) for i, word in enumerate(phrase)]
            parts.append("(" + " <-> ".join(terms) + ")")
        return " & ".join(parts)


def matching_ids(query: SearchQuery, dialect: str, tier: str = "any") -> Select[tuple[int]]:
    """Ids of events matching the query: anywhere, in the 'title', or in 'title_actors'."""
    if dialect == "sqlite":
        columns = {"any": (), "title": ("title",), "title_actors": ("title", "actors")}[tier]
        return (
            select(literal_column("rowid"))
            .select_from(text(TABLE))
            .where(literal_column(TABLE).op("MATCH")(bindparam(None, query.fts5(columns))))
        )
    weights = {"any": "", "title": "A", "title_actors": "AB"}[tier]
    tsquery = func.to_tsquery(literal_column("'simple'::regconfig"), query.tsquery(weights))
    return (
        select(literal_column("event_id"))
        .select_from(text(TABLE))
        .where(literal_column("document").op("@@")(tsquery))
    )


def rank(query: SearchQuery, dialect: str) -> ColumnElement[int]:
    """3: every word in the title; 2: in the title or the actors; 1: anywhere."""
    return case(
        (Event.id.in_(matching_ids(query, dialect, "title")), 3),
        (Event.id.in_(matching_ids(query, dialect, "title_actors")), 2),
        else_=1,
    )


def highlight(html: str, query: SearchQuery | None) -> Markup:
    """Wrap words starting with a searched word in <mark>, in text only, never inside tags."""
    html = str(escape(html)) if not isinstance(html, Markup) else str(html)
    if query is None:
        return Markup(html)  # noqa: S704 - escaped or already safe markup
    words = sorted(set(query.words), key=len, reverse=True)
    pattern = re.compile(
        r"(?<![^\W_])(" + "|".join(re.escape(w) for w in words) + r")[^\W_]*", re.IGNORECASE
    )
    pieces = re.split(r"(<[^>]*>)", html)
    for index, piece in enumerate(pieces):
        if not piece.startswith("<"):
            pieces[index] = pattern.sub(r"<mark>\g<0></mark>", piece)
    return Markup("".join(pieces))  # noqa: S704 - only <mark> added to safe markup


# Writing the index


@dataclass
class _Document:
    title: str = ""
    summary: str = ""
    actors: list[str] | None = None
    sources: list[str] | None = None


def _documents(connection: Connection, event_ids: Sequence[int]) -> dict[int, _Document]:
    documents: dict[int, _Document] = defaultdict(_Document)
    for event_id, title, summary in connection.execute(
        select(Event.id, Event.title, Event.summary).where(Event.id.in_(event_ids))
    ):
        documents[event_id] = _Document(title, summary or "", [], [])
    names = connection.execute(
        select(EventActor.event_id, Actor.name)
        .join(Actor, Actor.id == EventActor.actor_id)
        .where(EventActor.event_id.in_(event_ids))
        .union_all(
            select(EventActor.event_id, ActorAlias.name)
            .join(ActorAlias, ActorAlias.actor_id == EventActor.actor_id)
            .where(EventActor.event_id.in_(event_ids))
        )
    )
    for event_id, name in names:
        documents[event_id].actors.append(name)  # type: ignore[union-attr]
    for event_id, publisher, quote in connection.execute(
        select(Citation.event_id, Source.publisher, Citation.quote)
        .join(Source, Source.id == Citation.source_id)
        .where(Citation.event_id.in_(event_ids))
    ):
        documents[event_id].sources.extend(  # type: ignore[union-attr]
            part for part in (publisher, quote) if part
        )
    return {event_id: doc for event_id, doc in documents.items() if doc.actors is not None}


def reindex(connection: Connection, event_ids: Iterable[int] | None = None) -> int:
    """Bring the search documents of these events (all events if None) up to date; deleted or
    missing events lose theirs. Runs in the caller's transaction. Returns how many were written."""
    if event_ids is None:
        connection.execute(text(f"DELETE FROM {TABLE}"))
        ids = list(connection.scalars(select(Event.id).order_by(Event.id)))
    else:
        ids = sorted(set(event_ids))
    written = 0
    sqlite = connection.dialect.name == "sqlite"
    for start in range(0, len(ids), 500):
        batch = ids[start : start + 500]
        key = "rowid" if sqlite else "event_id"
        connection.execute(
            text(f"DELETE FROM {TABLE} WHERE {key} IN :ids").bindparams(
                bindparam("ids", expanding=True)
            ),
            {"ids": batch},
        )
        rows = [
            {
                "id": event_id,
                "title": doc.title,
                "summary": doc.summary,
                "actors": " ".join(doc.actors or []),
                "sources": " ".join(doc.sources or []),
            }
            for event_id, doc in _documents(connection, batch).items()
        ]
        if not rows:
            continue
        if sqlite:
            statement = (
                f"INSERT INTO {TABLE} (rowid, title, summary, actors, sources) "
                "VALUES (:id, :title, :summary, :actors, :sources)"
            )
        else:
            statement = (
                f"INSERT INTO {TABLE} (event_id, document) VALUES (:id, "
                "setweight(to_tsvector('simple', :title), 'A') || "
                "setweight(to_tsvector('simple', :actors), 'B') || "
                "setweight(to_tsvector('simple', :summary), 'C') || "
                "setweight(to_tsvector('simple', :sources), 'D'))"
            )
        connection.execute(text(statement), rows)
        written += len(rows)
    return written


def reindex_range(connection: Connection, first_id: int, last_id: int) -> int:
    """reindex() for the events with ids from first_id to last_id, the documents built by the
    database in one statement (the same words in each part as reindex() writes): for bulk
    writers such as `brink generate`, where reading every event back costs more than the rest."""
    sqlite = connection.dialect.name == "sqlite"
    agg = "group_concat" if sqlite else "string_agg"
    documents = f"""
        SELECT e.id, e.title, coalesce(e.summary, '') AS summary,
            coalesce(n.names, '') AS actors, coalesce(p.parts, '') AS sources
        FROM events e
        LEFT JOIN (
            SELECT ea.event_id, {agg}(a.name || coalesce(' ' || al.names, ''), ' ') AS names
            FROM event_actors ea
            JOIN actors a ON a.id = ea.actor_id
            LEFT JOIN (
                SELECT actor_id, {agg}(name, ' ') AS names FROM actor_aliases GROUP BY actor_id
            ) al ON al.actor_id = ea.actor_id
            WHERE ea.event_id BETWEEN :first AND :last
            GROUP BY ea.event_id
        ) n ON n.event_id = e.id
        LEFT JOIN (
            SELECT c.event_id, {agg}(s.publisher || coalesce(' ' || c.quote, ''), ' ') AS parts
            FROM citations c
            JOIN sources s ON s.id = c.source_id
            WHERE c.event_id BETWEEN :first AND :last
            GROUP BY c.event_id
        ) p ON p.event_id = e.id
        WHERE e.id BETWEEN :first AND :last"""  # noqa: S608 - no input in it
    bounds = {"first": first_id, "last": last_id}
    key = "rowid" if sqlite else "event_id"
    connection.execute(text(f"DELETE FROM {TABLE} WHERE {key} BETWEEN :first AND :last"), bounds)
    if sqlite:
        statement = (
            f"INSERT INTO {TABLE} (rowid, title, summary, actors, sources) "
            f"SELECT id, title, summary, actors, sources FROM ({documents}) d"
        )
    else:
        statement = (
            f"INSERT INTO {TABLE} (event_id, document) SELECT id, "
            "setweight(to_tsvector('simple', title), 'A') || "
            "setweight(to_tsvector('simple', actors), 'B') || "
            "setweight(to_tsvector('simple', summary), 'C') || "
            f"setweight(to_tsvector('simple', sources), 'D') FROM ({documents}) d"
        )
    return connection.execute(text(statement), bounds).rowcount


def create_index_table(connection: Connection) -> None:
    """The search table for this database; used by the migration that introduces search."""
    if connection.dialect.name == "sqlite":
        connection.execute(
            text(
                f"CREATE VIRTUAL TABLE {TABLE} USING fts5("
                "title, summary, actors, sources, "
                "tokenize = 'unicode61 remove_diacritics 2')"
            )
        )
    else:
        connection.execute(
            text(
                f"CREATE TABLE {TABLE} ("
                "event_id INTEGER PRIMARY KEY REFERENCES events (id) ON DELETE CASCADE, "
                "document TSVECTOR NOT NULL)"
            )
        )
        connection.execute(
            text(f"CREATE INDEX ix_{TABLE}_document ON {TABLE} USING GIN (document)")
        )


def include_name(name: str | None, type_: str, parent_names: object) -> bool:
    """For Alembic's schema comparison: the search tables (FTS5 adds shadow tables of its own)
    are made by hand in a migration, not described by the models."""
    return not (type_ == "table" and name is not None and name.startswith(TABLE))
