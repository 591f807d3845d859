"""The sample crisis covers the whole report, honestly."""

from datetime import date

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from app.models import Event, EventActor
from tests.html import card_dates, soup, text_of


@pytest.fixture
def events(engine, sample):
    with Session(engine) as session:
        query = select(Event).options(
            selectinload(Event.actor_links).selectinload(EventActor.actor),
            selectinload(Event.citations),
            selectinload(Event.relations_out),
            selectinload(Event.relations_in),
        )
        yield session.scalars(query).all()


def actors_of(event):
    return {link.actor.slug for link in event.actor_links}


def kyiv_day(event):
    from zoneinfo import ZoneInfo

    return event.start_at.astimezone(ZoneInfo("Europe/Kyiv")).date()


def test_every_event_has_a_type_actors_with_roles_a_dated_precision_and_a_source(events):
    assert 35 <= len(events) <= 50
    for event in events:
        assert event.type_slug, event.key
        assert event.actor_links and all(link.role for link in event.actor_links), event.key
        assert event.start_at and event.start_precision, event.key
        assert event.citations, event.key
        assert event.summary.strip(), event.key


@pytest.mark.parametrize(
    ("first", "second"),
    [
        ("joe-biden", "vladimir-putin"),
        ("vladimir-putin", "emmanuel-macron"),
        ("vladimir-putin", "alexander-lukashenko"),
        ("emmanuel-macron", "olaf-scholz"),
        ("emmanuel-macron", "volodymyr-zelenskiy"),
        ("antony-blinken", "sergey-lavrov"),
    ],
)
def test_each_call_of_12_february_is_there_with_both_sides(events, first, second):
    calls = [
        e
        for e in events
        if e.type_slug == "call"
        and {first, second} <= actors_of(e)
        and kyiv_day(e) == date(2022, 2, 12)
    ]
    assert len(calls) == 1


def test_the_previous_biden_putin_call_is_honestly_late_december(client, events):
    earlier = [
        e
        for e in events
        if e.type_slug == "call"
        and {"joe-biden", "vladimir-putin"} <= actors_of(e)
        and e.start_at.year == 2021
    ]
    assert len(earlier) == 1
    assert (earlier[0].start_precision, earlier[0].start_approximate) == ("month", True)
    assert card_dates(client.get("/").text)[earlier[0].title] == "late December 2021"


def test_the_joint_drills_are_a_range_from_10_to_20_february(client, events):
    drills = [e for e in events if e.type_slug == "drill" and {"russia", "belarus"} <= actors_of(e)]
    ranged = [e for e in drills if e.end_at is not None]
    assert ranged, [e.key for e in drills]
    assert card_dates(client.get("/").text)[ranged[0].title] == "10–20 Feb 2022"


def test_announced_visits_are_scheduled(events):
    scholz_visits = [
        e for e in events if e.type_slug == "meeting" and "olaf-scholz" in actors_of(e)
        and e.status == "scheduled"
    ]  # fmt: skip
    assert sorted(kyiv_day(e) for e in scholz_visits) == [date(2022, 2, 14), date(2022, 2, 15)]


def test_each_denial_is_linked_to_the_claim_it_denies(events):
    by_id = {e.id: e for e in events}
    denials = [e for e in events if e.type_slug == "denial"]
    assert len(denials) >= 2
    for denial in denials:
        denied = [by_id[r.to_event_id] for r in denial.relations_out if r.relation == "denies"]
        assert denied, denial.key
        assert all(claim.verification in ("claimed", "disputed") for claim in denied), denial.key


def test_the_war_in_the_east_is_dated_to_the_year(events):
    war = [e for e in events if e.type_slug == "incident" and e.start_precision == "year"]
    assert len(war) == 1


def test_every_country_that_told_citizens_to_leave_has_its_advisory(events):
    advising = set().union(*(actors_of(e) for e in events if e.type_slug == "travel-advisory"))
    assert {"united-states", "japan", "united-kingdom", "australia"} <= advising | {
        parent for e in events for link in e.actor_links
        if e.type_slug == "travel-advisory" and (parent := _parent_slug(link.actor))
    }  # fmt: skip


def _parent_slug(actor):
    return actor.parent.slug if actor.parent else None


def test_an_alias_is_kept_with_its_actor(engine, sample):
    from app.models import Actor

    with Session(engine) as session:
        actor = session.scalars(
            select(Actor)
            .where(Actor.slug == "volodymyr-zelenskiy")
            .options(selectinload(Actor.aliases))
        ).one()
        assert {"Zelensky", "Zelenskyy"} <= set(actor.alias_names)


def test_the_sample_timeline_renders_every_event_with_a_working_link(client, events):
    html = client.get("/").text
    links = [a["href"] for a in soup(html).select(".event-card .event-title a")]

    assert len(links) == len(events)
    for href in links[:10]:
        page = client.get(href)
        assert page.status_code == 200
        assert text_of(soup(page.text).h1)
