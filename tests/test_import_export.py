"""Import and export: `brink export`, `brink import` (Brink JSON and CSV, TimelineJS CSV and
JSON), all-or-nothing imports that name every bad record, re-imports that change nothing, the
round trip through an empty database, and the administrators' upload page."""

import collections
import csv
import io
import json
import os
import shutil
from contextlib import contextmanager
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, event, func, select
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from app import timelinejs
from app.cli import cli
from app.config import get_settings
from app.db import make_engine, write_session
from app.editing import (
    ActorInput,
    EventInput,
    create_event,
    delete_event,
    load_actor,
    parse,
    update_actor,
)
from app.main import create_app
from app.models import Actor, Event, Revision, Source
from tests import conftest
from tests.accounts import ADMIN, EDITOR, log_in
from tests.html import event_titles, soup, text_of

DATA = Path(__file__).resolve().parent / "data"
ZONE = ZoneInfo("Europe/Kyiv")


@pytest.fixture
def run(monkeypatch):
    """Run `brink …` against a database URL, with settings read afresh as a new process would."""

    def invoke(url, *args, input=None, timezone="Europe/Kyiv"):
        monkeypatch.setenv("BRINK_DATABASE_URL", url)
        monkeypatch.setenv("BRINK_TIMEZONE", timezone)
        get_settings.cache_clear()
        try:
            return CliRunner().invoke(cli, [str(arg) for arg in args], input=input)
        finally:
            get_settings.cache_clear()

    return invoke


