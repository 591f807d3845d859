"""Revision history for editors (field diffs, restore) and the public corrections log."""

from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from app import editing
from app.db import write_session
from app.editing import EventInput
from app.models import Actor, Event, User
from tests.accounts import ADMIN, EDITOR, log_in
from tests.html import soup, text_of

CALL = "Biden and Putin speak by phone"  # a sample event on 12 Feb 2022, day precision


def csrf(client: TestClient) -> str:
    field = soup(client.get("/desk/actors").text).select_one(".logout-form input[name=csrf_token]")
    assert field is not None
    return str(field["value"])


def event_id(engine, title: str = CALL) -> int:
    with write_session(engine) as session:
        found = session.scalar(select(Event.id).where(Event.title == title))
        assert found is not None
        return found


def edit_event(
    engine, settings, event: int, email: str | None, *, note="", correction=False, **changes: Any
) -> None:
    """Save changed fields over an event as `email` would through the form."""
    with write_session(engine) as session:
        record = editing.load_event(session, event)
        data = editing.event_input(record, settings.zone).model_dump()
        data = editing.parse(EventInput, {**data, **changes})
        user = session.scalar(select(User.id).where(User.email == email)) if email else None
        assert editing.update_event(
            session,
            record,
            data,
            settings.zone,
            user,
            expected_version=None,
            note=note,
            correction=correction,
        )


def event_page(client: TestClient, event: int):
    response = client.get(f"/events/{event}", follow_redirects=True)
    assert response.status_code == 200
    return soup(response.text)


def revisions(html: str) -> list[dict[str, Any]]:
    """Each revision listed on a history page: heading, meta line, note and diff rows."""
    listed = []
    for item in soup(html).select(".revision"):
        rows = {
            text_of(row.select_one("th")): [text_of(cell) for cell in row.select("td")]
            for row in item.select(".diff-table tbody tr")
        }
        note = item.select_one(".revision-note")
        listed.append(
            {
                "heading": text_of(item.select_one(".revision-heading")),
                "meta": text_of(item.select_one(".revision-meta")),
                "note": text_of(note) if note else "",
                "rows": rows,
                "restore": item.select_one("form[action$='/restore']") is not None,
            }
        )
    return listed


def corrections_log(page) -> list[str]:
    return [text_of(li) for li in page.select("#corrections li")]


# The history


def test_history_lists_each_revision_newest_first_with_who_and_what_changed(
    client, engine, settings, sample, users
):
    event = event_id(engine)
    edit_event(engine, settings, event, EDITOR, title="Biden and Putin talk by phone")
    edit_event(engine, settings, event, ADMIN, note="Readout says Sunday.", start="2022-02-13")
    log_in(client)

    listed = revisions(client.get(f"/desk/events/{event}/history").text)

    assert [r["heading"] for r in listed] == ["Version 3 current", "Version 2", "Version 1"]
    assert ADMIN in listed[0]["meta"] and "edited" in listed[0]["meta"]
    assert EDITOR in listed[1]["meta"]
    assert "data file / import" in listed[2]["meta"] and "imported" in listed[2]["meta"]
    assert listed[0]["note"] == "Note: Readout says Sunday."
    assert listed[0]["rows"] == {"Date": ["12 Feb 2022", "13 Feb 2022"]}
    title_diff = soup(client.get(f"/desk/events/{event}/history").text).select_one(
        "#v2 .inline-diff"
    )
    assert [text_of(d) for d in title_diff.select("del")] == ["speak"]
    assert [text_of(i) for i in title_diff.select("ins")] == ["talk"]
    assert [r["restore"] for r in listed] == [False, True, True]


def test_a_one_word_fix_in_a_long_summary_shows_as_that_word_removed_and_added(
    client, engine, settings, sample, users
):
    event = event_id(engine)
    long_summary = " ".join(f"word{n}" for n in range(200)) + " the call lasted an hour."
    edit_event(engine, settings, event, EDITOR, summary=long_summary)
    edit_event(engine, settings, event, EDITOR, summary=long_summary.replace("an hour", "62 min"))
    log_in(client)

    page = soup(client.get(f"/desk/events/{event}/history").text)
    diff = page.select_one("#v3 .inline-diff")

    assert [text_of(d) for d in diff.select("del")] == ["an hour."]
    assert [text_of(i) for i in diff.select("ins")] == ["62 min."]
    assert "word50" not in text_of(diff)  # the unchanged stretch is cut short
    assert text_of(diff).startswith("… ")


