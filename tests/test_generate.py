"""The test-data generator: `brink generate`, and the 10,000-event database built with it."""

from datetime import timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import distinct, func, or_, select, text
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from app import search
from app.cli import cli
from app.config import get_settings
from app.db import make_engine
from app.generate import generate
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
    Status,
    Verification,
)
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


def test_generate_refuses_a_database_without_schema(run, empty_database_url):
    result = run(empty_database_url, "generate", "--events", "10")

    assert result.exit_code == 1
    assert "run 'brink migrate' first" in result.output


def test_generate_needs_at_least_one_event(run, database_url):
    result = run(database_url, "generate", "--events", "0")

    assert result.exit_code != 0


# The generator


def test_the_same_seed_makes_the_same_crisis_on_top_of_what_is_there(engine, make_event):
    first = generate(engine, events=200, seed=5, zone=KYIV)
    second = generate(engine, events=200, seed=5, zone=KYIV)
    other = generate(engine, events=200, seed=6, zone=KYIV)
    # Rows written afterwards by the app get ids of their own (PostgreSQL's sequences kept up).
    later = make_event(title="Written after generating")

    assert (first.first_event_id, first.last_event_id) == (1, 200)
    assert (second.first_event_id, second.last_event_id) == (201, 400)
    assert later == 601
    batch_1 = titles(engine, (1, 200))
    assert batch_1 == titles(engine, (201, 400))
    assert batch_1 != titles(engine, (401, 600))
    assert len(set(batch_1)) > 100
    with Session(engine) as session:
        assert count(session, Actor.id) == first.actors + second.actors + other.actors + 1
        assert count(session, distinct(Actor.slug)) == count(session, Actor.id)


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
        assert timedelta(days=600) < last - first < timedelta(days=740)
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
