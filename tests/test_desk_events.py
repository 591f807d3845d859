"""The editors' desk for events: the form (new, edit, follow-up, duplicate), drafts and
publishing, the trash and 410, and saves that refuse to overwrite a newer version."""

from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from app import editing
from app.models import Actor, Event, Source
from tests.accounts import ADMIN, EDITOR, log_in
from tests.html import event_titles, soup, text_of


@pytest.fixture
def editor(client: TestClient, users: None, sample: None) -> TestClient:
    """The test client, signed in as an editor, over the sample crisis."""
    log_in(client)
    return client


@pytest.fixture
def reader(client: TestClient) -> Iterator[TestClient]:
    """Another browser on the same app, signed in as nobody."""
    with TestClient(client.app, follow_redirects=False) as other:
        yield other


@pytest.fixture
def second_editor(client: TestClient, users: None) -> Iterator[TestClient]:
    with TestClient(client.app, follow_redirects=False) as other:
        log_in(other, ADMIN)
        yield other


def form_values(html: str, form_id: str = "event-form") -> dict[str, str]:
    """What a browser would submit from a form as rendered (without a submit button)."""
    form = soup(html).select_one(f"#{form_id}")
    assert form is not None
    values: dict[str, str] = {}
    for element in form.select("input[name], select[name], textarea[name]"):
        name = str(element["name"])
        if element.name == "textarea":
            values[name] = element.text
        elif element.name == "select":
            chosen = element.select_one("option[selected]") or element.select_one("option")
            values[name] = str(chosen.get("value", "")) if chosen else ""
        elif element.get("type") in ("checkbox", "radio"):
            if element.has_attr("checked"):
                values[name] = str(element.get("value", "on"))
        else:
            values[name] = str(element.get("value", ""))
    return values


def new_form(client: TestClient, path: str = "/desk/events/new") -> dict[str, str]:
    response = client.get(path)
    assert response.status_code == 200, response.text
    return form_values(response.text)


A_CALL = {
    "title": "Scholz and Zelensky speak by phone",
    "type": "call",
    "start_date": "2022-02-13",
    "start_time": "15:30",
    "summary": "They discussed **security guarantees**.",
    "actors-0-actor": "Emmanuel Macron",
    "actors-0-role": "initiator",
    "actors-1-actor": "Zelensky",  # an alias
    "actors-1-role": "counterpart",
}


def submit(client: TestClient, path: str, action: str, changes: dict[str, str], base: Any = None):
    fields = {**(base if base is not None else new_form(client)), **changes, "action": action}
    return client.post(path, data=fields)


def create(client: TestClient, action: str = "publish", **changes: str) -> int:
    response = submit(client, "/desk/events", action, {**A_CALL, **changes})
    assert response.status_code == 303, errors_of(response.text)
    with Session(client.app.state.engine) as session:  # type: ignore[attr-defined]
        return session.scalars(select(Event.id).order_by(Event.id.desc())).first() or 0


def errors_of(html: str) -> dict[str, str]:
    """Field id → the error shown next to it."""
    return {
        str(p["id"]).removesuffix("-error"): text_of(p) for p in soup(html).select(".field-error")
    }


def stored(client: TestClient, event_id: int) -> Event:
    with Session(client.app.state.engine) as session:  # type: ignore[attr-defined]
        event = session.get(Event, event_id)
        assert event is not None
        return event


# Signing in


@pytest.mark.parametrize(
    "path", ["/desk", "/desk/events/new", "/desk/events/1/edit", "/desk/events/new?follow_up=1"]
)
def test_anonymous_readers_are_sent_to_sign_in(client, path):
    response = client.get(path)

    assert response.status_code == 303
    assert response.headers["location"].startswith("/login?next=/desk")


@pytest.mark.parametrize(
    "path",
    [
        "/desk/events",
        "/desk/events/1/edit",
        "/desk/events/1/publish",
        "/desk/events/1/unpublish",
        "/desk/events/1/delete",
        "/desk/events/1/restore",
    ],
)
def test_anonymous_posts_are_refused(client, sample, path):
    response = client.post(path, data={"title": "Sneaky"})

    assert response.status_code == 401