def test_actors_in_a_diff_are_named_with_their_roles(client, engine, settings, sample, users):
    event = event_id(engine)
    with write_session(engine) as session:
        actors = editing.event_input(editing.load_event(session, event), settings.zone).actors
    changed = [
        {"actor": a.actor, "role": "counterpart" if a.role == "initiator" else a.role}
        for a in actors
    ]
    edit_event(engine, settings, event, EDITOR, actors=changed)
    log_in(client)

    page = soup(client.get(f"/desk/events/{event}/history").text)
    before, after = page.select("#v2 .diff-table td")

    assert [text_of(d) for d in before.select("del")] == ["Joe Biden (initiator)"]
    assert [text_of(i) for i in after.select("ins")] == ["Joe Biden (counterpart)"]
    assert "Vladimir Putin" in text_of(after)


def test_one_version_can_be_read_whole(client, engine, settings, sample, users):
    event = event_id(engine)
    edit_event(engine, settings, event, EDITOR, title="Biden and Putin talk")
    log_in(client)

    page = soup(client.get(f"/desk/events/{event}/history/1").text)
    rows = {text_of(div.dt): text_of(div.dd) for div in page.select(".snapshot > div")}

    assert rows["Title"] == CALL
    assert rows["Date"] == "12 Feb 2022"
    assert "Joe Biden (initiator)" in rows["Actors"]
    assert page.select_one("form[action$='/history/1/restore']") is not None
    assert client.get(f"/desk/events/{event}/history/9").status_code == 404


def test_restoring_a_version_is_a_new_revision_and_readers_see_the_restored_values(
    client, engine, settings, sample, users
):
    event = event_id(engine)
    edit_event(engine, settings, event, EDITOR, title="Wrong title", start="2022-02-14")
    log_in(client)

    response = client.post(
        f"/desk/events/{event}/history/1/restore",
        data={"csrf_token": csrf(client), "expected_version": "2"},
    )

    assert response.status_code == 303
    assert response.headers["location"] == f"/desk/events/{event}/history?restored=1&now=3"
    history_page = client.get(response.headers["location"]).text
    assert "Restored version 1: it is now version 3." in text_of(soup(history_page).main)
    newest = revisions(history_page)[0]
    assert newest["heading"] == "Version 3 current"
    assert "restored version 1" in newest["meta"] and EDITOR in newest["meta"]
    assert newest["rows"]["Date"] == ["14 Feb 2022", "12 Feb 2022"]
    page = event_page(client, event)
    assert text_of(page.h1) == CALL
    assert text_of(page.select_one(".facts time")) == "12 Feb 2022"


def test_restoring_from_a_stale_history_page_is_refused_with_409(
    client, engine, settings, sample, users
):
    event = event_id(engine)
    edit_event(engine, settings, event, EDITOR, title="Second title")
    edit_event(engine, settings, event, ADMIN, title="Third title")
    log_in(client)

    response = client.post(
        f"/desk/events/{event}/history/1/restore",
        data={"csrf_token": csrf(client), "expected_version": "2"},
    )

    assert response.status_code == 409
    error = text_of(soup(response.text).select_one(".form-error"))
    assert "Version 1 was not restored" in error
    assert f"Changed by {ADMIN}" in error
    assert text_of(event_page(client, event).h1) == "Third title"


def test_actor_history_lists_and_restores_versions(client, engine, sample, users):
    log_in(client)
    with write_session(engine) as session:
        actor = session.scalar(select(Actor).where(Actor.slug == "emmanuel-macron"))
        actor_id, version = actor.id, actor.version
    token = csrf(client)
    form = client.get(f"/desk/actors/{actor_id}/edit").text
    fields = {
        field["name"]: field.get("value", "") for field in soup(form).select("form.desk-form input")
    }
    fields |= {"description": "French president.", "aliases": "Manu", "kind": "person"}
    assert client.post(f"/desk/actors/{actor_id}/edit", data=fields).status_code == 303

    listed = revisions(client.get(f"/desk/actors/{actor_id}/history").text)
    assert [r["heading"] for r in listed] == [
        f"Version {version + 1} current",
        f"Version {version}",
    ]
    assert "Aliases" in listed[0]["rows"]

    response = client.post(
        f"/desk/actors/{actor_id}/history/{version}/restore",
        data={"csrf_token": token, "expected_version": str(version + 1)},
    )
    assert response.status_code == 303
    actor_page = client.get("/actors/emmanuel-macron").text
    assert "French president." not in actor_page


