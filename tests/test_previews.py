"""Preview images: the PNG cards links unfurl into, their cache, and their versions."""

from datetime import UTC, datetime, timedelta
from io import BytesIO
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from PIL import Image
from sqlalchemy import Engine, update
from sqlalchemy.orm import Session

from app import previews
from app.config import Settings
from app.db import write_session
from app.filters import EventFilters
from app.main import create_app
from app.models import Event

BACKGROUND = (0xFB, 0xFA, 0xF7)  # --bg of the light theme


@pytest.fixture
def settings(database_url: str, tmp_path: Path) -> Settings:
    """As in conftest, with a cache directory of this test's own."""
    return Settings(
        database_url=database_url,
        site_title="Brink test",
        timezone="Europe/Kyiv",
        preview_cache_dir=tmp_path / "previews",
    )


def preview_path(engine: Engine, event_id: int) -> str:
    with Session(engine) as session:
        event = session.get(Event, event_id)
        assert event is not None
        return previews.event_preview_path(event)


def png(content: bytes) -> Image.Image:
    image = Image.open(BytesIO(content))
    assert image.format == "PNG"
    return image.convert("RGB")


def assert_margins_are_empty(image: Image.Image) -> None:
    """Nothing drawn in the bottom and right margins: text stayed inside the card."""
    bottom = image.crop((previews.STRIPE, previews.BOTTOM + 2, image.width, image.height))
    right = image.crop((previews.RIGHT + 2, 0, image.width, image.height))
    assert {colour for _, colour in bottom.getcolors(1 << 20)} == {BACKGROUND}
    assert {colour for _, colour in right.getcolors(1 << 20)} == {BACKGROUND}


def test_an_event_preview_is_a_1200_by_630_png(client, make_event, engine):
    event_id = make_event(title="Biden and Putin speak by phone", type_slug="call")

    response = client.get(preview_path(engine, event_id))

    assert response.status_code == 200
    assert response.headers["content-type"] == "image/png"
    assert png(response.content).size == (1200, 630)
    assert "immutable" in response.headers["cache-control"]  # the versioned URL never changes


def test_the_preview_path_carries_a_version_and_an_unversioned_url_is_not_cached_forever(
    client, make_event, engine
):
    event_id = make_event()
    path = preview_path(engine, event_id)

    response = client.get(f"/previews/events/{event_id}.png")

    assert path.startswith(f"/previews/events/{event_id}.png?v=")
    assert response.status_code == 200
    assert "immutable" not in response.headers["cache-control"]
    assert "max-age" in response.headers["cache-control"]


def test_a_cached_preview_is_the_same_bytes_and_is_not_drawn_again(
    client, make_event, engine, monkeypatch, settings
):
    path = preview_path(engine, make_event())
    first = client.get(path)

    def draw_again(*args: object) -> bytes:
        raise AssertionError("a cached card was drawn again")

    monkeypatch.setattr(previews, "render_card", draw_again)
    second = client.get(path)

    assert second.content == first.content
    assert second.headers["etag"] == first.headers["etag"]
    key = first.headers["etag"].strip('"')
    assert (settings.preview_cache_dir / f"{key}.png").read_bytes() == first.content


def test_a_client_that_has_the_preview_gets_304(client, make_event, engine):
    path = preview_path(engine, make_event())
    etag = client.get(path).headers["etag"]

    response = client.get(path, headers={"If-None-Match": etag})
    listed = client.get(path, headers={"If-None-Match": f'"other", W/{etag}'})

    assert response.status_code == 304
    assert response.content == b""
    assert response.headers["etag"] == etag
    assert listed.status_code == 304


def test_editing_an_event_changes_its_preview_path_and_image(client, make_event, engine):
    event_id = make_event(title="Scholz to visit Kyiv")
    old_path = preview_path(engine, event_id)
    old = client.get(old_path)
    with write_session(engine) as session:
        session.execute(
            update(Event)
            .where(Event.id == event_id)
            .values(title="Scholz visits Kyiv", updated_at=datetime.now(UTC) + timedelta(1))
        )

    new_path = preview_path(engine, event_id)
    new = client.get(new_path)
    stale = client.get(old_path, headers={"If-None-Match": old.headers["etag"]})

    assert new_path != old_path
    assert new.content != old.content
    assert new.headers["etag"] != old.headers["etag"]
    assert stale.status_code == 200  # the old URL now answers with the new card
    assert stale.content == new.content
    assert "immutable" not in stale.headers["cache-control"]


@pytest.mark.parametrize(
    "title",
    [
        "Sanctions " * 30,  # 300 characters, the most a title holds
        "Зеленський: «Ми не панікуємо» — президент України закликав громадян зберігати спокій",
        "Ω" * 300,  # one word wider than any line
    ],
    ids=["long", "cyrillic", "unbroken"],
)
def test_long_and_non_latin_titles_stay_inside_the_card(client, make_event, engine, title):
    event_id = make_event(
        title=title.strip(),
        status="postponed",
        verification="disputed",
        place_name="Kyiv " * 30,
        start_precision="minute",
        actors=[(f"actor-with-a-long-name-{n}", "participant") for n in range(12)],
    )

    response = client.get(preview_path(engine, event_id))

    assert response.status_code == 200
    image = png(response.content)
    assert image.size == (1200, 630)
    assert_margins_are_empty(image)


