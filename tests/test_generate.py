"""The test-data generator: `brink generate`, and the 10,000-event database built with it."""

import io
import re
import statistics
from collections import Counter
from datetime import timedelta
from zoneinfo import ZoneInfo

import pytest
from rich.console import Console
from sqlalchemy import distinct, func, or_, select, text
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session
from typer.testing import CliRunner

import app.cli
import app.generate
from app import search
from app.cli import cli
from app.config import get_settings
from app.db import make_engine, migrate
from app.editing import slugify
from app.generate import COMMON_WORDS, RARE_WORDS, generate
from app.models import (
    Actor,
    ActorAlias,
    ActorKind,
    Citation,
    Event,
    EventActor,
    EventType,
    Precision,
    Role,
    Source,
    Status,
    Verification,
)
from tests.conftest import _admin_execute
from tests.html import soup, text_of

KYIV = ZoneInfo("Europe/Kyiv")


@pytest.fixture
def run(monkeypatch):
    """Run `brink …` against a database URL, with settings read afresh as a new process would."""

    def invoke(url, *args):
        monkeypatch.setenv("BRINK_DATABASE_URL", url)
        monkeypatch.setenv("BRINK_TIMEZONE", "Europe/Kyiv")
        get_settings.cache_clear()
        try:
            return CliRunner().invoke(cli, list(args))
        finally:
            get_settings.cache_clear()

    return invoke


@pytest.fixture
def generated_engine(generated_database_url):
    engine = make_engine(generated_database_url)
    yield engine
    engine.dispose()


def count(session, *what, where=()):
    return session.scalar(select(func.count(*what)).where(*where))


def titles(engine, ids=None):
    with Session(engine) as session:
        query = select(Event.title).order_by(Event.id)
        if ids is not None:
            query = query.where(Event.id.between(*ids))
        return list(session.scalars(query))


def fingerprint(engine):
    """Everything generated that is not a clock reading: the crisis itself."""
    with Session(engine) as session:
        events = session.execute(
            select(
                Event.id, Event.slug, Event.title, Event.summary, Event.type_slug, Event.status,
                Event.verification, Event.start_at, Event.start_precision,
                Event.start_approximate, Event.end_at, Event.end_precision, Event.place_name,
                Event.place_lat, Event.place_lon, Event.timezone, Event.importance,
            ).order_by(Event.id)
        ).all()  # fmt: skip
        actors = session.execute(
            select(Actor.id, Actor.slug, Actor.name, Actor.kind, Actor.parent_id).order_by(Actor.id)
        ).all()
        aliases = session.execute(
            select(ActorAlias.actor_id, ActorAlias.name).order_by(ActorAlias.id)
        ).all()
        links = session.execute(
            select(EventActor.event_id, EventActor.actor_id, EventActor.role).order_by(
                EventActor.event_id, EventActor.position
            )
        ).all()
        cites = session.execute(
            select(Citation.event_id, Source.publisher, Source.title, Source.url, Citation.quote)
            .join(Source)
            .order_by(Citation.event_id, Citation.position)
        ).all()
    return [tuple(rows) for rows in (events, actors, aliases, links, cites)]


# The command


def test_generate_writes_what_it_reports(run, database_url, engine):
    result = run(database_url, "generate", "--events", "300", "--seed", "7")

    assert result.exit_code == 0, result.output
    output = " ".join(result.output.split())
    assert output.startswith("Generated 300 events (ids 1–300), 15 actors")
    assert "seed 7" in output
    with Session(engine) as session:
        assert count(session, Event.id) == 300
        assert count(session, Event.id, where=[Event.published.is_(True)]) == 300
        assert count(session, Actor.id) == 15
        links = (
            select(EventActor.event_id, func.count().label("n"))
            .group_by(EventActor.event_id)
            .subquery()
        )
        per_event = session.execute(
            select(func.count(), func.min(links.c.n), func.max(links.c.n))
        ).one()
        assert tuple(per_event) == (300, 1, 3)
        cites = (
            select(Citation.event_id, func.count().label("n"))
            .group_by(Citation.event_id)
            .subquery()
        )
        per_event = session.execute(
            select(func.count(), func.min(cites.c.n), func.max(cites.c.n))
        ).one()
        assert tuple(per_event) == (300, 1, 2)


