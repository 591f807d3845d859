"""The write API (/api): bearer tokens only, JSON in and out, If-Match on every change, every
write a revision naming the token's user."""

import pytest
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from app import accounts, editing, tokens
from app.db import write_session
from app.models import Actor, Event, Source, User, utcnow
from tests.accounts import ADMIN, EDITOR, log_in
from tests.html import event_titles

NEW_EVENT = {
    "title": "Macron telephones Putin again",
    "summary": "A second call in a week.",
    "type": "call",
    "start": "2022-02-20T11:30",
    "actors": [
        {"actor": "emmanuel-macron", "role": "initiator"},
        {"actor": "vladimir-putin", "role": "counterpart"},
    ],
}


def make_token(engine, email: str = EDITOR, name: str = "Wire desk") -> str:
    with write_session(engine) as session:
        user = accounts.find_user(session, email)
        assert user is not None
        return tokens.create(session, user, name)[1]


@pytest.fixture
def token(engine, users) -> str:
    return make_token(engine)


@pytest.fixture
def api(client, token):
    """The client, with the editor's token on every request."""

    def call(method: str, path: str, *, headers: dict | None = None, **kwargs):
        headers = {"Authorization": f"Bearer {token}", **(headers or {})}
        return client.request(method, path, headers=headers, **kwargs)

    return call


def create(api, event=None, **body):
    response = api("POST", "/api/events", json={"event": event or NEW_EVENT, **body})
    assert response.status_code == 201, response.text
    return response


# Who may use it


def disable_editor(engine):
    with write_session(engine) as session:
        session.execute(update(User).where(User.email == EDITOR).values(disabled_at=utcnow()))


def revoke_all(engine):
    with write_session(engine) as session:
        for row in tokens.list_tokens(session):
            tokens.revoke(row)


@pytest.mark.parametrize(
    ("authorization", "spoil"),
    [
        (None, None),
        ("Basic ZWQ6cGFzcw==", None),
        ("Bearer", None),
        ("Bearer brink_not-a-real-token", None),
        ("Bearer {token}x", None),
        ("Bearer {token}", revoke_all),
        ("Bearer {token}", disable_editor),
    ],
    ids=["none", "basic", "empty", "unknown", "altered", "revoked", "user-disabled"],
)
def test_requests_without_a_working_token_get_401_json(
    client, engine, sample, token, authorization, spoil
):
    if spoil:
        spoil(engine)
    headers = {"Authorization": authorization.format(token=token)} if authorization else {}

    read = client.get("/api/events/1", headers=headers)
    write = client.post("/api/events", json={"event": NEW_EVENT}, headers=headers)

    for response in (read, write):
        assert response.status_code == 401
        assert response.headers["WWW-Authenticate"].startswith("Bearer")
        assert response.headers["content-type"] == "application/json"
        assert response.json()["detail"]
    with Session(engine) as session:
        assert session.scalar(select(Event).where(Event.title == NEW_EVENT["title"])) is None


def test_the_token_is_checked_before_the_body_is_read(client, sample, users):
    response = client.post(
        "/api/events", content=b"{not json", headers={"Content-Type": "application/json"}
    )

    assert response.status_code == 401


def test_a_browser_signed_in_with_a_cookie_has_no_access_to_the_api(client, sample, users):
    csrf = log_in(client)

    read = client.get("/api/events/1")
    write = client.post("/api/events", json={"event": NEW_EVENT}, headers={"X-CSRF-Token": csrf})

    assert read.status_code == 401
    assert write.status_code == 401
    assert "browser" in read.json()["detail"]


def test_with_a_cookie_and_a_token_the_token_decides_and_no_csrf_token_is_asked(
    client, engine, sample, users
):
    log_in(client, ADMIN)
    token = make_token(engine, EDITOR)

    response = client.post(
        "/api/events",
        json={"event": NEW_EVENT},
        headers={"Authorization": f"Bearer {token}", "Origin": "https://tool.example"},
    )

    assert response.status_code == 201, response.text
    with Session(engine) as session:
        revision = editing.revisions(session, "event", response.json()["id"])[0]
        assert revision.user.email == EDITOR  # the token's user, not the cookie's


def test_using_a_token_records_when_it_was_last_used(api, engine, sample):
    api("GET", "/api/events/1")

    with Session(engine) as session:
        (row,) = tokens.list_tokens(session)
    assert row.last_used_at is not None


# Events