@pytest.fixture
def other_database_url(backend, template_url, tmp_path, request):
    """A second fresh, migrated, empty database, to import into."""
    if backend == "sqlite":
        path = tmp_path / "other.db"
        shutil.copyfile(make_url(template_url).database or "", path)
        yield f"sqlite:///{path}"
        return
    admin_url = request.getfixturevalue("postgres_admin_url")
    template = make_url(template_url).database
    name = f"brink_other_{os.getpid()}_{next(conftest._counter)}"
    conftest._admin_execute(admin_url, f'CREATE DATABASE "{name}" TEMPLATE "{template}"')
    yield make_url(admin_url).set(database=name).render_as_string(hide_password=False)
    conftest._admin_execute(admin_url, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def output(result) -> str:
    """What a command printed, its lines joined (Rich wraps long lines at 80 columns)."""
    return " ".join(result.output.split())


def counts(engine) -> dict[str, int]:
    with Session(engine) as session:
        return {
            model.__tablename__: session.scalar(select(func.count()).select_from(model)) or 0
            for model in (Event, Actor, Source, Revision)
        }


def updated_ats(engine) -> dict[int, object]:
    with Session(engine) as session:
        return {
            row.id: row.updated_at for row in session.execute(select(Event.id, Event.updated_at))
        }


def export(run, url, path) -> dict:
    result = run(url, "export", path)
    assert result.exit_code == 0, result.output
    return json.loads(Path(path).read_text(encoding="utf-8"))


# Export, and the round trip through an empty database


def _add_draft_trash_and_rename(engine, zone) -> None:
    """What the sample file alone does not have: a draft, an event in the trash (that another
    event relates to), and an actor renamed (so it has a former slug)."""
    with write_session(engine) as session:
        base = {
            "type": "statement",
            "start": "2022-02-16T09:30",
            "actors": [{"actor": "vladimir-putin", "role": "initiator"}],
            "verification": "claimed",
        }
        create_event(
            session, parse(EventInput, {**base, "title": "A draft about a pull-back"}), zone,
            None, publish=False,
        )  # fmt: skip
        mistaken = {**base, "title": "A mistaken report", "start": "2022-02-17"}
        trashed = create_event(session, parse(EventInput, mistaken), zone, None, publish=True)
        create_event(
            session,
            parse(
                EventInput,
                {**base, "title": "A denial", "type": "denial",
                 "relations": [{"relation": "denies", "event": trashed.id}]},
            ),
            zone, None, publish=True,
        )  # fmt: skip
        delete_event(session, trashed, zone, None)
        kremlin = session.scalar(select(Actor.id).where(Actor.slug == "kremlin"))
        actor = load_actor(session, kremlin)
        data = parse(ActorInput, {"name": "The Kremlin", "slug": "the-kremlin", "kind": "agency"})
        data = data.model_copy(update={"parent": "russia", "aliases": actor.alias_names})
        update_actor(session, actor, data, None, expected_version=None)


def test_export_then_import_into_an_empty_database_then_export_gives_the_same_file(
    run, database_url, other_database_url, engine, sample, settings, tmp_path
):
    _add_draft_trash_and_rename(engine, settings.zone)
    first = export(run, database_url, tmp_path / "first.json")

    imported = run(other_database_url, "import", tmp_path / "first.json")
    second = export(run, other_database_url, tmp_path / "second.json")

    assert imported.exit_code == 0, imported.output
    assert "created 53 events, updated 0, unchanged 0; created 34 actors" in output(imported)
    assert first["format"] == "brink" and first["version"] == 1
    assert len(first["events"]) == 53
    first_text = (tmp_path / "first.json").read_text(encoding="utf-8")
    second_text = (tmp_path / "second.json").read_text(encoding="utf-8")
    assert first_text.replace(first["exported_at"], "") == second_text.replace(
        second["exported_at"], ""
    )
    by_title = {event["title"]: event for event in second["events"]}
    assert by_title["A draft about a pull-back"]["published"] is False
    assert by_title["A mistaken report"]["deleted_at"] is not None
    assert by_title["A denial"]["relations"] == [
        {"relation": "denies", "event": by_title["A mistaken report"]["id"]}
    ]
    kremlin = next(actor for actor in second["actors"] if actor["slug"] == "the-kremlin")
    assert kremlin["former_slugs"] == ["kremlin"]


def test_an_import_keeps_ids_and_new_records_get_fresh_ones_after_them(
    run, database_url, other_database_url, engine, sample, settings, tmp_path
):
    exported = export(run, database_url, tmp_path / "all.json")
    run(other_database_url, "import", tmp_path / "all.json")

    other = make_engine(other_database_url)
    try:
        with write_session(other) as session:
            data = {
                "title": "After the import", "type": "statement", "start": "2022-02-20",
                "actors": [{"actor": "russia", "role": "initiator"}],
            }  # fmt: skip
            new = create_event(session, parse(EventInput, data), settings.zone, None, publish=True)
            actor = session.scalar(select(Actor).where(Actor.slug == "olaf-scholz"))
            new_id, scholz_id = new.id, actor.id
    finally:
        other.dispose()
    assert new_id == max(event["id"] for event in exported["events"]) + 1
    assert scholz_id == next(a["id"] for a in exported["actors"] if a["slug"] == "olaf-scholz")


def test_a_site_in_another_time_zone_imports_the_same_instants_and_days(
    run, database_url, other_database_url, engine, sample, tmp_path
):
    export(run, database_url, tmp_path / "kyiv.json")

    result = run(other_database_url, "import", tmp_path / "kyiv.json", timezone="UTC")

    assert result.exit_code == 0, result.output
    other = make_engine(other_database_url)
    try:
        with Session(engine) as here, Session(other) as there:
            for title in ("Biden and Putin speak by phone", "War in eastern Ukraine"):
                mine = here.scalar(select(Event).where(Event.title == title))
                theirs = there.scalar(select(Event).where(Event.title == title))
                assert mine.start_precision == theirs.start_precision
                if mine.start_precision == "minute":
                    assert theirs.start_at == mine.start_at  # the same instant
                else:
                    assert theirs.start_at.date() == mine.start_at.astimezone(ZONE).date()
    finally:
        other.dispose()


def test_export_to_standard_output(run, database_url, sample):
    result = run(database_url, "export", "-")

    assert result.exit_code == 0
    data = json.loads(result.stdout)
    assert [event["id"] for event in data["events"]] == sorted(e["id"] for e in data["events"])
    first = data["events"][0]
    assert first["actors"][0]["actor"] == "donbas-separatists"  # actors by slug
    assert set(first) >= {"id", "key", "title", "start", "precision", "published", "deleted_at"}


# Re-importing changes nothing


def test_reimporting_an_export_into_the_same_database_changes_nothing(
    run, database_url, engine, sample, settings, tmp_path
):
    _add_draft_trash_and_rename(engine, settings.zone)
    export(run, database_url, tmp_path / "all.json")
    before, times = counts(engine), updated_ats(engine)

    result = run(database_url, "import", tmp_path / "all.json")

    assert result.exit_code == 0, result.output
    assert "created 0 events, updated 0, unchanged 53" in output(result)
    assert counts(engine) == before
    assert updated_ats(engine) == times


def test_reimporting_a_timelinejs_sheet_changes_nothing(run, database_url, engine, sample):
    first = run(database_url, "import", DATA / "timelinejs.csv")
    before, times = counts(engine), updated_ats(engine)

    again = run(database_url, "import", DATA / "timelinejs.csv")

    assert first.exit_code == 0 and again.exit_code == 0, again.output
    assert "created 5 events" in output(first)
    assert "created 0 events, updated 0, unchanged 5" in output(again)
    assert counts(engine) == before
    assert updated_ats(engine) == times


# Brink CSV


def events_csv(client: TestClient) -> str:
    response = client.get("/events.csv")
    assert response.status_code == 200
    return response.text


def test_the_sites_own_csv_imports_back_unchanged(
    run, database_url, client, engine, sample, tmp_path
):
    path = tmp_path / "events.csv"
    path.write_text(events_csv(client), encoding="utf-8")
    before = counts(engine)

    result = run(database_url, "import", path)

    assert result.exit_code == 0, result.output
    assert "created 0 events, updated 0, unchanged 50" in output(result)
    assert counts(engine) == before


def test_a_csv_row_edited_in_a_spreadsheet_updates_its_event_with_a_revision(
    run, database_url, client, engine, sample, tmp_path
):
    rows = list(csv.reader(io.StringIO(events_csv(client), newline="")))
    header = rows[0]
    rows[1][header.index("title")] = "Scholz to visit Putin in the Kremlin"
    rows[1][header.index("status")] = "occurred"
    event_id = int(rows[1][header.index("id")])
    path = tmp_path / "edited.csv"
    with path.open("w", newline="", encoding="utf-8") as handle:
        csv.writer(handle).writerows(rows)

    result = run(database_url, "import", path)

    assert result.exit_code == 0, result.output
    assert "created 0 events, updated 1, unchanged 49" in output(result)
    page = client.get(f"/events/{event_id}", follow_redirects=True)
    assert text_of(soup(page.text).select_one("h1")) == "Scholz to visit Putin in the Kremlin"
    with Session(engine) as session:
        revision = session.scalars(
            select(Revision)
            .where(Revision.entity == "event", Revision.entity_id == event_id)
            .order_by(Revision.version.desc())
        ).first()
    assert revision.action == "reimport"
    assert revision.note == f"Imported from {path}."
    assert {change["field"] for change in revision.changes} == {"title", "status"}


def test_a_brink_csv_with_one_bad_row_writes_nothing_and_names_its_line(
    run, database_url, engine, sample
):
    before = counts(engine)

    result = run(database_url, "import", DATA / "brink-bad-row.csv")

    assert result.exit_code == 1
    # The bad row starts on line 5: the first row's summary spans lines 2 and 3.
    assert f"{DATA / 'brink-bad-row.csv'}:5: actors: There is no actor 'nobody-at-all'." in (
        output(result)
    )
    assert "nothing was imported: 1 problem(s)" in output(result)
    assert counts(engine) == before


def test_the_good_rows_of_that_csv_import_once_the_bad_one_is_fixed(
    run, database_url, client, engine, sample, tmp_path
):
    fixed = (DATA / "brink-bad-row.csv").read_text().replace("nobody-at-all", "russia")
    path = tmp_path / "fixed.csv"
    path.write_text(fixed, encoding="utf-8")

    result = run(database_url, "import", path, "--publish")

    assert result.exit_code == 0, result.output
    assert "created 4 events" in output(result)
    assert "created 1 source" in output(result)
    titles = event_titles(client.get("/?q=Kyiv").text)
    assert "Scholz in Kyiv" in titles
    with Session(engine) as session:
        call = session.scalar(select(Event).where(Event.title == "Macron calls Putin again"))
        biden = session.scalar(select(Event).where(Event.title == "Biden speaks"))
    assert call.summary == "A call of\nnearly two hours."
    assert call.timezone == "Europe/Paris"
    assert call.start_at.isoformat() == "2022-02-20T10:00:00+00:00"  # 11:00 in Paris
    assert biden.verification == "claimed"  # a blank cell takes the import's default
    assert biden.status == "occurred"


def test_every_bad_row_is_reported_not_just_the_first(
    run, database_url, client, engine, sample, tmp_path
):
    rows = list(csv.reader(io.StringIO(events_csv(client), newline="")))
    header = rows[0]
    rows[2][header.index("type")] = "rumour"
    rows[4][header.index("start_local")] = "2022-02-30"
    rows[6][header.index("end_local")] = "2001-01-01"
    path = tmp_path / "three-bad.csv"
    with path.open("w", newline="", encoding="utf-8") as handle:
        csv.writer(handle).writerows(rows)

    result = run(database_url, "import", path)

    assert result.exit_code == 1
    text = output(result)
    assert ": type: Unknown event type 'rumour'." in text
    assert ": start_local: '2022-02-30' is not a date" in text
    assert ": end_local: The end comes before the start." in text
    assert "3 problem(s)" in text


# Brink JSON problems


def test_a_json_file_with_a_bad_record_names_its_path_and_writes_nothing(
    run, database_url, other_database_url, sample, tmp_path
):
    data = export(run, database_url, tmp_path / "all.json")
    data["events"][3]["start"] = "2022-02-30"
    data["events"][5]["actors"][0]["actor"] = "nobody-at-all"
    path = tmp_path / "bad.json"
    path.write_text(json.dumps(data), encoding="utf-8")
    other = make_engine(other_database_url)

    result = run(other_database_url, "import", path)

    assert result.exit_code == 1
    assert f"{path}: events[3].start: '2022-02-30' is not a real date" in output(result)
    assert f"{path}: events[5].actors[0].actor: There is no actor 'nobody-at-all'." in (
        output(result)
    )
    assert counts(other) == {"events": 0, "actors": 0, "sources": 0, "revisions": 0}
    other.dispose()


def test_a_timelinejs_json_date_problem_names_the_field(run, database_url, sample, tmp_path):
    data = json.loads((DATA / "timelinejs.json").read_text())
    data["events"][1]["start_date"]["month"] = "13"
    path = tmp_path / "timeline.json"
    path.write_text(json.dumps(data), encoding="utf-8")

    result = run(database_url, "import", path)

    assert result.exit_code == 1
    assert f"{path}: events[1].start_date.month: 13 is not a month (1–12)" in output(result)


# TimelineJS


def test_a_timelinejs_sheet_becomes_draft_events_with_actors_dates_and_sources(
    run, database_url, engine, client, sample
):
    result = run(database_url, "import", DATA / "timelinejs.csv")

    assert result.exit_code == 0, result.output
    assert "skipped 1 title slide, 1 era" in output(result)
    with Session(engine) as session:
        events = {
            event.title: event
            for event in session.scalars(select(Event).where(Event.key.like("timelinejs-%")))
        }
        actors = {
            title: [link.actor.slug for link in event.actor_links]
            for title, event in events.items()
        }
        cited = {
            title: [(c.source.publisher, c.source.title, c.source.url) for c in event.citations]
            for title, event in events.items()
        }
        normandy = session.scalar(select(Actor).where(Actor.slug == "normandy-format"))
        normandy_kind = normandy.kind
    assert "The February standoff" not in events  # the title slide
    assert "The build-up" not in events  # an era
    troops = events["Troops gather near the border"]
    assert troops.start_precision == "year"
    assert troops.start_at.isoformat() == "2020-12-31T22:00:00+00:00"  # 1 Jan 2021 in Kyiv
    assert events["Moscow publishes draft treaties"].start_precision == "month"
    drills = events["Allied Resolve drills"]
    assert (drills.start_precision, drills.end_precision) == ("day", "day")
    assert drills.end_at.isoformat() == "2022-02-19T22:00:00+00:00"  # 20 Feb in Kyiv
    call = events["A long phone call"]
    assert call.start_precision == "minute"
    assert call.start_at.isoformat() == "2022-02-12T16:04:00+00:00"  # 18:04 in Kyiv
    assert events["Morning statement"].start_precision == "hour"
    # Group → actor: by alias (Moscow), name, slug (nato), or a new organisation.
    assert actors["Troops gather near the border"] == ["russia"]
    assert actors["Moscow publishes draft treaties"] == ["vladimir-putin"]
    assert actors["Allied Resolve drills"] == ["nato"]
    assert actors["A long phone call"] == ["normandy-format"]
    assert normandy_kind == "organisation"
    # Media → a source; its credit (HTML) is the publisher.
    assert cited["Moscow publishes draft treaties"] == [
        ("Example Wire", "The draft treaties", "https://example.org/treaties")
    ]
    assert cited["A long phone call"] == [
        ("example.org", "A long phone call", "https://example.org/call")
    ]
    # HTML made safe Markdown: no script, no javascript: link, emphasis and links kept.
    assert troops.summary == "Satellite images show *more* troops."
    treaties = events["Moscow publishes draft treaties"].summary
    assert "[the drafts](https://example.org/drafts)" in treaties
    assert "javascript" not in treaties and "alert" not in treaties
    # Unreviewed: drafts, claimed, statements; not on the public timeline.
    assert {(e.published, e.verification, e.type_slug) for e in events.values()} == {
        (False, "claimed", "statement")
    }
    assert "Troops gather near the border" not in event_titles(client.get("/?q=troops").text)


def test_a_timelinejs_json_file_imports_with_the_options_given(
    run, database_url, engine, client, sample
):
    result = run(
        database_url, "import", DATA / "timelinejs.json", "--publish", "--type", "deployment",
        "--verification", "confirmed", "--actor-kind", "person", "--timezone", "Europe/Moscow",
    )  # fmt: skip

    assert result.exit_code == 0, result.output
    assert "created 2 events" in output(result)
    with Session(engine) as session:
        pullback = session.scalar(select(Event).where(Event.key == "timelinejs-id-pullback"))
        marathon = session.scalar(select(Event).where(Event.title == "Diplomatic marathon"))
        diplomats = session.scalar(select(Actor).where(Actor.slug == "diplomats"))
        pullback_actors = [link.actor.slug for link in pullback.actor_links]
        kind = diplomats.kind
    assert pullback.title == "Partial pull-back announced"
    assert pullback.summary == "Some units **return** to base."
    assert pullback.start_at.isoformat() == "2022-02-15T10:30:00+00:00"  # 13:30 in Moscow
    assert pullback.timezone == "Europe/Moscow"
    assert (pullback.type_slug, pullback.verification, pullback.published) == (
        "deployment", "confirmed", True,
    )  # fmt: skip
    assert pullback_actors == ["russia"]
    assert (marathon.start_precision, marathon.end_precision) == ("month", "month")
    assert kind == "person"
    assert "Diplomatic marathon" in event_titles(client.get("/?q=marathon").text)


def test_reimporting_a_changed_timelinejs_row_keeps_what_the_desk_added(
    run, database_url, engine, sample, settings, tmp_path
):
    run(database_url, "import", DATA / "timelinejs.json")
    with write_session(engine) as session:
        event = session.scalar(select(Event).where(Event.key == "timelinejs-id-pullback"))
        event.type_slug = "deployment"  # as an editor would have fixed it
    data = json.loads((DATA / "timelinejs.json").read_text())
    data["events"][0]["text"]["text"] = "<p>Some units return to base by train.</p>"
    path = tmp_path / "timeline.json"
    path.write_text(json.dumps(data), encoding="utf-8")

    result = run(database_url, "import", path)

    assert result.exit_code == 0, result.output
    assert "created 0 events, updated 1, unchanged 1" in output(result)
    with Session(engine) as session:
        event = session.scalar(select(Event).where(Event.key == "timelinejs-id-pullback"))
    assert event.summary == "Some units return to base by train."
    assert event.type_slug == "deployment"


def test_a_timelinejs_row_without_a_group_needs_an_actor(run, database_url, sample, tmp_path):
    sheet = "Year,Month,Day,Headline,Text,Group\n2022,2,16,No group here,Text,\n"
    path = tmp_path / "sheet.csv"
    path.write_text(sheet, encoding="utf-8")

    refused = run(database_url, "import", path)
    accepted = run(database_url, "import", path, "--actor", "Kremlin")

    assert refused.exit_code == 1
    assert f"{path}:2: Group: every Brink event names an actor" in output(refused)
    assert accepted.exit_code == 0, accepted.output
    assert "created 1 event," in output(accepted)


# The command line


def test_a_dry_run_checks_everything_and_writes_nothing(run, database_url, engine, sample):
    before = counts(engine)

    result = run(database_url, "import", DATA / "timelinejs.csv", "--dry-run")

    assert result.exit_code == 0, result.output
    assert "it would have created 5 events" in output(result)
    assert "Nothing was written." in output(result)
    assert counts(engine) == before


@pytest.mark.parametrize(
    ("name", "content", "args", "message"),
    [
        ("missing.csv", None, [], "cannot read"),
        ("notes.txt", "just some words\n", [], "cannot tell the format"),
        ("broken.json", '{"format": "brink", ', [], "broken.json:1: not valid JSON"),
        ("sheet.csv", "Year,Headline,Group\n2022,A,Russia\n", ["--type", "rumour"], "--type"),
        ("sheet.csv", "Year,Headline,Group\n2022,A,Russia\n", ["--timezone", "Mars/Olympus"],
         "--timezone: Unknown time zone"),
        ("binary.csv", "\x00\x01", [], "a binary file"),
    ],
)  # fmt: skip
def test_import_fails_clearly_with_exit_code_1(
    run, database_url, sample, tmp_path, name, content, args, message
):
    path = tmp_path / name
    if content is not None:
        path.write_text(content, encoding="utf-8")

    result = run(database_url, "import", path, *args)

    assert result.exit_code == 1
    assert message in output(result)


def test_import_and_export_need_a_migrated_database(run, empty_database_url, tmp_path):
    for args in (["import", DATA / "timelinejs.csv"], ["export", tmp_path / "x.json"]):
        result = run(empty_database_url, *args)
        assert result.exit_code == 1
        assert "brink migrate" in output(result)


def test_import_help_says_the_defaults(run, database_url):
    result = run(database_url, "import", "--help")

    assert result.exit_code == 0
    text = output(result)
    for phrase in ("--publish", "--draft", "drafts to review", "--format", "claimed"):
        assert phrase in text


# The upload page


def page_token(client: TestClient) -> str:
    page = client.get("/admin/import")
    assert page.status_code == 200
    return str(
        soup(page.text).select_one("form[action='/admin/import'] input[name=csrf_token]")["value"]
    )


def upload(client, name, content, token, **fields):
    form = {"csrf_token": token, "action": "import", **fields}
    if token is None:
        del form["csrf_token"]
    return client.post("/admin/import", data=form, files={"file": (name, content, "text/csv")})


def test_the_upload_page_checks_a_file_and_lists_its_problems(client, users, engine, sample):
    log_in(client, ADMIN)
    before = counts(engine)

    response = upload(
        client, "bad.csv", (DATA / "brink-bad-row.csv").read_bytes(), page_token(client),
        action="check",
    )  # fmt: skip

    assert response.status_code == 400
    page = soup(response.text)
    problems = [text_of(li) for li in page.select(".import-problems li")]
    assert problems == ["bad.csv:5: actors: There is no actor 'nobody-at-all'."]
    assert "Nothing was imported: 1 problem in bad.csv" in text_of(page.select_one("[role=alert]"))
    assert counts(engine) == before


def test_the_upload_page_imports_a_file_as_the_admin(client, users, engine, sample):
    log_in(client, ADMIN)
    token = page_token(client)

    checked = upload(
        client, "sheet.csv", (DATA / "timelinejs.csv").read_bytes(), token, action="check"
    )
    after_check = counts(engine)
    imported = upload(
        client, "sheet.csv", (DATA / "timelinejs.csv").read_bytes(), token, publish="publish"
    )

    assert checked.status_code == 200
    assert "would have created 5 events" in text_of(soup(checked.text).select_one("[role=status]"))
    assert after_check["events"] == 50
    assert imported.status_code == 200
    notice = text_of(soup(imported.text).select_one("[role=status]"))
    assert notice.startswith("Imported sheet.csv: created 5 events")
    with Session(engine) as session:
        revision = session.scalars(
            select(Revision)
            .where(Revision.action == "import", Revision.entity == "event")
            .order_by(Revision.id.desc())
        ).first()
        assert revision.user.email == ADMIN
        assert revision.note == "Imported from sheet.csv."
    assert "A long phone call" in event_titles(client.get("/?q=phone").text)


def test_the_upload_page_asks_for_a_file(client, users):
    log_in(client, ADMIN)

    response = client.post(
        "/admin/import", data={"csrf_token": page_token(client), "action": "import"},
        files={"file": ("", b"", "application/octet-stream")},
    )  # fmt: skip

    assert response.status_code == 400
    field = soup(response.text).select_one("#f-file")
    assert field["aria-invalid"] == "true"
    assert text_of(soup(response.text).select_one("#f-file-error")) == "Choose a file to import."


def test_the_upload_page_is_for_administrators_only(client, users):
    anonymous = client.get("/admin/import")
    anonymous_post = client.post(
        "/admin/import", files={"file": ("x.csv", b"Year,Headline\n", "text/csv")}
    )
    log_in(client, EDITOR)
    editor = client.get("/admin/import")

    assert anonymous.status_code == 303
    assert anonymous.headers["location"] == "/login?next=/admin/import"
    assert anonymous_post.status_code == 401
    assert editor.status_code == 403


def test_an_upload_without_the_csrf_token_is_refused(client, users, engine, sample):
    log_in(client, ADMIN)
    before = counts(engine)

    response = upload(client, "sheet.csv", (DATA / "timelinejs.csv").read_bytes(), None)

    assert response.status_code == 403
    assert "CSRF" in response.text
    assert counts(engine) == before


def test_an_upload_over_the_size_limit_is_refused(client, users, monkeypatch):
    from app.routes import auth

    log_in(client, ADMIN)
    token = page_token(client)
    monkeypatch.setattr(auth, "MAX_UPLOAD_BYTES", 1000)

    response = upload(client, "big.csv", b"x" * 2000, token)

    assert response.status_code == 413


# TimelineJS's fields


@pytest.mark.parametrize(
    ("text", "expected"),
    [("13:45", (13, 45)), ("1:45 PM", (13, 45)), ("1345", (13, 45)), ("13.45", (13, 45)),
     ("13:45:30", (13, 45)), ("9 am", (9, None)), ("12 AM", (0, None))],
)  # fmt: skip
def test_timelinejs_times_read_as_timelinejs_reads_them(text, expected):
    assert timelinejs.parse_time(text) == expected


def test_timelinejs_html_becomes_markdown_without_anything_that_could_run():
    html = (
        '<p class="lead">A <b>bold</b> <a href="https://example.org/a">link</a> and '
        '<a href="javascript:alert(1)">a trap</a>.</p><script>alert(1)</script>'
        "<blockquote>Quoted <em>words</em></blockquote><ul><li>one</li><li>two</li></ul>"
        '<p>1. not a list, *not* emphasis</p><iframe src="https://x.example"></iframe>'
    )

    assert timelinejs.html_to_markdown(html) == (
        "A **bold** [link](https://example.org/a) and a trap.\n\n> Quoted *words*\n\n"
        "- one\n- two\n\n1\\. not a list, \\*not\\* emphasis"
    )


# At scale: an import costs statements by the thousand records, not by the record


GENERATED = 3000


@contextmanager
def statements():
    """Every SQL statement any engine of this process sends (an executemany counts once)."""
    seen: list[str] = []

    def count(conn, cursor, statement, parameters, context, executemany):
        seen.append(statement)

    event.listen(Engine, "before_cursor_execute", count)
    try:
        yield seen
    finally:
        event.remove(Engine, "before_cursor_execute", count)


@pytest.fixture
def generated_export(run, database_url, tmp_path) -> Path:
    result = run(database_url, "generate", "--events", GENERATED, "--seed", 8, "--actors", 60)
    assert result.exit_code == 0, result.output
    path = tmp_path / "generated.json"
    export(run, database_url, path)
    return path


def test_a_large_import_costs_a_bounded_number_of_statements(
    run, generated_export, other_database_url
):
    with statements() as seen:
        result = run(other_database_url, "import", generated_export)

    assert result.exit_code == 0, result.output
    assert f"created {GENERATED} events, updated 0, unchanged 0" in output(result)
    assert "created 60 actors" in output(result)
    # A few per thousand events (rows, links, citations, revisions, search), not one per record.
    assert len(seen) < 150, len(seen)
    other = make_engine(other_database_url)
    with Session(other) as session:
        revisions = session.scalars(select(Revision.action).where(Revision.entity == "event"))
        assert sorted(set(revisions)) == ["import"]
    assert counts(other)["revisions"] == GENERATED + 60
    other.dispose()


def test_reimporting_a_large_export_is_idempotent(
    run, database_url, engine, generated_export, tmp_path
):
    before, times = counts(engine), updated_ats(engine)

    with statements() as seen:
        result = run(database_url, "import", generated_export)

    assert result.exit_code == 0, result.output
    assert f"created 0 events, updated 0, unchanged {GENERATED}" in output(result)
    assert counts(engine) == before
    assert updated_ats(engine) == times
    assert len(seen) < 150 + 60 * 3, len(seen)  # existing actors are compared one by one
    again = export(run, database_url, tmp_path / "again.json")
    first = json.loads(generated_export.read_text(encoding="utf-8"))
    assert {**again, "exported_at": None} == {**first, "exported_at": None}


def test_the_csv_of_a_large_crisis_imports_into_a_database_with_its_actors(
    run, database_url, generated_export, other_database_url, tmp_path, client
):
    whole = json.loads(generated_export.read_text(encoding="utf-8"))
    actors_only = tmp_path / "actors.json"
    actors_only.write_text(json.dumps({**whole, "sources": [], "events": []}), encoding="utf-8")
    assert run(other_database_url, "import", actors_only).exit_code == 0
    sheet = tmp_path / "events.csv"
    sheet.write_text(events_csv(client), encoding="utf-8")

    with statements() as seen:
        result = run(other_database_url, "import", sheet, "--publish")

    assert result.exit_code == 0, result.output
    assert f"created {GENERATED} events, updated 0, unchanged 0" in output(result)
    assert len(seen) < 200, sorted(collections.Counter(seen).items(), key=lambda c: -c[1])[:3]
    again = run(other_database_url, "import", sheet)
    assert f"created 0 events, updated 0, unchanged {GENERATED}" in output(again)


def test_a_large_import_is_found_by_search_as_the_generated_crisis_is(
    run, generated_export, other_database_url, settings, client
):
    """The import indexes runs of new events in SQL (search.reindex_range), the odd one in Python:
    the same words either way, so the same searches find the same events on both sites."""
    assert run(other_database_url, "import", generated_export).exit_code == 0
    whole = json.loads(generated_export.read_text(encoding="utf-8"))
    first = whole["events"][0]
    names = {actor["slug"]: actor["name"] for actor in whole["actors"]}
    publishers = {source["id"]: source["publisher"] for source in whole["sources"]}
    words = [
        first["title"].split()[-1],
        names[first["actors"][0]["actor"]],
        publishers[first["sources"][0]["source"]],
    ]
    imported = create_app(settings.model_copy(update={"database_url": other_database_url}))
    with TestClient(imported, follow_redirects=False) as other:
        for word in words:
            found = event_titles(client.get("/", params={"q": word}).text)
            assert found, word
            assert event_titles(other.get("/", params={"q": word}).text) == found, word
    imported.state.engine.dispose()
