"""HTTP caching and compression: gzip, ETag and Last-Modified, 304s, Cache-Control."""

import gzip
import re
from datetime import timedelta
from email.utils import format_datetime, parsedate_to_datetime

import httpx2
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import event, select

from app import editing
from app.db import write_session
from app.editing import EventInput
from app.models import Event
from tests.accounts import EDITOR, log_in

CALL = "Biden and Putin speak by phone"  # a sample event
GZIP = {"Accept-Encoding": "gzip"}
IDENTITY = {"Accept-Encoding": "identity"}

# Readers' pages and data; {event} is the sample call's id.
PAGES = ["/", "/?type=call&order=oldest", "/actors", "/actors/russia", "/events/{event}/{slug}",
         "/changes", "/embed", "/embed/events/{event}"]  # fmt: skip
DATA = ["/events.json", "/events.json?actor=france", "/events.csv", "/events/{event}.json",
        "/actors.json", "/actors/russia.json", "/events.atom", "/events.ics"]  # fmt: skip


def call(engine) -> Event:
    with write_session(engine) as session:
        found = session.scalar(select(Event).where(Event.title == CALL))
        assert found is not None
        return found


def url(engine, path: str) -> str:
    event = call(engine)
    return path.format(event=event.id, slug=event.slug)


def edit_call(engine, settings, **changes) -> None:
    """Save changed fields over the sample call, as the desk's form does."""
    with write_session(engine) as session:
        record = editing.load_event(session, call(engine).id)
        assert record is not None
        data = editing.event_input(record, settings.zone).model_dump()
        data = editing.parse(EventInput, {**data, **changes})
        assert editing.update_event(
            session, record, data, settings.zone, None, expected_version=None
        )


def without_generated_time(html: str) -> str:
    """A timeline says when it was made, to the second; two requests may straddle one."""
    return re.sub(r'<p class="generated">.*?</p>', "", html)


def statements_for(client: TestClient, path: str, headers: dict[str, str]):
    """GET `path` and the SQL statements it cost (transaction bookkeeping left out)."""
    statements: list[str] = []

    def record(*args) -> None:
        statements.append(args[2])

    engine = client.app.state.engine  # type: ignore[attr-defined]
    event.listen(engine, "before_cursor_execute", record)
    try:
        response = client.get(path, headers=headers)
    finally:
        event.remove(engine, "before_cursor_execute", record)
    return response, [s for s in statements if not s.lstrip().upper().startswith("BEGIN")]


# Compression


@pytest.mark.parametrize("path", ["/", "/events.json", "/events.csv"])
def test_text_is_gzipped_for_clients_that_accept_it(client, sample, path):
    plain = client.get(path, headers=IDENTITY)
    with client.stream("GET", path, headers=GZIP) as response:
        raw = b"".join(response.iter_raw())

    assert plain.status_code == response.status_code == 200
    assert "content-encoding" not in plain.headers
    assert response.headers["content-encoding"] == "gzip"
    assert "Accept-Encoding" in response.headers["vary"]
    assert len(raw) < len(plain.content) / 2
    unzipped = gzip.decompress(raw).decode()
    assert without_generated_time(unzipped) == without_generated_time(plain.text)


@pytest.mark.parametrize("path", ["/events.atom", "/events.ics", "/actors/russia", "/embed"])
def test_feeds_calendars_and_other_pages_are_gzipped_too(client, sample, path):
    response = client.get(path, headers=GZIP)

    assert response.status_code == 200
    assert response.headers["content-encoding"] == "gzip"


def test_small_responses_are_sent_as_they_are(client, sample):
    response = client.get("/actors.json?q=nobody-by-this-name", headers=GZIP)

    assert response.json()["actors"] == []
    assert "content-encoding" not in response.headers
    assert response.headers["etag"]  # still validated


def test_preview_images_are_not_compressed_again_and_keep_their_own_etag(client, engine, sample):
    path = f"/previews/events/{call(engine).id}.png"
    response = client.get(path, headers=GZIP)

    assert response.headers["content-type"] == "image/png"
    assert "content-encoding" not in response.headers
    etag = response.headers["etag"]
    assert not etag.startswith("W/")  # the card's own key (app/routes/previews.py)
    assert response.headers["cache-control"] == "public, max-age=600"
    assert client.get(path, headers={"If-None-Match": etag}).status_code == 304


# Validators


@pytest.mark.parametrize("path", PAGES + DATA)
def test_readers_pages_and_data_have_validators_and_public_caching(client, engine, sample, path):
    response = client.get(url(engine, path))

    assert response.status_code == 200
    assert re.fullmatch(r'W/"[0-9a-f]{32}"', response.headers["etag"])
    parsedate_to_datetime(response.headers["last-modified"])
    assert response.headers["cache-control"].startswith("public")
    vary = [name.strip().lower() for name in response.headers["vary"].split(",")]
    assert "accept-encoding" in vary and "hx-request" in vary
    assert len(vary) == len(set(vary))  # each name once, whoever added it