def test_creating_an_event_records_a_revision_by_the_tokens_user(api, engine, sample):
    response = create(api, note="From the Élysée readout.")

    body = response.json()
    assert response.headers["Location"] == f"/api/events/{body['id']}"
    assert response.headers["ETag"] == '"1"'
    assert body["version"] == 1
    assert body["published"] is False
    assert body["deleted"] is False
    assert body["event"]["title"] == NEW_EVENT["title"]
    assert body["event"]["start"] == "2022-02-20T11:30"
    assert body["url"].endswith(f"/events/{body['id']}/macron-telephones-putin-again")
    with Session(engine) as session:
        (revision,) = editing.revisions(session, "event", body["id"])
        assert revision.user.email == EDITOR
        assert revision.action == "create"
        assert revision.note == "From the Élysée readout."


def test_a_draft_stays_hidden_and_a_published_event_shows_on_the_timeline(api, client, sample):
    draft = create(api).json()
    published = create(api, {**NEW_EVENT, "title": "Macron and Putin speak"}, publish=True).json()

    timeline = event_titles(client.get("/?q=Macron").text)
    assert "Macron and Putin speak" in timeline
    assert NEW_EVENT["title"] not in timeline
    assert client.get(f"/events/{published['id']}.json").status_code == 200
    assert client.get(f"/events/{draft['id']}.json").status_code == 404
    assert published["published"] is True and published["published_at"]
    # Tokens are editors': the API reads drafts.
    assert api("GET", f"/api/events/{draft['id']}").json()["published"] is False


def test_reading_an_event_gives_its_version_as_etag(api, sample):
    response = api("GET", "/api/events/17")

    assert response.status_code == 200
    assert response.headers["ETag"] == f'"{response.json()["version"]}"'
    assert response.headers["Cache-Control"] == "no-store"
    assert response.json()["event"]["actors"]


def test_a_change_without_if_match_is_refused_with_428(api, engine, sample):
    event = create(api).json()

    response = api("PATCH", f"/api/events/{event['id']}", json={"event": {"title": "Changed"}})

    assert response.status_code == 428
    assert "If-Match" in response.json()["detail"]
    assert api("GET", f"/api/events/{event['id']}").json()["event"]["title"] == NEW_EVENT["title"]


def test_a_change_based_on_a_stale_version_is_refused_with_412_naming_who_changed_it(
    api, engine, sample
):
    event_id = create(api).json()["id"]
    first = api("PATCH", f"/api/events/{event_id}", json={"event": {"title": "Their title"}},
                headers={"If-Match": '"1"'})  # fmt: skip
    assert first.status_code == 200

    stale = api("PATCH", f"/api/events/{event_id}", json={"event": {"title": "My title"}},
                headers={"If-Match": '"1"'})  # fmt: skip

    assert stale.status_code == 412
    assert stale.headers["ETag"] == '"2"'
    body = stale.json()
    assert EDITOR in body["detail"]
    assert body["current_version"] == 2
    assert body["changed_by"] == EDITOR
    assert body["changes"] == [{"field": "title", "before": NEW_EVENT["title"],
                                "after": "Their title"}]  # fmt: skip
    stored = api("GET", f"/api/events/{event_id}")
    assert stored.json()["event"]["title"] == "Their title"
    assert stored.headers["ETag"] == '"2"'


def test_a_change_with_the_current_etag_saves_and_gives_the_new_one(api, engine, sample):
    event_id = create(api).json()["id"]

    response = api(
        "PATCH", f"/api/events/{event_id}",
        json={"event": {"summary": "Longer, it turns out.", "importance": 3}, "note": "Readout."},
        headers={"If-Match": '"1"'},
    )  # fmt: skip
    again = api(
        "PATCH", f"/api/events/{event_id}",
        json={"event": {"importance": 3}}, headers={"If-Match": response.headers["ETag"]},
    )  # fmt: skip

    assert response.status_code == 200, response.text
    assert response.headers["ETag"] == '"2"'
    assert response.json()["event"]["summary"] == "Longer, it turns out."
    assert response.json()["event"]["title"] == NEW_EVENT["title"]  # kept
    assert again.status_code == 200
    assert again.headers["ETag"] == '"2"'  # nothing changed: the same version
    with Session(engine) as session:
        latest = editing.revisions(session, "event", event_id)[0]
        assert (latest.version, latest.user.email, latest.note) == (2, EDITOR, "Readout.")
        assert {c["field"] for c in latest.changes} == {"summary", "importance"}