# Creating and publishing


def test_an_event_with_two_actors_is_published_and_readers_see_it(editor, reader):
    response = submit(editor, "/desk/events", "publish", A_CALL)

    assert response.status_code == 303
    path = response.headers["location"]
    assert path.startswith("/events/") and path.endswith("?done=published")
    assert A_CALL["title"] in event_titles(reader.get("/").text)
    page = reader.get(path.split("?")[0])
    assert page.status_code == 200
    who = [text_of(li) for li in soup(page.text).select(".actor-roles li")]
    assert who == ["Emmanuel Macron (initiator)", "Volodymyr Zelenskiy (counterpart)"]
    assert text_of(soup(page.text).select_one(".facts time")) == "13 Feb 2022, 15:30 EET"
    assert soup(page.text).select_one(".summary strong") is not None
    assert "Published" in text_of(soup(editor.get(path).text).select_one(".form-notice"))


def test_a_draft_is_hidden_from_readers_and_shown_to_editors_with_a_banner(editor, reader):
    response = submit(editor, "/desk/events", "draft", A_CALL)

    assert response.status_code == 303
    event_id = int(response.headers["location"].split("/")[3])
    assert response.headers["location"] == f"/desk/events/{event_id}/edit?done=draft"
    event = stored(editor, event_id)
    assert not event.published and event.published_at is None
    page = f"/events/{event_id}/{event.slug}"
    assert A_CALL["title"] not in event_titles(reader.get("/").text)
    assert reader.get(page).status_code == 404
    assert reader.get(f"/events/{event_id}").status_code == 404
    assert reader.get(f"/events/{event_id}.json").status_code == 404
    seen = editor.get(page)
    assert seen.status_code == 200
    assert "Draft — not public" in text_of(soup(seen.text).select_one(".draft-banner"))
    desk = soup(editor.get("/desk").text)
    drafts = [text_of(a) for a in desk.select("#drafts-heading ~ .desk-list .desk-title")]
    assert drafts == [A_CALL["title"]]
    edit = soup(editor.get(response.headers["location"]).text)
    assert "Saved as a draft" in text_of(edit.select_one(".form-notice"))


def test_publishing_a_draft_stamps_published_at_and_opens_it_to_readers(editor, reader):
    event_id = create(editor, action="draft")
    token = soup(editor.get("/desk").text).select_one(".logout-form input[name=csrf_token]")

    response = editor.post(f"/desk/events/{event_id}/publish", data={"csrf_token": token["value"]})

    assert response.status_code == 303
    event = stored(editor, event_id)
    assert event.published and event.published_at is not None
    assert reader.get(f"/events/{event_id}/{event.slug}").status_code == 200
    assert A_CALL["title"] in event_titles(reader.get("/").text)


def test_publish_from_the_desk_returns_to_the_desk_with_a_notice(editor):
    event_id = create(editor, action="draft")
    desk = soup(editor.get("/desk").text)
    form = desk.select_one(f"form[action='/desk/events/{event_id}/publish']")
    fields = {i["name"]: i["value"] for i in form.select("input[name]")}

    response = editor.post(f"/desk/events/{event_id}/publish", data=fields)

    assert response.headers["location"] == f"/desk?done=published&event={event_id}"
    page = soup(editor.get(response.headers["location"]).text)
    assert text_of(page.select_one(".form-notice")) == f"Published “{A_CALL['title']}”."
    assert not page.select("#drafts-heading ~ .desk-list .desk-title")


# Validation


