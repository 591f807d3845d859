"""The timeline as it stood (?as_of=): later events hidden, later edits undone, on the timeline,
actor and event pages and the data routes, with a banner and a way back to now."""

import csv
import io
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, update
from sqlalchemy.orm import Session

from app import editing
from app.db import write_session
from app.editing import ActorInput, EventInput
from app.filters import moment_text
from app.models import Event, Revision
from tests.html import card_dates, event_titles, soup, text_of

FIRST = "Russia announces drills"
CORRECTED = "Russia announces naval drills"
SECOND = "Ukraine asks for talks"


def at(hour: int, minute: int = 0) -> datetime:
    """A moment on 13 Feb 2022 (UTC): the desk's clock in these tests."""
    return datetime(2022, 2, 13, hour, minute, tzinfo=UTC)


def stamp(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%MZ")


@dataclass
class Desk:
    """Changes through app/editing.py, each dated at a chosen moment (its revision, and the
    publication or deletion it makes)."""

    engine: Engine
    zone: ZoneInfo

    def __post_init__(self) -> None:
        with write_session(self.engine) as session:
            russia = editing.create_actor(session, ActorInput(name="Russia", kind="state"), None)
            editing.create_actor(
                session, ActorInput(name="Vladimir Putin", kind="person", parent=russia.id), None
            )
            editing.create_actor(session, ActorInput(name="Ukraine", kind="state"), None)

    def create(
        self,
        when: datetime,
        title: str,
        start: str = "2022-02-12",
        actors: tuple[str, ...] = ("vladimir-putin",),
        **fields: Any,
    ) -> int:
        data = {
            "title": title,
            "type": "statement",
            "start": start,
            "actors": [{"actor": slug, "role": "initiator"} for slug in actors],
            **fields,
        }
        with write_session(self.engine) as session:
            event = editing.create_event(
                session, editing.parse(EventInput, data), self.zone, None, publish=True
            )
            event.published_at = when
            self._date(session, event, when)
            return event.id

    def edit(self, when: datetime, event_id: int, correction: bool = False, **changes: Any) -> None:
        with write_session(self.engine) as session:
            event = editing.load_event(session, event_id)
            assert event is not None
            data = {**editing.event_input(event, self.zone).model_dump(mode="json"), **changes}
            assert editing.update_event(
                session,
                event,
                editing.parse(EventInput, data),
                self.zone,
                None,
                expected_version=None,
                correction=correction,
            )
            self._date(session, event, when)

    def delete(self, when: datetime, event_id: int) -> None:
        with write_session(self.engine) as session:
            event = editing.load_event(session, event_id)
            assert event is not None
            editing.delete_event(session, event, self.zone, None)
            event.deleted_at = when
            self._date(session, event, when)

    def _date(self, session: Session, event: Event, when: datetime) -> None:
        session.flush()
        session.execute(
            update(Revision)
            .where(Revision.entity == "event", Revision.entity_id == event.id)
            .where(Revision.version == event.version)
            .values(created_at=when)
        )


@pytest.fixture
def desk(engine: Engine, settings: Any) -> Desk:
    return Desk(engine, settings.zone)


@pytest.fixture
def story(desk: Desk) -> dict[str, int]:
    """07:00 an event is published; 08:00 its title and date are corrected; 09:00 another one
    is published."""
    first = desk.create(at(7), FIRST, start="2022-02-12")
    desk.edit(at(8), first, correction=True, title=CORRECTED, start="2022-02-11")
    second = desk.create(at(9), SECOND, start="2022-02-13", actors=("ukraine",))
    return {"first": first, "second": second}


def get_html(client: TestClient, url: str) -> str:
    response = client.get(url)
    assert response.status_code == 200, (url, response.status_code, response.text[:300])
    return response.text


def banner(html: str) -> str:
    found = soup(html).select_one(".as-of-banner")
    return text_of(found) if found else ""


def test_as_of_between_the_edits_shows_the_first_title_and_date(
    client: TestClient, story: dict[str, int]
) -> None:
    html = get_html(client, f"/?as_of={stamp(at(7, 30))}")
    assert card_dates(html) == {FIRST: "12 Feb 2022"}

    event = client.get(f"/events/{story['first']}?as_of={stamp(at(7, 30))}", follow_redirects=True)
    assert event.status_code == 200
    assert text_of(soup(event.text).select_one("h1")) == FIRST
    assert "12 Feb 2022" in text_of(soup(event.text).select_one(".facts"))
    assert not soup(event.text).select(".correction-log li")  # corrected only later

    data = client.get(f"/events.json?as_of={stamp(at(7, 30))}").json()
    assert [(e["title"], e["start"]["text"]) for e in data["events"]] == [(FIRST, "12 Feb 2022")]
    assert data["as_of"] == "2022-02-13T07:30:00Z"
    one = client.get(f"/events/{story['first']}.json?as_of={stamp(at(7, 30))}").json()
    assert (one["title"], one["slug"]) == (FIRST, "russia-announces-drills")

    later = get_html(client, f"/?as_of={stamp(at(8, 30))}")
    assert card_dates(later) == {CORRECTED: "11 Feb 2022"}


def test_as_of_before_an_event_was_published_hides_it(
    client: TestClient, story: dict[str, int]
) -> None:
    assert event_titles(get_html(client, f"/?as_of={stamp(at(8, 30))}")) == [CORRECTED]
    assert event_titles(get_html(client, f"/?as_of={stamp(at(9, 30))}")) == [SECOND, CORRECTED]

    # Its page did not exist yet: 404, here and as data.
    assert client.get(f"/events/{story['second']}?as_of={stamp(at(8, 30))}").status_code == 404
    assert client.get(f"/events/{story['second']}.json?as_of={stamp(at(8, 30))}").status_code == 404

    before_everything = get_html(client, "/?as_of=2022-02-13T06%3A00Z")
    assert event_titles(before_everything) == []
    assert "Nothing had been published yet." in banner(before_everything)


def test_as_of_after_everything_is_the_timeline_now(
    client: TestClient, story: dict[str, int]
) -> None:
    now = datetime.now(UTC).isoformat().replace("+00:00", "Z")
    assert card_dates(get_html(client, f"/?as_of={now}")) == card_dates(get_html(client, "/"))
    then = client.get(f"/events.json?as_of={now}").json()
    current = client.get("/events.json").json()
    assert then["events"] == current["events"]
    assert then["facets"] == current["facets"]


def test_an_as_of_page_has_a_banner_a_way_back_and_links_that_keep_the_moment(
    client: TestClient, story: dict[str, int]
) -> None:
    html = get_html(
        client, "/?type=statement&as_of=2022-02-13T09:30"
    )  # naive: Kyiv time (07:30 UTC)
    assert banner(html) == (
        "The timeline as it stood on 13 Feb 2022, 09:30 EET — later events are hidden and "
        "later edits undone. See it now"
    )
    document = soup(html)
    assert document.select_one(".as-of-now")["href"] == "/?type=statement"
    card = document.select_one(".event-card")
    assert card.select_one(".event-title a")["href"] == (
        f"/events/{story['first']}/russia-announces-drills?as_of=2022-02-13T09%3A30"
    )
    assert card.select_one(".actors a")["href"] == "/?actor=vladimir-putin&as_of=2022-02-13T09%3A30"
    # Changing a filter keeps the moment: the filter form carries it.
    field = document.select_one("input[type=hidden][name=as_of]")
    assert (field["value"], field["form"]) == ("2022-02-13T09:30", "filter-form")
    chip = document.select_one(".chips .chip")
    assert chip["href"] == "/?as_of=2022-02-13T09%3A30"

    event = client.get(card.select_one(".event-title a")["href"])
    assert text_of(soup(event.text).select_one(".as-of-banner")).startswith(
        "This event as it stood on 13 Feb 2022, 09:30 EET — later edits are undone."
    )
    assert soup(event.text).select_one(".as-of-now")["href"] == (
        f"/events/{story['first']}/russia-announces-drills"
    )
    # Now, the page has no banner.
    assert banner(get_html(client, "/?type=statement")) == ""


def test_filters_apply_to_the_state_as_it_stood(client: TestClient, desk: Desk) -> None:
    claim = desk.create(at(7), "Kremlin says troops are leaving")
    desk.edit(at(8), claim, correction=True, type="denial")
    before, after = stamp(at(7, 30)), stamp(at(8, 30))

    assert event_titles(get_html(client, f"/?type=statement&as_of={before}")) == [
        "Kremlin says troops are leaving"
    ]
    assert event_titles(get_html(client, f"/?type=denial&as_of={before}")) == []
    assert event_titles(get_html(client, f"/?type=denial&as_of={after}")) == [
        "Kremlin says troops are leaving"
    ]
    facets = client.get(f"/events.json?as_of={before}").json()["facets"]
    counts = {option["value"]: option["count"] for option in facets["type"]}
    assert (counts["statement"], counts["denial"]) == (1, 0)
    actors = {option["slug"]: option["count"] for option in facets["actor"]}
    assert actors == {"russia": 1, "vladimir-putin": 1}  # Russia counts its member's event


def test_an_actor_page_as_it_stood(client: TestClient, story: dict[str, int]) -> None:
    html = get_html(client, f"/actors/russia?as_of={stamp(at(7, 30))}")
    assert event_titles(html) == [FIRST]
    assert "The timeline as it stood on" in banner(html)
    facts = text_of(soup(html).select_one(".actor-facts"))
    assert "1 event" in facts and FIRST in facts
    assert event_titles(get_html(client, f"/actors/ukraine?as_of={stamp(at(8, 30))}")) == []


def test_a_deleted_event_appears_as_of_before_its_deletion(client: TestClient, desk: Desk) -> None:
    doomed = desk.create(at(7), "A mistaken report")
    desk.delete(at(8), doomed)

    assert event_titles(get_html(client, "/")) == []
    assert client.get(f"/events/{doomed}/a-mistaken-report").status_code == 410
    assert event_titles(get_html(client, f"/?as_of={stamp(at(7, 30))}")) == ["A mistaken report"]
    then = client.get(f"/events/{doomed}/a-mistaken-report?as_of={stamp(at(7, 30))}")
    assert then.status_code == 200
    assert event_titles(get_html(client, f"/?as_of={stamp(at(8, 30))}")) == []


def test_the_csv_holds_the_state_as_it_stood(client: TestClient, story: dict[str, int]) -> None:
    response = client.get(f"/events.csv?as_of={stamp(at(7, 30))}")
    assert response.status_code == 200
    rows = list(csv.DictReader(io.StringIO(response.text)))
    assert [(row["title"], row["start_text"]) for row in rows] == [(FIRST, "12 Feb 2022")]


def test_an_event_as_it_stood_lists_only_the_corrections_made_by_then(
    client: TestClient, desk: Desk, story: dict[str, int]
) -> None:
    desk.edit(at(10), story["first"], correction=True, title="Russia announces large naval drills")
    html = client.get(f"/events/{story['first']}?as_of={stamp(at(9))}", follow_redirects=True).text
    log = [text_of(item) for item in soup(html).select(".correction-log li")]
    assert len(log) == 1 and "title corrected" in log[0].lower()
    assert text_of(soup(html).select_one("h1")) == CORRECTED


@pytest.mark.parametrize(
    ("query", "notice"),
    [
        ("as_of=yesterday", "'yesterday' is not a date or time"),
        ("as_of=2022-02-30", "'2022-02-30' is not a date or time"),
        ("since=soon", "'soon' is not a date or time"),
        ("as_of=2999-01-01", "as_of is in the future"),
    ],
)
def test_a_bad_moment_is_a_notice_on_pages_and_a_400_on_data(
    client: TestClient, story: dict[str, int], query: str, notice: str
) -> None:
    html = get_html(client, f"/?{query}")
    notices = [text_of(item) for item in soup(html).select(".notice li")]
    assert any(notice in text for text in notices), notices
    assert event_titles(html) == [SECOND, CORRECTED]  # the timeline now
    assert not banner(html)
    for url in (f"/events.json?{query}", f"/events.csv?{query}"):
        response = client.get(url)
        assert response.status_code == 400
        assert any(notice in text for text in response.json()["notices"])
    event = client.get(f"/events/{story['first']}/russia-announces-naval-drills?{query}")
    assert event.status_code == 200
    if query.startswith("as_of"):
        assert notice in text_of(soup(event.text).select_one(".notice"))
        assert client.get(f"/events/{story['first']}.json?{query}").status_code == 400


def test_the_canonical_url_writes_the_moment_once(
    client: TestClient, story: dict[str, int]
) -> None:
    # A "+" typed into a URL reads as a space: the offset still counts.
    response = client.get("/?as_of=2022-02-13T09:30+02:00&type=statement")
    assert response.status_code == 303
    assert response.headers["location"] == "/?type=statement&as_of=2022-02-13T07%3A30Z"


# At scale


def count_of(html: str) -> str:
    """The number of events a view's heading announces ("… · 1,234 events")."""
    return text_of(soup(html).select_one("#view-heading")).rsplit("·", 1)[1]


def test_as_of_over_ten_thousand_events(big_client: TestClient) -> None:
    """A moment just past shows what is there now, on every kind of page (its speed is measured
    in bench/, not here)."""
    now = urlencode({"as_of": moment_text(datetime.now(UTC) - timedelta(seconds=1))})
    actor = big_client.get("/actors.json").json()["actors"][0]["slug"]
    views = [("/?", ""), ("/?q=talks&", ""), (f"/actors/{actor}?", ""), ("/?", "&view=lanes")]
    for before, after in views:
        then = big_client.get(f"{before}{now}{after}")
        assert then.status_code == 200, (before, after)
        current = big_client.get(f"{before}{after.lstrip('&')}".rstrip("?&"))
        assert count_of(then.text) == count_of(current.text), (before, after)
    listed = big_client.get(f"/events.json?{now}").json()
    assert listed["total"] == big_client.get("/events.json").json()["total"]