def test_generate_makes_as_many_actors_as_asked(run, database_url, engine):
    result = run(database_url, "generate", "--events", "400", "--actors", "40")

    assert result.exit_code == 0, result.output
    assert "400 events (ids 1–400), 40 actors" in " ".join(result.output.split())
    with Session(engine) as session:
        assert count(session, Actor.id) == 40
        assert count(session, distinct(EventActor.actor_id)) > 20


def test_the_default_number_of_actors_grows_with_the_events_up_to_a_cap():
    assert app.generate.default_actors(10) == 8
    assert app.generate.default_actors(10_000) == 500
    assert app.generate.default_actors(100_000) == 5_000
    assert app.generate.default_actors(1_000_000) == 5_000


@pytest.mark.parametrize(
    ("args", "option"),
    [
        (["--events", "0"], "--events"),
        (["--events", "-5"], "--events"),
        (["--events", "many"], "--events"),
        (["--actors", "0"], "--actors"),
        (["--actors", "4"], "--actors"),
    ],
)
def test_generate_refuses_bad_numbers_clearly(run, database_url, engine, args, option):
    result = run(database_url, "generate", *args)

    assert result.exit_code == 2
    assert f"Invalid value for '{option}'" in " ".join(result.output.split())
    assert "Traceback" not in result.output
    with Session(engine) as session:
        assert count(session, Event.id) == count(session, Actor.id) == 0


def test_generate_refuses_a_database_without_schema(run, empty_database_url):
    result = run(empty_database_url, "generate", "--events", "10")

    assert result.exit_code == 1
    assert "run 'brink migrate' first" in result.output


def test_a_terminal_sees_a_progress_bar_and_the_report_is_unchanged(
    run, database_url, engine, monkeypatch
):
    screen = io.StringIO()
    terminal = Console(file=screen, force_terminal=True, width=100, stderr=True)
    monkeypatch.setattr(app.cli, "err", terminal)
    monkeypatch.setattr(app.generate, "CHUNK_EVENTS", 100)

    result = run(database_url, "generate", "--events", "450")

    assert result.exit_code == 0, result.output
    assert " ".join(result.output.split()).startswith("Generated 450 events (ids 1–450)")
    assert "Generating" in screen.getvalue()
    assert "Generating" not in result.output
    assert titles(engine)[:5] == titles(engine, (1, 5))


# The generator


def test_the_same_seed_makes_the_same_crisis_on_top_of_what_is_there(
    engine, make_event, monkeypatch
):
    first = generate(engine, events=200, seed=5, zone=KYIV)
    told = []
    monkeypatch.setattr(app.generate, "CHUNK_EVENTS", 64)  # chunks change nothing but memory
    second = generate(
        engine, events=200, seed=5, zone=KYIV, progress=lambda *done: told.append(done)
    )
    other = generate(engine, events=200, seed=6, zone=KYIV)
    # Rows written afterwards by the app get ids of their own (PostgreSQL's sequences kept up).
    later = make_event(title="Written after generating")

    assert (first.first_event_id, first.last_event_id) == (1, 200)
    assert (second.first_event_id, second.last_event_id) == (201, 400)
    assert told == [(64, 200), (128, 200), (192, 200), (200, 200)]
    assert later == 601
    batch_1 = titles(engine, (1, 200))
    assert batch_1 == titles(engine, (201, 400))
    assert batch_1 != titles(engine, (401, 600))
    assert len(set(batch_1)) > 100
    with Session(engine) as session:
        assert count(session, Actor.id) == first.actors + second.actors + other.actors + 1
        assert count(session, distinct(Actor.slug)) == count(session, Actor.id)
        starts = [
            list(session.scalars(select(Event.start_at).where(Event.id.between(a, a + 199))))
            for a in (1, 201)
        ]
        assert starts[0] == starts[1]
        assert first.citations == second.citations
        assert count(session, Citation.event_id, where=[Citation.event_id <= 200]) == (
            count(session, Citation.event_id, where=[Citation.event_id.between(201, 400)])
        )