def test_errors_are_shown_next_to_each_field_and_everything_typed_is_kept(editor):
    typed = {
        **A_CALL,
        "title": "",
        "start_date": "2022-02-30",
        "actors-0-actor": "Nobody Atall",
        "place": "Kyiv",
        "sources-0-quote": "A quote with no source",
    }
    before = editor.app.state.engine  # type: ignore[attr-defined]
    with Session(before) as session:
        events_before = len(session.scalars(select(Event.id)).all())

    response = submit(editor, "/desk/events", "publish", typed)

    assert response.status_code == 400
    errors = errors_of(response.text)
    assert errors["f-title"] == "This is required."
    assert errors["f-start_date"] == "There is no such day as 2022-02-30."
    assert errors["f-actors-0-actor"].startswith("There is no actor “Nobody Atall”.")
    assert errors["f-sources-0-source"] == "Choose a source for this quote, or add a new one."
    page = soup(response.text)
    title = page.select_one("#f-title")
    assert title["aria-invalid"] == "true"
    assert "f-title-error" in title["aria-describedby"].split()
    summary_links = [a["href"] for a in page.select(".error-summary a")]
    assert "#f-title" in summary_links and "#f-actors-0-actor" in summary_links
    kept = form_values(response.text)
    for name in ("start_date", "actors-0-actor", "actors-1-actor", "place", "summary"):
        assert kept[name] == typed[name]
    assert kept["actors-1-role"] == "counterpart"
    assert kept["sources-0-quote"] == "A quote with no source"
    with Session(before) as session:
        assert len(session.scalars(select(Event.id)).all()) == events_before


def test_every_mistake_is_reported_at_once(editor):
    changes = {"actors-0-actor": "Nobody Atall", "end_date": "2022-02-01", "lat": "x"}

    response = submit(editor, "/desk/events", "publish", {**A_CALL, **changes})

    assert response.status_code == 400
    assert set(errors_of(response.text)) == {"f-actors-0-actor", "f-end_date", "f-lat"}
    assert len(soup(response.text).select(".error-summary li")) == 3
    labels = [text_of(a).split(":")[0] for a in soup(response.text).select(".error-summary a")]
    assert labels == ["End date", "Actor 1", "Latitude"]  # in the order of the form


TWICE = "Emmanuel Macron is listed twice."
BAD_EVENT_REF = "Give the event's number, or paste its link (like /events/12/…)."


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"end_date": "2022-02-12"}, "f-end_date", "The end comes before the start."),
        ({"start_time": "25:99"}, "f-start_time", "Give a time as HH:MM (24-hour), like 14:05."),
        ({"type": ""}, "f-type", "This is required."),
        ({"lat": "fifty"}, "f-lat", "Give a number in decimal degrees, like 50.45."),
        ({"lat": "50.4"}, "f-lon", "Give both latitude and longitude, or neither."),
        ({"timezone": "Mars/Olympus"}, "f-timezone", "unknown time zone 'Mars/Olympus'"),
        ({"actors-1-actor": "emmanuel-macron"}, "f-actors-1-actor", TWICE),
        ({"relations-0-event": "x"}, "f-relations-0-event", BAD_EVENT_REF),
        ({"relations-0-event": "99999"}, "f-relations-0-event", "There is no event 99999."),
        ({"actors-0-actor": "", "actors-1-actor": ""}, "f-actors", "Add at least one actor."),
    ],
)  # fmt: skip
def test_each_kind_of_mistake_is_named_at_its_field(editor, changes, field, message):
    response = submit(editor, "/desk/events", "publish", {**A_CALL, **changes})

    assert response.status_code == 400
    assert errors_of(response.text)[field] == message
    assert form_values(response.text)["title"] == A_CALL["title"]


def test_add_another_actor_without_javascript_keeps_the_form_and_adds_a_row(editor):
    response = submit(editor, "/desk/events", "add-actor", A_CALL)

    assert response.status_code == 200
    values = form_values(response.text)
    assert values["title"] == A_CALL["title"]
    assert values["actors-1-actor"] == "Zelensky"
    assert values["actors-2-actor"] == ""
    assert soup(response.text).select_one("#f-actors-2-actor").has_attr("autofocus")


