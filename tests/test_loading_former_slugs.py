"""Former actor slugs in data files: loaded, validated with file:line, and renaming an actor
in place so that its events, and every link made with its old slug, stay with it."""

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.loading import LoadError, load_file
from app.models import Actor, ActorFormerSlug, EventActor

HEADER = """[[sources]]
key = "report"
publisher = "Wire"
title = "A report"
"""
EVENT = """
[[events]]
key = "embassy-moves"
title = "The embassy moves to Lviv"
type = "evacuation"
start = 2022-02-14
actors = [{{ slug = "{slug}", role = "initiator" }}]
sources = [{{ key = "report" }}]
"""


def crisis_file(tmp_path, actors: str, event_actor: str, name: str = "crisis.toml"):
    path = tmp_path / name
    path.write_text(HEADER + actors + EVENT.format(slug=event_actor), encoding="utf-8")
    return path


def former_slugs(engine) -> dict[str, str]:
    with Session(engine) as session:
        rows = session.execute(
            select(ActorFormerSlug.slug, Actor.slug).join(
                Actor, Actor.id == ActorFormerSlug.actor_id
            )
        )
        return dict(rows.all())


def test_renaming_an_actor_keeps_its_id_and_events_and_redirects_the_old_slug(
    engine, settings, client, tmp_path
):
    before = crisis_file(
        tmp_path,
        '\n[[actors]]\nslug = "us-embassy-kiev"\nname = "US Embassy in Kiev"\nkind = "agency"\n',
        "us-embassy-kiev",
        "before.toml",
    )
    after = crisis_file(
        tmp_path,
        """
[[actors]]
slug = "us-embassy-kyiv"
name = "US Embassy in Kyiv"
kind = "agency"
former_slugs = ["us-embassy-kiev"]
""",
        "us-embassy-kyiv",
        "after.toml",
    )
    load_file(engine, before, settings.zone)
    with Session(engine) as session:
        old_id = session.scalar(select(Actor.id))

    report = load_file(engine, after, settings.zone)
    again = load_file(engine, after, settings.zone)

    assert report.updated["actors"] == 1 and report.created["actors"] == 0
    assert not again.changed
    with Session(engine) as session:
        assert session.execute(select(Actor.id, Actor.slug)).all() == [(old_id, "us-embassy-kyiv")]
        assert session.scalar(select(func.count()).select_from(EventActor)) == 1
    assert former_slugs(engine) == {"us-embassy-kiev": "us-embassy-kyiv"}
    page = client.get("/actors/us-embassy-kiev")
    assert (page.status_code, page.headers["location"]) == (301, "/actors/us-embassy-kyiv")
    timeline = client.get("/?actor=us-embassy-kiev")
    assert (timeline.status_code, timeline.headers["location"]) == (303, "/?actor=us-embassy-kyiv")


def test_a_former_slug_moves_to_the_actor_the_file_now_gives_it_to(engine, settings, tmp_path):
    actors = """
[[actors]]
slug = "kyiv"
name = "Kyiv"
kind = "state"
{kyiv}
[[actors]]
slug = "kyiv-city"
name = "Kyiv city administration"
kind = "agency"
{city}
"""
    first = crisis_file(
        tmp_path, actors.format(kyiv='former_slugs = ["kiev"]', city=""), "kyiv", "first.toml"
    )
    second = crisis_file(
        tmp_path, actors.format(kyiv="", city='former_slugs = ["kiev"]'), "kyiv", "second.toml"
    )

    load_file(engine, first, settings.zone)
    assert former_slugs(engine) == {"kiev": "kyiv"}
    load_file(engine, second, settings.zone)
    assert former_slugs(engine) == {"kiev": "kyiv-city"}


@pytest.mark.parametrize(
    ("actors", "problem"),
    [
        (
            'former_slugs = ["Not A Slug"]',
            ":12: actors.1.former_slugs.0: String should match pattern",
        ),
        ('former_slugs = ["russia"]', ":12: actors[1]: former slug 'russia' is an actor's current"),
        ('former_slugs = ["putin"]', ":12: actors[1]: former slug 'putin' is given twice"),
        ('former_slugs = "putin"', ":12: actors.1.former_slugs: Input should be a valid list"),
    ],
)
def test_bad_former_slugs_are_reported_by_line_and_nothing_is_written(
    engine, settings, tmp_path, actors, problem
):
    path = crisis_file(
        tmp_path,
        f"""
[[actors]]
slug = "russia"
name = "Russia"
kind = "state"
former_slugs = ["putin"]

[[actors]]
slug = "kremlin"
name = "Kremlin"
kind = "agency"
{actors}
""",
        "russia",
    )

    with pytest.raises(LoadError) as error:
        load_file(engine, path, settings.zone)

    assert any(line.startswith(f"{path}{problem}") for line in error.value.problems), (
        error.value.problems
    )
    with Session(engine) as session:
        assert session.scalar(select(func.count()).select_from(Actor)) == 0


def test_a_former_slug_that_is_another_actors_slug_in_the_database_is_refused(
    engine, settings, tmp_path, make_event
):
    make_event(actors=[("kiev", "initiator")])  # an actor the file does not know about
    path = crisis_file(
        tmp_path,
        """
[[actors]]
slug = "kyiv"
name = "Kyiv"
kind = "state"

[[actors]]
slug = "kyiv-city"
name = "Kyiv city administration"
kind = "agency"
former_slugs = ["kyiv-old", "kiev"]
""",
        "kyiv",
    )
    old = crisis_file(
        tmp_path,
        '\n[[actors]]\nslug = "kyiv-old"\nname = "K"\nkind = "state"\n',
        "kyiv-old",
        "old.toml",
    )
    load_file(engine, old, settings.zone)

    with pytest.raises(LoadError) as error:
        load_file(engine, path, settings.zone)

    # kyiv-old is kyiv-city itself, renamed; kiev is somebody else.
    assert error.value.problems == [
        f"{path}: actors[1]: former slug 'kiev' is the slug of another actor"
    ]