def test_if_match_star_overwrites_whatever_is_there(api, sample):
    event_id = create(api).json()["id"]

    response = api("PATCH", f"/api/events/{event_id}", json={"event": {"title": "Any"}},
                   headers={"If-Match": "*"})  # fmt: skip

    assert response.status_code == 200


def test_a_correction_by_patch_goes_into_the_public_log(api, engine, sample):
    event_id = create(api, publish=True).json()["id"]

    response = api(
        "PATCH", f"/api/events/{event_id}",
        json={"event": {"start": "2022-02-19T11:30"}, "correction": True,
              "note": "It was the day before."},
        headers={"If-Match": '"1"'},
    )  # fmt: skip

    assert response.status_code == 200, response.text
    with Session(engine) as session:
        (correction,) = editing.corrections(session, event_id)
        assert correction.note == "It was the day before."
        assert correction.changes[0]["field"] == "start"
        assert correction.user.email == EDITOR


def test_deleting_moves_the_event_to_the_trash_and_its_page_is_gone(api, client, sample):
    event = create(api, publish=True).json()
    event_id = event["id"]

    refused = api("DELETE", f"/api/events/{event_id}")
    response = api("DELETE", f"/api/events/{event_id}", headers={"If-Match": '"1"'})

    assert refused.status_code == 428
    assert response.status_code == 204
    assert response.content == b""
    read = api("GET", f"/api/events/{event_id}")
    assert read.json()["deleted"] is True
    assert read.json()["published"] is False
    assert client.get(f"/events/{event_id}.json").status_code != 200
    assert client.get(f"/events/{event_id}").status_code == 410
    assert event["event"]["title"] not in event_titles(client.get("/?q=Macron").text)
    trashed = api("PATCH", f"/api/events/{event_id}", json={"event": {"title": "X"}},
                  headers={"If-Match": read.headers["ETag"]})  # fmt: skip
    assert trashed.status_code == 409
    assert "restore" in trashed.json()["detail"]


def test_publish_unpublish_and_restore_need_if_match_and_answer_the_event(api, client, sample):
    event_id = create(api).json()["id"]
    path = f"/api/events/{event_id}"

    assert api("POST", f"{path}/publish").status_code == 428
    assert api("POST", f"{path}/publish", headers={"If-Match": '"7"'}).status_code == 412
    published = api("POST", f"{path}/publish", headers={"If-Match": '"1"'})
    assert published.status_code == 200, published.text
    assert published.json()["published"] is True
    assert client.get(f"/events/{event_id}.json").status_code == 200
    unpublished = api("POST", f"{path}/unpublish", json={"note": "Not confirmed yet."},
                      headers={"If-Match": published.headers["ETag"]})  # fmt: skip
    assert unpublished.json()["published"] is False
    assert client.get(f"/events/{event_id}.json").status_code == 404
    republished = api("POST", f"{path}/publish", headers={"If-Match": unpublished.headers["ETag"]})
    deleted = api("DELETE", path, headers={"If-Match": republished.headers["ETag"]})
    restored = api("POST", f"{path}/restore", headers={"If-Match": deleted.headers["ETag"]})
    assert restored.status_code == 200
    assert restored.json()["deleted"] is False
    assert restored.json()["published"] is True  # as it was before the trash
    assert client.get(f"/events/{event_id}.json").status_code == 200


def test_invalid_fields_are_422_with_the_forms_messages_by_field(api, engine, sample):
    event = {**NEW_EVENT, "title": "", "start": "2022-02-31",
             "actors": [{"actor": "atlantis", "role": "initiator"}]}  # fmt: skip

    response = api("POST", "/api/events", json={"event": event, "publish": "sometimes"})
    unknown_actor = api(
        "POST", "/api/events", json={"event": {**NEW_EVENT, "actors": [{"actor": "atlantis"}]}}
    )
    extra = api("POST", "/api/events", json={"event": {**NEW_EVENT, "colour": "red"}, "x": 1})
    missing = api("POST", "/api/events", json={"publish": True})

    assert response.status_code == 422
    errors = response.json()["errors"]
    assert errors["title"] == "This is required."
    assert "not a real date" in errors["start"]
    assert "publish" in errors
    assert "Nothing was saved" in response.json()["detail"]
    assert unknown_actor.status_code == 422
    assert unknown_actor.json()["errors"] == {"actors.0.actor": "There is no actor 'atlantis'."}
    assert extra.json()["errors"] == {"colour": "Unknown field.", "x": "Unknown field."}
    assert missing.json()["errors"] == {"event": "This is required."}
    with Session(engine) as session:
        assert session.scalar(select(Event).where(Event.title == NEW_EVENT["title"])) is None