@pytest.mark.parametrize(
    ("group", "field"), [("actors", "actor"), ("sources", "source"), ("relations", "event")]
)
def test_the_htmx_add_button_fetches_one_row_and_counts_on(editor, group, field):
    response = editor.get(f"/desk/events/rows/{group}?index=2", headers={"HX-Request": "true"})

    page = soup(response.text)
    assert page.select_one(f"#f-{group}-2-{field}").has_attr("autofocus")
    button = page.select_one(f"#add-{group}")
    assert button["hx-swap-oob"] == "true"
    assert button["hx-get"] == f"/desk/events/rows/{group}?index=3"
    if group == "sources":
        assert len(page.select("#f-sources-2-source option")) > 1  # None, then every source


def test_actor_suggestions_match_names_aliases_and_slugs(editor):
    by_name = soup(editor.get("/desk/actor-suggestions?actors-0-actor=macr").text)
    by_alias = soup(editor.get("/desk/actor-suggestions?actors-3-actor=Zelensk").text)
    by_slug = soup(editor.get("/desk/actor-suggestions?actors-0-actor=joe-biden").text)

    assert [o["value"] for o in by_name.select("option")] == ["Emmanuel Macron"]
    assert "Volodymyr Zelenskiy" in [o["value"] for o in by_alias.select("option")]
    assert [o["value"] for o in by_slug.select("option")][0] == "Joe Biden"


def test_an_actor_can_be_named_by_slug_and_a_related_event_by_its_link(editor, reader):
    other = stored(editor, 1)
    changes = {
        "actors-0-actor": "vladimir-putin",
        "relations-0-relation": "responds-to",
        "relations-0-event": f"https://brink.example/events/{other.id}/{other.slug}",
    }
    event_id = create(editor, **changes)

    page = soup(reader.get(f"/events/{event_id}/{stored(editor, event_id).slug}").text)
    assert "Vladimir Putin (initiator)" in [text_of(li) for li in page.select(".actor-roles li")]
    related = [text_of(li) for li in page.select(".related li")]
    assert any(item.startswith(f"Responds to {other.title}") for item in related)


# New actors and sources in the same form


def test_a_new_actor_is_made_with_the_event(editor, reader):
    changes = {
        "actors-1-actor": "",
        "actors-1-new_name": "Karl Nehammer",
        "actors-1-new_kind": "person",
    }
    event_id = create(editor, **changes)

    page = soup(reader.get(f"/events/{event_id}/{stored(editor, event_id).slug}").text)
    who = [text_of(li) for li in page.select(".actor-roles li")]
    assert who == ["Emmanuel Macron (initiator)", "Karl Nehammer (counterpart)"]
    assert reader.get("/actors/karl-nehammer").status_code == 200


def test_a_new_actor_with_mistakes_is_not_made_and_the_form_says_why(editor):
    changes = {"title": "", "actors-1-actor": "", "actors-1-new_name": "Karl Nehammer"}
    response = submit(editor, "/desk/events", "publish", {**A_CALL, **changes})

    assert response.status_code == 400
    errors = errors_of(response.text)
    assert errors["f-actors-1-new_kind"] == "Choose what kind of actor this is."
    assert soup(response.text).select_one("details.new-thing[open] #f-actors-1-new_name")
    with Session(editor.app.state.engine) as session:  # type: ignore[attr-defined]
        assert session.scalar(select(Actor).where(Actor.name == "Karl Nehammer")) is None


def test_a_new_actor_rolls_back_when_the_event_cannot_be_saved(editor):
    changes = {
        "actors-1-actor": "",
        "actors-1-new_name": "Karl Nehammer",
        "actors-1-new_kind": "person",
        "end_date": "2022-02-01",
    }
    response = submit(editor, "/desk/events", "publish", {**A_CALL, **changes})

    assert response.status_code == 400
    assert errors_of(response.text)["f-end_date"] == "The end comes before the start."
    with Session(editor.app.state.engine) as session:  # type: ignore[attr-defined]
        assert session.scalar(select(Actor).where(Actor.name == "Karl Nehammer")) is None