def test_a_500_character_title_is_cut_to_four_lines_with_an_ellipsis():
    face = previews.font("bold", 46)

    lines = previews.wrap("Words that go on " * 30, face, previews.LINE_WIDTH, 4)

    assert len(lines) == 4
    assert lines[-1].endswith("…")
    assert all(face.getlength(line) <= previews.LINE_WIDTH for line in lines)


def test_a_card_with_everything_too_long_stays_inside_the_canvas():
    data = previews.EventCardData(
        site="A site with a very long name " * 5,
        type_slug="travel-advisory",
        type_label="Travel advisory",
        when="around week of 7 Feb 2022 – around week of 14 Feb 2022 " * 3,
        zone="Kyiv time",
        place="Somewhere " * 20,
        title="x" * 500,
        actors=tuple("Організація з безпеки і співробітництва в Європі" for _ in range(9)),
        badges=(("Cancelled", "status-cancelled"), ("Disputed", "verification-disputed")),
    )

    image = png(previews.render_card(data))

    assert image.size == (1200, 630)
    assert_margins_are_empty(image)


def test_a_view_preview_shows_a_filtered_view(client, make_event):
    make_event(title="Macron and Putin speak", type_slug="call")
    make_event(title="Kremlin statement", type_slug="statement")

    calls = client.get("/previews/timeline.png?type=call")
    everything = client.get("/previews/timeline.png")

    assert calls.status_code == 200
    assert calls.headers["content-type"] == "image/png"
    assert png(calls.content).size == (1200, 630)
    assert_margins_are_empty(png(calls.content))
    assert calls.content != everything.content


def test_a_new_event_in_a_view_changes_its_preview(client, make_event):
    make_event(title="Macron and Putin speak", type_slug="call")
    before = client.get("/previews/timeline.png?type=call")
    make_event(title="Biden and Putin speak", type_slug="call")

    after = client.get("/previews/timeline.png?type=call")
    revalidated = client.get(
        "/previews/timeline.png?type=call", headers={"If-None-Match": before.headers["etag"]}
    )

    assert after.headers["etag"] != before.headers["etag"]
    assert after.content != before.content
    assert revalidated.status_code == 200


def test_an_empty_view_has_a_preview(client, make_event):
    make_event(type_slug="statement")

    response = client.get("/previews/timeline.png?type=call&from=2030-01-01")

    assert response.status_code == 200
    assert png(response.content).size == (1200, 630)


def test_the_view_preview_path_is_the_canonical_view_without_its_page_position():
    filters = EventFilters.from_query("type=call&actor=france&around=12&order=newest")

    assert previews.view_preview_path(filters) == "/previews/timeline.png?actor=france&type=call"
    assert previews.view_preview_path(EventFilters()) == "/previews/timeline.png"


@pytest.mark.parametrize(
    "path",
    [
        "/previews/events/999999.png",
        "/previews/events/99999999999999999999.png",
        "/previews/events/abc.png",
        "/previews/events/-1.png",
    ],
)
def test_an_unknown_event_has_no_preview(client, path):
    assert client.get(path).status_code == 404


def test_an_unpublished_event_has_no_preview(client, make_event):
    event_id = make_event(published=False)

    assert client.get(f"/previews/events/{event_id}.png").status_code == 404


@pytest.mark.parametrize(
    "query",
    [
        "type=%25%25%25&actor=%3Cscript%3E&status=gone&verification=maybe",
        "from=2022-02-30&to=yesterday&order=sideways&match=most",
        "cursor=not-a-cursor&around=twelve",
        "around=99999999999999999999",
        "q=%22%22%22((((&q=-",
        "q=" + "word " * 100,
        "actor=nobody&actor=nothing&match=all&only=1",
        "type=" + "&type=".join(["call"] * 50),
        "v=%00%ff&from=0000-00-00",
    ],
)
def test_garbage_parameters_still_give_an_image(client, make_event, query):
    make_event(type_slug="call")

    response = client.get(f"/previews/timeline.png?{query}")
    event = client.get(f"/previews/events/1.png?{query}")

    assert response.status_code == 200
    assert response.headers["content-type"] == "image/png"
    assert event.status_code in (200, 404)


def test_a_head_request_gets_the_headers_of_the_image(client, make_event, engine):
    path = preview_path(engine, make_event())

    response = client.head(path)

    assert response.status_code == 200
    assert response.headers["content-type"] == "image/png"
    assert response.content == b""


def test_a_cache_that_cannot_be_written_costs_speed_not_the_image(
    database_url, tmp_path, make_event
):
    blocked = tmp_path / "not-a-directory"
    blocked.write_text("a file where the cache directory should be")
    app = create_app(Settings(database_url=database_url, preview_cache_dir=blocked))
    make_event()

    with TestClient(app) as client:
        response = client.get("/previews/timeline.png")
    app.state.engine.dispose()

    assert response.status_code == 200
    assert png(response.content).size == (1200, 630)