def test_an_invalid_change_is_422_and_changes_nothing(api, sample):
    event_id = create(api).json()["id"]

    response = api("PATCH", f"/api/events/{event_id}",
                   json={"event": {"end": "2022-01-01", "importance": 9}},
                   headers={"If-Match": '"1"'})  # fmt: skip

    assert response.status_code == 422
    assert set(response.json()["errors"]) == {"importance"}  # the end is checked after types
    assert api("GET", f"/api/events/{event_id}").headers["ETag"] == '"1"'


@pytest.mark.parametrize(
    ("content", "content_type", "status"),
    [
        (b"{not json", "application/json", 400),
        (b"\xff\xfe{}", "application/json", 400),
        (b"[" * 100_000, "application/json", 400),
        (b"", "application/json", 400),
        (b"[1, 2]", "application/json", 422),
        (b"title=x", "application/x-www-form-urlencoded", 415),
        (b'{"event": {"title": "' + b"x" * (1024 * 1024) + b'"}}', "application/json", 413),
    ],
    ids=["malformed", "not-utf8", "deep", "empty", "not-an-object", "a-form", "too-large"],
)
def test_bad_bodies_get_a_json_4xx_never_a_500(api, sample, content, content_type, status):
    response = api("POST", "/api/events", content=content,
                   headers={"Content-Type": content_type})  # fmt: skip

    assert response.status_code == status
    assert response.json()["detail"]


def test_unknown_ids_paths_and_methods_answer_json(api, sample):
    for path in ("/api/events/99999", "/api/events/99999999999", "/api/actors/99999",
                 "/api/sources/99999", "/api/nothing"):  # fmt: skip
        response = api("GET", path)
        assert response.status_code == 404, path
        assert response.json()["detail"]
    patch = api("PATCH", "/api/events/99999", json={"event": {}}, headers={"If-Match": '"1"'})
    assert patch.status_code == 404
    method = api("PUT", "/api/events/1", json={})
    assert method.status_code == 405
    assert method.json()["detail"]


def test_a_malformed_if_match_is_400(api, sample):
    event_id = create(api).json()["id"]

    response = api("PATCH", f"/api/events/{event_id}", json={"event": {"title": "X"}},
                   headers={"If-Match": "W/\"1\""})  # fmt: skip

    assert response.status_code == 400
    assert "If-Match" in response.json()["detail"]


# Actors and sources


def test_actors_can_be_created_read_changed_and_deleted(api, engine, sample):
    created = api("POST", "/api/actors", json={"actor": {
        "name": "Mario Draghi", "kind": "person", "parent": None, "aliases": ["Draghi"],
    }, "note": "New chancellor."})  # fmt: skip
    assert created.status_code == 201, created.text
    actor = created.json()
    path = created.headers["Location"]
    assert actor["actor"]["slug"] == "mario-draghi"
    assert created.headers["ETag"] == '"1"'

    assert api("PATCH", path, json={"actor": {"description": "x"}}).status_code == 428
    changed = api("PATCH", path, json={"actor": {"aliases": ["Draghi", "SuperMario"]}},
                  headers={"If-Match": '"1"'})  # fmt: skip
    stale = api("PATCH", path, json={"actor": {"description": "Late."}},
                headers={"If-Match": '"1"'})  # fmt: skip
    invalid = api("PATCH", path, json={"actor": {"kind": "planet"}},
                  headers={"If-Match": changed.headers["ETag"]})  # fmt: skip

    assert changed.status_code == 200
    assert changed.json()["actor"]["aliases"] == ["Draghi", "SuperMario"]
    assert changed.headers["ETag"] == '"2"'
    assert stale.status_code == 412
    assert stale.json()["changed_by"] == EDITOR
    assert invalid.status_code == 422
    assert "kind" in invalid.json()["errors"]
    with Session(engine) as session:
        assert [r.user.email for r in editing.revisions(session, "actor", actor["id"])] == [
            EDITOR, EDITOR,
        ]  # fmt: skip
    deleted = api("DELETE", path, headers={"If-Match": '"2"'})
    assert deleted.status_code == 204
    assert api("GET", path).status_code == 404


def test_an_actor_events_name_cannot_be_deleted(api, engine, sample):
    with Session(engine) as session:
        russia = session.scalar(select(Actor).where(Actor.slug == "vladimir-putin"))
        assert russia is not None
        actor_id, version = russia.id, russia.version

    response = api("DELETE", f"/api/actors/{actor_id}", headers={"If-Match": f'"{version}"'})

    assert response.status_code == 409
    assert "Nothing was deleted" in response.json()["detail"]
    assert api("GET", f"/api/actors/{actor_id}").status_code == 200


