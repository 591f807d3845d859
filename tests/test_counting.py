"""The kept counts (app/counting.py): after every kind of change they equal a count from
scratch, and every page reads the same whether its totals and facets add them up or count
the events."""

import re
from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from app import counting
from app.main import create_app
from app.models import Actor
from tests.test_api_write import NEW_EVENT, create, make_token


@pytest.fixture
def api(client, engine, users):
    """The client, with an editor's token on every request (as in test_api_write)."""
    token = make_token(engine)

    def call(method: str, path: str, *, headers: dict | None = None, **kwargs):
        headers = {"Authorization": f"Bearer {token}", **(headers or {})}
        return client.request(method, path, headers=headers, **kwargs)

    return call


def totals(connection) -> dict[tuple, tuple]:
    """Each table's counts by key (rows are additions: summed), without those adding up to
    nothing."""
    found = {}
    for table in counting.TABLES:
        key = [getattr(table, name) for name in counting._KEY]
        query = select(*key, func.sum(table.events), func.sum(table.ranges)).group_by(*key)
        for *values, events, ranges in connection.execute(query):
            if events or ranges:
                found[(table.__tablename__, *values)] = (events, ranges)
    return found


def kept(engine) -> dict[tuple, tuple]:
    with engine.connect() as connection:
        return totals(connection)


def recounted(engine) -> dict[tuple, tuple]:
    """What a rebuild gives (rolled back: the kept counts stay as they were)."""
    with engine.connect() as connection, connection.begin() as transaction:
        counting.rebuild(connection, counting.zone_of(connection))
        rows = totals(connection)
        transaction.rollback()
    return rows


def test_moving_an_actor_under_another_parent_moves_its_counts(api, client, engine, sample):
    assert kept(engine) == recounted(engine) != {}
    with engine.connect() as connection:
        ids = dict(connection.execute(select(Actor.slug, Actor.id)).all())
    putin, france = ids["vladimir-putin"], ids["france"]
    before = kept(engine)

    moved = api(
        "PATCH", f"/api/actors/{putin}", json={"actor": {"parent": france}},
        headers={"If-Match": api("GET", f"/api/actors/{putin}").headers["ETag"]},
    )  # fmt: skip

    assert moved.status_code == 200, moved.text
    after = kept(engine)
    assert after == recounted(engine)

    def events_of(counts: dict, actor_id: int) -> int:
        return sum(v[0] for k, v in counts.items() if k[:2] == ("event_counts", actor_id))

    gained = events_of(after, france) - events_of(before, france)
    assert 0 < gained <= events_of(after, putin)
    assert events_of(after, ids["russia"]) < events_of(before, ids["russia"])


def test_each_step_leaves_the_counts_right(api, client, engine, sample):
    """As above, but checked after each change: a wrong step cannot hide behind a later one."""
    created = create(api, publish=True).json()
    path = f"/api/events/{created['id']}"
    assert kept(engine) == recounted(engine)
    for method, suffix, body in [
        ("PATCH", "", {"json": {"event": {"start": "2022-02-27T23:59", "type": "call"}}}),
        ("PATCH", "", {"json": {"event": {"verification": "disputed", "end": "2022-03-02"}}}),
        ("POST", "/unpublish", {}),
        ("POST", "/publish", {}),
        ("DELETE", "", {}),
        ("POST", "/restore", {}),
    ]:
        etag = api("GET", path).headers["ETag"]
        response = api(method, path + suffix, headers={"If-Match": etag}, **body)
        assert response.status_code in (200, 204), response.text
        assert kept(engine) == recounted(engine), f"after {method} {suffix or body}"


def test_a_day_is_a_day_in_the_crisis_zone(api, client, engine, sample):
    """00:30 in Kyiv on the 20th is the 19th in UTC: the counts and the list both say the
    20th."""
    event = {**NEW_EVENT, "title": "Just after midnight", "start": "2022-02-20T00:30"}
    create(api, event=event, publish=True)

    on_the_20th = client.get("/events.json?from=2022-02-20&to=2022-02-20&q=midnight").json()
    on_the_19th = client.get("/events.json?from=2022-02-19&to=2022-02-19").json()

    assert [e["title"] for e in on_the_20th["events"]] == ["Just after midnight"]
    assert "Just after midnight" not in [e["title"] for e in on_the_19th["events"]]
    counts = kept(engine)
    on_day = {key[2] for key in counts if key[:2] == ("event_counts", 0)}
    assert date(2022, 2, 20) in on_day
    assert date(2022, 2, 19) not in on_day  # no sample event that day: none in UTC either


def test_another_zone_rebuilds_the_counts_in_its_days(engine, client, sample):
    with engine.connect() as connection:
        assert counting.zone_of(connection) == "Europe/Kyiv"
    in_kyiv = kept(engine)

    assert counting.ensure(engine, ZoneInfo("America/New_York")) == "America/New_York"
    with engine.connect() as connection:
        assert counting.zone_of(connection) == "America/New_York"
    in_new_york = kept(engine)
    assert in_new_york == recounted(engine)
    assert in_new_york != in_kyiv  # events in the small hours of Kyiv are the day before there
    assert counting.ensure(engine, ZoneInfo("Europe/Kyiv")) == "Europe/Kyiv"
    assert kept(engine) == in_kyiv


URLS = [
    "/",
    "/?actor=russia",
    "/?actor=vladimir-putin&type=call",
    "/?actor=united-states&status=occurred&verification=confirmed",
    "/?type=drill&type=deployment",
    "/?from=2022-02-15&to=2022-02-18",  # a range under way on the 15th counts
    "/?from=2022-02-15",
    "/?to=2022-02-10&actor=ukraine",
    "/?actor=russia&from=2022-02-12&to=2022-02-20&type=drill",
    "/events.json?actor=nato&from=2022-02-14",
    "/?actor=russia&actor=ukraine&match=all",
    "/?actor=russia&actor=belarus",
    "/?actor=russia&only=1",
    "/?q=troops",
    "/?view=lanes",
    "/?view=lanes&from=2022-02-16&to=2022-02-24",
    "/actors",
    "/actors/russia",
    "/actors.json",
    "/?actor=russia&from=2022-02-16",
]


@pytest.mark.parametrize("url", URLS)
def test_pages_read_the_same_with_the_kept_counts_as_with_counting_events(settings, sample, url):
    app = create_app(settings.model_copy(update={"response_cache_mb": 0}))
    with TestClient(app) as client:
        assert app.state.counts_zone == "Europe/Kyiv"
        kept_counts = client.get(url)
        app.state.counts_zone = None  # every count from the events
        counted = client.get(url)
    app.state.engine.dispose()

    assert kept_counts.status_code == counted.status_code == 200
    assert now_masked(kept_counts.text) == now_masked(counted.text)


def now_masked(page: str) -> str:
    """A page without the moments it was made at (its clock ticks between the two)."""
    today = datetime.now(ZoneInfo("Europe/Kyiv")).date().isoformat()
    page = re.sub(rf'<time datetime="{today}T[^"]*">[^<]*</time>', "<time>now</time>", page)
    return re.sub(rf"{today}T[0-9:.]+", "now", page)