def test_a_new_actor_that_already_exists_points_to_it(editor):
    changes = {
        "actors-1-actor": "",
        "actors-1-new_name": "Olaf Scholz",
        "actors-1-new_kind": "person",
    }
    response = submit(editor, "/desk/events", "publish", {**A_CALL, **changes})

    assert response.status_code == 400
    message = errors_of(response.text)["f-actors-1-new_name"]
    assert message.startswith("There already is an actor “Olaf Scholz” (olaf-scholz).")


def test_a_new_source_is_made_with_the_event(editor, reader):
    changes = {
        "sources-0-new_publisher": "Deutsche Welle",
        "sources-0-new_title": "Scholz calls Zelensky",
        "sources-0-new_url": "https://www.dw.com/en/scholz-zelensky",
        "sources-0-quote": "The chancellor called the president.",
    }
    event_id = create(editor, **changes)

    page = soup(reader.get(f"/events/{event_id}/{stored(editor, event_id).slug}").text)
    source = page.select_one(".sources li")
    assert text_of(source.select_one("cite")) == "Scholz calls Zelensky"
    assert source.select_one("a")["href"] == "https://www.dw.com/en/scholz-zelensky"
    assert text_of(source.select_one("blockquote")) == "The chancellor called the president."


def test_an_existing_source_is_chosen_from_the_list(editor, reader):
    with Session(editor.app.state.engine) as session:  # type: ignore[attr-defined]
        source = session.scalars(select(Source).order_by(Source.id)).first()
        assert source is not None
        title = source.title
    form = new_form(editor)
    options = soup(editor.get("/desk/events/new").text).select("#f-sources-0-source option")
    assert str(source.id) in [o["value"] for o in options]

    event_id = create(editor, **{"sources-0-source": str(source.id)})

    page = soup(reader.get(f"/events/{event_id}/{stored(editor, event_id).slug}").text)
    assert text_of(page.select_one(".sources cite")) == title
    assert form["sources-0-source"] == ""


def test_a_bad_link_for_a_new_source_is_explained(editor):
    changes = {"sources-0-new_publisher": "DW", "sources-0-new_title": "A report"}
    changes["sources-0-new_url"] = "dw.com/report"
    response = submit(editor, "/desk/events", "publish", {**A_CALL, **changes})

    assert response.status_code == 400
    assert errors_of(response.text)["f-sources-0-new_url"] == (
        "Give a web address starting with http:// or https://."
    )


# Quick paths


def test_a_follow_up_copies_actors_type_and_place_and_links_back(editor):
    event_id = create(editor, place="Kyiv", timezone="Europe/Kyiv")

    values = new_form(editor, f"/desk/events/new?follow_up={event_id}")

    assert values["title"] == "" and values["start_date"] == "" and values["start_time"] == ""
    assert values["type"] == "call"
    assert values["place"] == "Kyiv" and values["timezone"] == "Europe/Kyiv"
    assert (values["actors-0-actor"], values["actors-0-role"]) == ("Emmanuel Macron", "initiator")
    assert values["actors-1-actor"] == "Volodymyr Zelenskiy"
    assert values["actors-2-actor"] == ""  # a blank row to add one more
    assert (values["relations-0-relation"], values["relations-0-event"]) == (
        "follows", str(event_id)
    )  # fmt: skip
    page = soup(editor.get(f"/desk/events/new?follow_up={event_id}").text)
    assert "A follow-up to" in text_of(page.select_one(".prefill-notice"))
    assert A_CALL["title"] in text_of(page.select_one("#f-relations-0-event-hint"))


def test_a_duplicate_copies_every_field_into_a_new_event(editor):
    event_id = create(editor, place="Kyiv", summary="The same summary.")

    values = new_form(editor, f"/desk/events/new?duplicate={event_id}")
    response = submit(editor, "/desk/events", "publish", {"title": "A second call"}, base=values)

    assert values["title"] == A_CALL["title"]
    assert (values["start_date"], values["start_time"]) == ("2022-02-13", "15:30")
    assert values["summary"] == "The same summary."
    assert "version" not in values
    assert response.status_code == 303
    copy = stored(editor, int(response.headers["location"].split("/")[2]))
    assert copy.id != event_id and copy.place_name == "Kyiv"