def test_a_slug_taken_by_another_actor_is_422(api, sample):
    response = api("POST", "/api/actors", json={"actor": {"name": "Russia", "kind": "state"}})

    assert response.status_code == 422
    assert "slug" in response.json()["errors"]


def test_sources_can_be_created_cited_changed_and_deleted_when_uncited(api, engine, sample):
    created = api("POST", "/api/sources", json={"source": {
        "publisher": "Élysée", "title": "Readout of the call", "url": "https://example.org/r",
        "published": "2022-02-20",
    }})  # fmt: skip
    assert created.status_code == 201, created.text
    source = created.json()
    path = created.headers["Location"]
    event = create(api, {**NEW_EVENT, "sources": [{"source": source["id"], "quote": "…"}]}).json()

    changed = api("PATCH", path, json={"source": {"title": "Readout"}}, headers={"If-Match": '"1"'})
    stale = api("PATCH", path, json={"source": {"title": "Other"}}, headers={"If-Match": '"1"'})
    bad_url = api("PATCH", path, json={"source": {"url": "javascript:alert(1)"}},
                  headers={"If-Match": '"2"'})  # fmt: skip
    cited = api("DELETE", path, headers={"If-Match": '"2"'})

    assert changed.status_code == 200
    assert changed.headers["ETag"] == '"2"'
    assert changed.json()["source"]["title"] == "Readout"
    assert changed.json()["source"]["published"] == "2022-02-20"
    assert stale.status_code == 412
    assert bad_url.status_code == 422 and "url" in bad_url.json()["errors"]
    assert cited.status_code == 409
    assert "cite" in cited.json()["detail"]

    edited = api("PATCH", f"/api/events/{event['id']}", json={"event": {"sources": []}},
                 headers={"If-Match": '"1"'})  # fmt: skip
    assert edited.status_code == 200
    assert api("DELETE", path, headers={"If-Match": '"2"'}).status_code == 204
    with Session(engine) as session:
        assert session.get(Source, source["id"]) is None


# Documentation


def test_the_openapi_document_describes_the_write_api_with_the_bearer_scheme(client):
    schema = client.get("/openapi.json").json()

    scheme = schema["components"]["securitySchemes"]["bearer"]
    assert (scheme["type"], scheme["scheme"]) == ("http", "bearer")
    for path, method in [
        ("/api/events", "post"), ("/api/events/{event_id}", "get"),
        ("/api/events/{event_id}", "patch"), ("/api/events/{event_id}", "delete"),
        ("/api/events/{event_id}/publish", "post"), ("/api/actors/{actor_id}", "delete"),
        ("/api/sources", "post"),
    ]:  # fmt: skip
        operation = schema["paths"][path][method]
        assert operation["security"] == [{"bearer": []}], path
        assert "401" in operation["responses"], path
    patch = schema["paths"]["/api/events/{event_id}"]["patch"]
    assert {"404", "412", "422", "428"} <= set(patch["responses"])
    assert "409" in schema["paths"]["/api/actors/{actor_id}"]["delete"]["responses"]
    assert any(p["name"] == "If-Match" and p["required"] for p in patch["parameters"])
    body = schema["paths"]["/api/events"]["post"]["requestBody"]["content"]["application/json"]
    assert body["schema"] == {"$ref": "#/components/schemas/EventCreate"}
    assert body["examples"]
    components = schema["components"]["schemas"]
    assert "EventInput" in components and "EventRecord" in components
    assert "HTTPValidationError" not in components
    # Every reference resolves.
    import json

    text = json.dumps(schema)
    for name in {part.split('"')[0] for part in text.split("#/components/schemas/")[1:]}:
        assert name in components, name
    assert client.get("/docs").status_code == 200


def test_the_data_routes_keep_working_alongside(client, sample, token):
    assert client.get("/events.json").status_code == 200
    assert "bearer" not in str(client.get("/openapi.json").json()["paths"]["/events.json"])


def test_ids_are_checked_against_the_real_tables(api, engine, sample):
    with Session(engine) as session:
        source = session.scalar(select(Source).limit(1))
        assert source is not None
    response = api("GET", f"/api/sources/{source.id}")

    assert response.status_code == 200
    assert response.json()["source"]["title"] == source.title