@pytest.mark.parametrize("path", ["/", "/events.json", "/actors/russia"])
def test_pages_and_data_may_be_held_briefly_by_shared_caches_only(client, sample, path):
    response = client.get(path)

    # Browsers ask again every time; a proxy or a CDN may answer for a minute.
    assert response.headers["cache-control"] == "public, max-age=0, s-maxage=60"


@pytest.mark.parametrize("path", PAGES + DATA)
def test_a_conditional_get_that_matches_is_304_with_no_body(client, engine, sample, path):
    path = url(engine, path)
    first = client.get(path)

    again = client.get(path, headers={"If-None-Match": first.headers["etag"]})

    assert again.status_code == 304
    assert again.content == b""
    assert again.headers["etag"] == first.headers["etag"]
    assert again.headers["last-modified"] == first.headers["last-modified"]
    assert again.headers["cache-control"].startswith("public")
    assert "HX-Request" in again.headers["vary"]


def test_if_none_match_compares_weakly_and_takes_a_list(client, sample):
    etag = client.get("/events.json").headers["etag"]
    strong = etag.removeprefix("W/")

    for given in (strong, f'"other", {etag}', f'W/"other" , {strong}'):
        assert client.get("/events.json", headers={"If-None-Match": given}).status_code == 304
    assert client.get("/events.json", headers={"If-None-Match": '"other"'}).status_code == 200


def test_a_304_costs_one_query_and_no_rendering(client, sample):
    full, statements = statements_for(client, "/", {})
    assert len(statements) > 2

    again, statements = statements_for(client, "/", {"If-None-Match": full.headers["etag"]})

    assert again.status_code == 304
    assert len(statements) == 1  # the data version (queries.data_version)


def test_a_page_asked_for_again_is_sent_from_memory_without_rendering(client, sample):
    first, statements = statements_for(client, "/?type=call", {})
    assert len(statements) > 2

    again, statements = statements_for(client, "/?type=call", {})

    assert again.status_code == 200
    assert len(statements) == 1  # the data version: the page is the one rendered before
    assert again.content == first.content
    assert again.headers["etag"] == first.headers["etag"]
    assert again.headers["x-frame-options"] == first.headers["x-frame-options"]
    assert again.headers.get_list("x-frame-options") == ["DENY"]  # not added twice


def test_gzipped_and_plain_copies_are_kept_apart(client, sample):
    plain = client.get("/events.json", headers=IDENTITY)
    zipped = client.get("/events.json", headers=GZIP)
    plain_again = client.get("/events.json", headers=IDENTITY)
    zipped_again = client.get("/events.json", headers=GZIP)

    assert "content-encoding" not in plain_again.headers
    assert zipped_again.headers["content-encoding"] == "gzip"
    assert plain_again.json() == plain.json() == zipped_again.json() == zipped.json()


def test_a_kept_page_is_never_shown_to_a_signed_in_editor(client, sample, users):
    assert "Editor sign-in" in client.get("/?type=call").text  # a reader's copy, kept
    assert "Editor sign-in" in client.get("/?type=call").text

    log_in(client, EDITOR)
    page = client.get("/?type=call")

    assert "Editor sign-in" not in page.text
    assert "Signed in as" in page.text
    assert "etag" not in page.headers


def test_an_edit_gives_a_new_etag_and_the_new_content(client, engine, settings, sample):
    paths = [url(engine, path) for path in ("/", "/events/{event}/{slug}", "/events/{event}.json")]
    before = {path: client.get(path).headers["etag"] for path in paths}

    edit_call(engine, settings, summary="They spoke for an hour.")

    for path in paths:
        response = client.get(path, headers={"If-None-Match": before[path]})
        assert response.status_code == 200, path
        assert response.headers["etag"] != before[path]
        assert "They spoke for an hour." in response.text
        after = client.get(path, headers={"If-None-Match": response.headers["etag"]})
        assert after.status_code == 304


def test_a_new_event_gives_every_page_a_new_etag(client, sample, make_event):
    before = client.get("/actors/russia").headers["etag"]

    make_event(title="Something new")  # not written through the desk: no revision, a new id

    assert client.get("/actors/russia", headers={"If-None-Match": before}).status_code == 200


