from datetime import UTC, datetime

from sqlalchemy import update

from app.db import write_session
from app.models import Event, EventRelation
from tests.html import soup, text_of


def test_an_event_id_redirects_permanently_to_its_canonical_url(client, make_event):
    event_id = make_event(title="Biden and Putin speak by phone")

    response = client.get(f"/events/{event_id}")

    assert response.status_code == 301
    assert response.headers["location"] == f"/events/{event_id}/biden-and-putin-speak-by-phone"


def test_a_stale_slug_redirects_to_the_current_one(client, make_event, engine):
    event_id = make_event(title="Old title")
    with write_session(engine) as session:
        session.execute(update(Event).where(Event.id == event_id).values(slug="new-title"))

    response = client.get(f"/events/{event_id}/old-title")

    assert response.status_code == 301
    assert response.headers["location"] == f"/events/{event_id}/new-title"


def test_an_unknown_event_is_a_404_page(client):
    response = client.get("/events/999999/nothing")

    assert response.status_code == 404
    assert "There is no event 999999." in response.text
    assert text_of(soup(response.text).h1) == "Not found"


def test_the_event_page_shows_actors_with_roles_sources_and_related_events(
    client, make_event, engine
):
    claim = make_event(
        title="Russia says it chased off a submarine",
        type_slug="incident",
        verification="claimed",
        actors=[("russia", "initiator"), ("united-states", "subject")],
    )
    denial = make_event(
        title="Pentagon denies the submarine claim",
        type_slug="denial",
        start_at=datetime(2022, 2, 12, 18, 30, tzinfo=UTC),
        start_precision="minute",
        actors=[("pentagon", "initiator")],
    )
    with write_session(engine) as session:
        session.add(EventRelation(from_event_id=denial, to_event_id=claim, relation="denies"))

    denial_page = soup(client.get(f"/events/{denial}/pentagon-denies-the-submarine-claim").text)
    claim_page = soup(client.get(f"/events/{claim}/russia-says-it-chased-off-a-submarine").text)

    assert text_of(denial_page.h1) == "Pentagon denies the submarine claim"
    terms = [text_of(dt) for dt in denial_page.select(".facts dt")]
    facts = dict(zip(terms, [text_of(dd) for dd in denial_page.select(".facts dd")], strict=True))
    assert facts["When"] == "12 Feb 2022, 20:30 EET (12 Feb 2022, 18:30 UTC)"
    assert facts["Verification"] == "Confirmed"
    assert [text_of(li) for li in denial_page.select(".actor-roles li")] == ["Pentagon (initiator)"]
    assert [text_of(li) for li in claim_page.select(".actor-roles li")] == [
        "Russia (initiator)",
        "United States (subject)",
    ]
    assert "Denies Russia says it chased off a submarine" in text_of(
        denial_page.select_one(".related")
    )
    assert "Denied by Pentagon denies the submarine claim" in text_of(
        claim_page.select_one(".related")
    )
    assert text_of(claim_page.select_one(".sources cite")) == "A report"


def test_head_requests_are_answered_like_get_without_a_body(client, make_event):
    event_id = make_event(title="Heads up")

    page = client.head("/")
    short = client.head(f"/events/{event_id}", follow_redirects=False)

    assert page.status_code == 200 and page.content == b""
    assert int(page.headers["content-length"]) > 0
    assert short.status_code == 301
    assert short.headers["location"] == f"/events/{event_id}/heads-up"