@pytest.mark.parametrize(
    "path",
    ["/desk/events/{id}/history", "/desk/events/{id}/history/1", "/desk/actors/1/history"],
)
def test_anonymous_readers_are_sent_to_sign_in_for_history(client, engine, sample, path):
    url = path.format(id=event_id(engine))

    response = client.get(url)

    assert response.status_code == 303
    assert response.headers["location"].startswith("/login?next=/desk/")


def test_an_anonymous_restore_is_refused_and_changes_nothing(client, engine, settings, sample):
    event = event_id(engine)

    response = client.post(f"/desk/events/{event}/history/1/restore", data={"expected_version": 1})

    assert response.status_code == 401
    with write_session(engine) as session:
        assert session.get(Event, event).version == 1


# The public corrections log


def test_a_correction_reads_in_words_on_the_event_page_and_a_silent_fix_does_not(
    client, engine, settings, sample, users
):
    event = event_id(engine)
    edit_event(engine, settings, event, EDITOR, title="Biden and Putin speek by phone")
    edit_event(engine, settings, event, EDITOR, title=CALL)  # a silent fix
    edit_event(
        engine,
        settings,
        event,
        EDITOR,
        start="2022-02-13",
        correction=True,
        note="The call was on Sunday.",
    )

    page = event_page(client, event)
    log = corrections_log(page)

    assert len(log) == 1
    when, said = log[0].split(" — ", 1)
    assert when.endswith(("EET", "EEST"))
    assert said == "Date corrected from 12 Feb 2022 to 13 Feb 2022. The call was on Sunday."
    assert text_of(page.select_one(".correction-mark")).startswith("Corrected ")
    assert page.select_one(".correction-mark")["href"] == "#corrections"
    assert EDITOR not in str(page)
    assert "speek" not in str(page)


def test_a_change_of_precision_reads_as_one_date_phrase(client, engine, settings, sample, users):
    event = event_id(engine, "US answers with proposals on security in Europe")  # late Jan 2022
    edit_event(
        engine,
        settings,
        event,
        EDITOR,
        start="2022-02-11",
        precision="day",
        approximate=False,
        correction=True,
    )

    log = corrections_log(event_page(client, event))

    assert [entry.split(" — ", 1)[1] for entry in log] == [
        "Date corrected from late January 2022 to 11 Feb 2022."
    ]


def test_a_change_of_status_is_in_the_public_log(client, engine, settings, sample, users):
    event = event_id(engine, "Scholz to visit Kyiv")
    edit_event(engine, settings, event, EDITOR, status="postponed", note="Moved to Monday.")

    page = event_page(client, event)

    assert [e.split(" — ", 1)[1] for e in corrections_log(page)] == [
        "Status changed from scheduled to postponed. Moved to Monday."
    ]
    assert text_of(page.select_one(".correction-mark")).startswith("Updated ")


def test_an_event_without_public_changes_has_no_corrections_section(client, engine, sample):
    page = event_page(client, event_id(engine))

    assert page.select_one("#corrections") is None
    assert page.select_one(".correction-mark") is None


def test_the_corrections_log_costs_one_query_however_long(
    client, engine, settings, sample, users, count_queries
):
    event = event_id(engine)
    # An event never edited has no log to read (app/routes/events.py): start from one entry.
    edit_event(engine, settings, event, EDITOR, start="2022-02-13", correction=True)
    before, _ = count_queries(f"/events/{event}/biden-and-putin-speak-by-phone")
    for day in ("14", "15", "16"):
        edit_event(engine, settings, event, EDITOR, start=f"2022-02-{day}", correction=True)

    after, response = count_queries(f"/events/{event}/biden-and-putin-speak-by-phone")

    assert len(corrections_log(soup(response.text))) == 4
    assert after == before