def test_if_modified_since(client, sample):
    first = client.get("/events.json")
    modified = parsedate_to_datetime(first.headers["last-modified"])

    def since(moment) -> int:
        headers = {"If-Modified-Since": format_datetime(moment, usegmt=True)}
        return client.get("/events.json", headers=headers).status_code

    assert since(modified) == 304
    assert since(modified + timedelta(hours=1)) == 304
    assert since(modified - timedelta(seconds=1)) == 200
    garbage = client.get("/events.json", headers={"If-Modified-Since": "last Tuesday"})
    assert garbage.status_code == 200
    # If-None-Match decides when both are sent (RFC 9110 13.2.2).
    both = {"If-None-Match": '"other"', "If-Modified-Since": first.headers["last-modified"]}
    assert client.get("/events.json", headers=both).status_code == 200


def test_htmx_fragments_have_their_own_etag(client, sample):
    page = client.get("/?type=call")
    fragment_request = {"HX-Request": "true", "HX-Target": "results"}
    fragment = client.get("/?type=call", headers=fragment_request)

    assert "<html" in page.text and "<html" not in fragment.text
    assert fragment.headers["etag"] != page.headers["etag"]
    # The page's ETag never answers for its fragment, nor the other way round.
    asked = {**fragment_request, "If-None-Match": page.headers["etag"]}
    assert client.get("/?type=call", headers=asked).status_code == 200
    asked = {**fragment_request, "If-None-Match": fragment.headers["etag"]}
    assert client.get("/?type=call", headers=asked).status_code == 304
    asked = {"If-None-Match": fragment.headers["etag"]}
    assert client.get("/?type=call", headers=asked).status_code == 200


def test_if_none_match_star_is_304_only_where_something_exists(client, sample):
    star = {"If-None-Match": "*"}

    assert client.get("/events.json", headers=star).status_code == 304
    missing = client.get("/events/99999999.json", headers=star)
    assert missing.status_code == 404
    assert missing.json()["error"]


# What is never cached


def test_signed_in_readers_get_private_pages_without_validators(client, sample, users):
    anonymous = client.get("/").headers["etag"]
    log_in(client, EDITOR)

    for path in ("/", "/events.json", "/actors/russia"):
        response = client.get(path, headers={"If-None-Match": anonymous})
        assert response.status_code == 200, path
        assert "etag" not in response.headers
        assert "public" not in response.headers.get("cache-control", "")
    assert client.get("/").headers["cache-control"] == "private, no-store"


def test_posts_are_never_answered_304(client, sample):
    etag = client.get("/events.json").headers["etag"]

    for given in (etag, "*"):
        response = client.post("/events.json", headers={"If-None-Match": given})
        assert response.status_code == 405
        assert "etag" not in response.headers
    login = client.post("/login", data={"email": "x@example.org"}, headers={"If-None-Match": "*"})
    assert login.status_code not in (200, 304)
    assert "etag" not in login.headers


@pytest.mark.parametrize(
    "path", ["/events/{event}", "/nowhere", "/events/99999999.json", "/actors/nobody",
             "/events.json?type=nonsense", "/login", "/desk", "/api/events"]
)  # fmt: skip
def test_errors_redirects_and_editorial_pages_have_no_public_validators(
    client, engine, sample, path
):
    response = client.get(url(engine, path))

    assert "etag" not in response.headers, response.status_code
    assert "public" not in response.headers.get("cache-control", "")


def test_static_files_are_validated_and_held_briefly_unless_versioned(client):
    css = client.get("/static/brink.css", headers=GZIP)
    assert css.headers["cache-control"] == "public, max-age=300"
    assert css.headers["content-encoding"] == "gzip"
    assert css.headers["etag"].startswith("W/")  # gzip: the same file, not the same bytes
    assert css.headers["last-modified"]
    revalidated = client.get("/static/brink.css", headers={"If-None-Match": css.headers["etag"]})
    assert revalidated.status_code == 304

    htmx = client.get("/static/htmx-2.0.11.min.js")
    assert htmx.headers["cache-control"] == "public, max-age=31536000, immutable"


def test_the_live_stream_is_neither_compressed_nor_cached(live_server):
    headers = {**GZIP, "If-None-Match": "*", "Accept": "text/event-stream"}
    with (
        httpx2.Client(base_url=live_server, timeout=10) as http,
        http.stream("GET", "/events/stream", headers=headers) as response,
    ):
        first = next(response.iter_raw())  # sent at once, not held back for a bigger chunk

    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/event-stream")
    assert "content-encoding" not in response.headers
    assert "etag" not in response.headers
    assert response.headers["cache-control"] == "no-store"
    assert first.startswith(b"retry:")


def test_head_is_validated_like_get(client, sample):
    etag = client.get("/events.json").headers["etag"]

    response = client.head("/events.json", headers={"If-None-Match": etag})

    assert response.status_code == 304
    assert response.headers["etag"] == etag