def test_the_event_page_offers_editors_the_quick_paths(editor, reader):
    event_id = create(editor)
    path = f"/events/{event_id}/{stored(editor, event_id).slug}"

    bar = soup(editor.get(path).text).select_one("nav.editor-bar")

    assert [a["href"] for a in bar.select("a")] == [
        f"/desk/events/{event_id}/edit",
        f"/desk/events/{event_id}/history",
        f"/desk/events/new?follow_up={event_id}",
        f"/desk/events/new?duplicate={event_id}",
    ]
    assert soup(reader.get(path).text).select_one("nav.editor-bar") is None


# Editing


def test_the_edit_form_holds_the_event_and_its_version(editor):
    event_id = create(editor)

    values = new_form(editor, f"/desk/events/{event_id}/edit")

    assert values["title"] == A_CALL["title"]
    assert values["version"] == str(stored(editor, event_id).version)
    assert values["actors-1-actor"] == "Volodymyr Zelenskiy"
    assert values["correction"] == "silent"


def test_an_edit_is_saved_and_goes_back_to_the_event_page(editor, reader):
    event_id = create(editor)
    path = f"/desk/events/{event_id}/edit"

    response = submit(
        editor, path, "save", {"title": "Macron and Zelensky speak"}, new_form(editor, path)
    )

    assert response.status_code == 303
    assert response.headers["location"].endswith("?done=saved")
    event = stored(editor, event_id)
    assert event.title == "Macron and Zelensky speak"
    assert reader.get(response.headers["location"].split("?")[0]).status_code == 200


def test_saving_an_unchanged_form_says_so(editor):
    event_id = create(editor)
    path = f"/desk/events/{event_id}/edit"
    version = stored(editor, event_id).version

    response = submit(editor, path, "save", {}, new_form(editor, path))

    assert response.headers["location"].endswith("?done=unchanged")
    assert stored(editor, event_id).version == version


def test_a_status_change_is_logged_publicly(editor):
    event_id = create(editor, status="scheduled")
    path = f"/desk/events/{event_id}/edit"

    response = submit(editor, path, "save", {"status": "postponed"}, new_form(editor, path))

    assert response.status_code == 303
    with Session(editor.app.state.engine) as session:  # type: ignore[attr-defined]
        newest = editing.revisions(session, "event", event_id)[0]
        assert newest.public and newest.user and newest.user.email == EDITOR
        assert {"field": "status", "before": "scheduled", "after": "postponed"} in newest.changes
    changes = soup(editor.get("/desk").text).select("#changes-heading ~ .desk-list .desk-item")
    assert "status changed from scheduled to postponed" in text_of(changes[0])


def test_a_correction_goes_into_the_public_log_with_its_note(editor):
    event_id = create(editor)
    path = f"/desk/events/{event_id}/edit"
    changes = {"start_date": "2022-02-12", "correction": "correction", "note": "Wrong day."}

    submit(editor, path, "save", changes, new_form(editor, path))

    with Session(editor.app.state.engine) as session:  # type: ignore[attr-defined]
        log = editing.corrections(session, event_id)
        assert [(r.note, r.public) for r in log] == [("Wrong day.", True)]


def test_a_silent_fix_stays_out_of_the_public_log(editor):
    event_id = create(editor)
    path = f"/desk/events/{event_id}/edit"

    submit(editor, path, "save", {"title": "Macron and Zelensky spek"}, new_form(editor, path))

    with Session(editor.app.state.engine) as session:  # type: ignore[attr-defined]
        assert editing.corrections(session, event_id) == []


def test_a_draft_is_saved_and_published_from_its_edit_form(editor, reader):
    event_id = create(editor, action="draft")
    path = f"/desk/events/{event_id}/edit"
    buttons = [text_of(b) for b in soup(editor.get(path).text).select(".form-actions button")]
    assert buttons == ["Save and publish", "Save draft"]

    response = submit(editor, path, "publish", {"title": "Now public"}, new_form(editor, path))

    assert response.status_code == 303
    event = stored(editor, event_id)
    assert event.published and event.published_at is not None and event.title == "Now public"
    assert "Now public" in event_titles(reader.get("/").text)