def test_the_same_seed_makes_the_same_crisis_on_sqlite_and_postgresql(postgres_admin_url, tmp_path):
    name = f"brink_generate_both_{tmp_path.name}"[:60]
    _admin_execute(
        postgres_admin_url, f'DROP DATABASE IF EXISTS "{name}"', f'CREATE DATABASE "{name}"'
    )
    engines = [
        make_engine(f"sqlite:///{tmp_path / 'brink.db'}"),
        make_engine(make_url(postgres_admin_url).set(database=name)),
    ]
    try:
        prints = []
        for engine in engines:
            migrate(engine)
            generate(engine, events=500, seed=11, zone=KYIV, actors=30)
            prints.append(fingerprint(engine))
    finally:
        for engine in engines:
            engine.dispose()
        _admin_execute(postgres_admin_url, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')

    assert len(prints[0][0]) == 500
    assert len(prints[0][1]) == 30
    for sqlite_rows, postgresql_rows in zip(*prints, strict=True):
        assert sqlite_rows == postgresql_rows


def test_generated_events_go_on_top_of_the_sample(engine, sample):
    before = titles(engine)

    report = generate(engine, events=100, seed=1, zone=KYIV)

    after = titles(engine)
    assert after[: len(before)] == before
    assert len(after) == len(before) + 100
    assert report.first_event_id == len(before) + 1
    with Session(engine) as session:
        indexed = session.scalar(text(f"SELECT count(*) FROM {search.TABLE}"))
        assert indexed == len(before) + 100


@pytest.fixture
def crisis(engine):
    """3,000 generated events: enough for the shape of a crisis to show."""
    generate(engine, events=3_000, seed=2, zone=KYIV)
    with Session(engine) as session:
        yield session


def test_activity_bursts_around_key_days(crisis):
    starts = crisis.execute(
        select(Event.start_at).where(Event.status != Status.SCHEDULED.value)
    ).scalars()
    per_day = Counter(start.astimezone(KYIV).date() for start in starts)
    days = [per_day.get(day, 0) for day in _days_between(min(per_day), max(per_day))]
    median = statistics.median(days)

    assert max(days) >= 10 * median
    peaks = {day.isocalendar()[:2] for day, n in per_day.items() if n >= 5 * median}
    assert len(peaks) >= 5  # several crises within the crisis, weeks apart


def _days_between(first, last):
    return [first + timedelta(days=n) for n in range((last - first).days + 1)]


def test_about_one_event_in_ten_is_a_range(crisis):
    ranges = count(crisis, Event.id, where=[Event.end_at.is_not(None)])

    assert 210 <= ranges <= 390
    assert count(crisis, Event.id, where=[Event.end_at < Event.start_at]) == 0


def test_scheduled_events_lie_after_the_latest_report(crisis):
    latest_report = crisis.scalar(
        select(func.max(Event.start_at)).where(Event.status == Status.OCCURRED.value)
    )
    scheduled = crisis.execute(
        select(func.count(), func.min(Event.start_at)).where(Event.status == Status.SCHEDULED.value)
    ).one()

    assert 20 <= scheduled[0] <= 100
    assert scheduled[1] > latest_report
    for status in (Status.POSTPONED, Status.CANCELLED):
        assert count(crisis, Event.id, where=[Event.status == status.value]) > 0


def test_events_have_one_to_three_actors_in_roles(crisis):
    links = crisis.execute(
        select(EventActor.event_id, EventActor.role).order_by(
            EventActor.event_id, EventActor.position
        )
    ).all()
    roles: dict[int, list[str]] = {}
    for event_id, role in links:
        roles.setdefault(event_id, []).append(role)

    assert len(roles) == 3_000
    assert Counter(len(r) for r in roles.values()).keys() == {1, 2, 3}
    assert {r[0] for r in roles.values()} == {Role.INITIATOR.value}
    assert {role for _, role in links} == {r.value for r in Role}
    with_two = [r for r in roles.values() if len(r) > 1]
    assert {r[1] for r in with_two} == {Role.COUNTERPART.value, Role.SUBJECT.value}
    assert len({slugify(t) for t in titles(crisis.get_bind())}) > 2_000


def search_documents(session):
    """Each event's indexed words by part, in no particular order."""
    if session.get_bind().dialect.name == "sqlite":
        rows = session.execute(
            text(f"SELECT rowid, title, summary, actors, sources FROM {search.TABLE}")
        )
        return {
            row[0]: [sorted(search.WORD.findall(part.casefold())) for part in row[1:]]
            for row in rows
        }
    rows = session.execute(
        text(f"SELECT event_id, lexeme, weights FROM {search.TABLE}, unnest(document)")
    )
    documents: dict[int, set] = {}
    for event_id, lexeme, weights in rows:
        documents.setdefault(event_id, set()).add((lexeme, tuple(sorted(weights))))
    return documents


def test_generated_events_are_indexed_as_the_app_indexes_an_event(crisis):
    bulk = search_documents(crisis)

    search.reindex(crisis.connection(), range(1, 3_001))

    assert len(bulk) == 3_000
    assert search_documents(crisis) == bulk
    crisis.rollback()


def test_the_generated_words_are_what_search_benchmarks_need(crisis):
    dialect = crisis.get_bind().dialect.name

    def hits(word):
        query = search.SearchQuery.parse(word)
        return count(crisis, Event.id, where=[Event.id.in_(search.matching_ids(query, dialect))])

    for word in COMMON_WORDS:
        assert hits(word) >= 150, word  # 5% of the events or more
    code_names = 0
    for word in RARE_WORDS:
        in_text = count(crisis, Event.id, where=[Event.summary.ilike(f"%{word}%")])
        # A code name only: no other word starts with it, nothing else says it.
        assert hits(word) == in_text <= 5, word
        code_names += in_text
    assert 1 <= code_names <= 20
    generated_text = " ".join(titles(crisis.get_bind())).lower()
    assert not re.search(r"[^\x00-\x7f]", generated_text)  # so slugs keep every word


# The 10,000-event database


def test_the_big_timeline_counts_every_generated_event(big_client):
    response = big_client.get("/")

    assert response.status_code == 200
    assert text_of(soup(response.text).h1) == "All events · 10,000 events"


def test_search_finds_every_generated_event_that_speaks_of_it(big_client, generated_engine):
    # "ceasefire" is only ever in titles and summaries (and quotes, which repeat summaries).
    with Session(generated_engine) as session:
        expected = count(
            session,
            Event.id,
            where=[or_(Event.title.ilike("%ceasefire%"), Event.summary.ilike("%ceasefire%"))],
        )

    response = big_client.get("/?q=ceasefire")

    assert expected > 100
    assert response.status_code == 200
    assert text_of(soup(response.text).h1) == f"Events matching “ceasefire” · {expected:,} events"


def test_every_generated_event_is_in_the_search_index(generated_engine):
    with Session(generated_engine) as session:
        indexed = session.scalar(text(f"SELECT count(*) FROM {search.TABLE}"))
        by_alias = search.SearchQuery.parse("Republic of")
        assert by_alias is not None
        dialect = generated_engine.dialect.name
        alias_hits = count(session, where=[Event.id.in_(search.matching_ids(by_alias, dialect))])
        with_alias = count(
            session,
            distinct(EventActor.event_id),
            where=[
                EventActor.actor_id.in_(
                    select(ActorAlias.actor_id).where(ActorAlias.name.like("Republic of %"))
                )
            ],
        )

    assert indexed == 10_000
    assert alias_hits >= with_alias > 0


def test_the_generated_crisis_has_the_variety_of_a_real_one(generated_engine):
    with Session(generated_engine) as session:

        def values(column):
            return set(session.scalars(select(column).distinct()))

        assert count(session, Event.id) == 10_000
        assert count(session, Event.id, where=[Event.published.is_(False)]) == 0
        assert count(session, Actor.id) == 500
        assert values(Event.type_slug) == values(EventType.slug)
        assert values(Event.status) == {s.value for s in Status}
        assert values(Event.verification) == {v.value for v in Verification}
        assert values(Event.start_precision) == {p.value for p in Precision}
        assert values(Actor.kind) == {k.value for k in ActorKind}
        assert values(EventActor.role) == {r.value for r in Role}
        ranges = count(session, Event.id, where=[Event.end_at.is_not(None)])
        assert 700 <= ranges <= 1300
        assert count(session, Actor.id, where=[Actor.parent_id.is_not(None)]) > 200
        assert count(session, ActorAlias.id) > 100
        first, last = session.execute(
            select(func.min(Event.start_at), func.max(Event.start_at))
        ).one()
        # Two years of reports, and what is scheduled for the two months after.
        assert timedelta(days=700) < last - first < timedelta(days=800)
        # A power law: the three most active actors are in most events.
        busiest = (
            select(EventActor.actor_id)
            .group_by(EventActor.actor_id)
            .order_by(func.count().desc(), EventActor.actor_id)
            .limit(3)
        )
        with_busiest = count(
            session,
            distinct(EventActor.event_id),
            where=[EventActor.actor_id.in_(busiest)],
        )
        assert with_busiest > 5_000