# Conflicts


def test_a_save_over_a_newer_version_is_refused_with_both_versions_side_by_side(
    editor, second_editor
):
    event_id = create(editor)
    path = f"/desk/events/{event_id}/edit"
    mine = new_form(second_editor, path)  # the second editor opens the form…
    first = submit(editor, path, "save", {"title": "Macron calls Zelensky"}, new_form(editor, path))
    assert first.status_code == 303  # …the first saves…

    response = submit(second_editor, path, "save", {"summary": "My summary."}, mine)  # …then them

    assert response.status_code == 409
    page = soup(response.text)
    heading = text_of(page.select_one(".conflict h2"))
    assert heading.startswith(f"Changed by {EDITOR} at ")
    assert heading.endswith("since you opened it")
    rows = {
        text_of(tr.select_one("th")): [text_of(td) for td in tr.select("td")]
        for tr in page.select(".conflict-table tbody tr")
    }
    assert rows["Title"] == [A_CALL["title"], "Macron calls Zelensky"]
    assert rows["Summary"] == ["My summary.", A_CALL["summary"]]
    assert "Title changed from" in text_of(page.select_one(".their-changes"))
    kept = form_values(response.text)
    assert kept["summary"] == "My summary."
    assert kept["version"] == str(stored(editor, event_id).version)
    event = stored(editor, event_id)
    assert (event.title, event.summary) == ("Macron calls Zelensky", A_CALL["summary"])
    assert page.select_one(f".conflict a[href='{path}']").text.startswith("Discard mine")

    over = second_editor.post(path, data={**kept, "action": "save"})  # "Save mine over it"

    assert over.status_code == 303
    event = stored(editor, event_id)
    assert (event.title, event.summary) == (A_CALL["title"], "My summary.")


# The trash


def test_a_deleted_event_is_gone_for_readers_until_it_is_restored(editor, reader):
    event_id = create(editor)
    slug = stored(editor, event_id).slug
    token = soup(editor.get("/desk").text).select_one(".logout-form input[name=csrf_token]")
    csrf = {"csrf_token": token["value"]}

    deleted = editor.post(f"/desk/events/{event_id}/delete", data=csrf)

    assert deleted.headers["location"] == f"/desk?done=deleted&event={event_id}"
    desk = soup(editor.get(deleted.headers["location"]).text)
    trash = [text_of(a) for a in desk.select("#trash-heading ~ .desk-list .desk-title")]
    assert trash == [A_CALL["title"]]
    assert f"deleted by {EDITOR}" in text_of(desk.select_one("#trash-heading ~ .desk-list"))
    gone = reader.get(f"/events/{event_id}/{slug}")
    assert gone.status_code == 410
    assert "This event was removed from the timeline on" in text_of(
        soup(gone.text).select_one("main")
    )
    assert soup(gone.text).select_one("form[action$='/restore']") is None
    assert reader.get(f"/events/{event_id}").status_code == 410
    as_json = reader.get(f"/events/{event_id}.json")
    assert as_json.status_code == 410
    assert as_json.json()["error"].startswith("This event was removed from the timeline on")
    assert A_CALL["title"] not in event_titles(reader.get("/").text)
    restore_form = soup(editor.get(f"/events/{event_id}/{slug}").text).select_one(
        f"form[action='/desk/events/{event_id}/restore']"
    )
    assert restore_form is not None

    restored = editor.post(f"/desk/events/{event_id}/restore", data=csrf)

    assert restored.status_code == 303
    assert reader.get(f"/events/{event_id}/{slug}").status_code == 200
    assert A_CALL["title"] in event_titles(reader.get("/").text)
    desk = soup(editor.get("/desk").text)
    assert not desk.select("#trash-heading ~ .desk-list .desk-title")


def test_a_missing_event_is_still_404_not_410(reader, sample):
    assert reader.get("/events/99999").status_code == 404
    assert reader.get("/events/99999.json").status_code == 404
