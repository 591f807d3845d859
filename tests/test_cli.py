import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from app.cli import cli
from app.config import get_settings
from app.models import Event


@pytest.fixture
def run(monkeypatch):
    """Run `brink …` against a database URL, with settings read afresh as a new process would."""

    def invoke(url, *args, input=None):
        monkeypatch.setenv("BRINK_DATABASE_URL", url)
        monkeypatch.setenv("BRINK_TIMEZONE", "Europe/Kyiv")
        get_settings.cache_clear()
        try:
            return CliRunner().invoke(cli, list(args), input=input)
        finally:
            get_settings.cache_clear()

    return invoke


def test_a_database_that_cannot_be_opened_is_named_with_the_reason(run, tmp_path, backend):
    url = f"sqlite:///{tmp_path}/missing/dir/brink.db"
    if backend == "postgresql":
        url = "postgresql://brink@127.0.0.1:1/brink"

    result = run(url, "migrate")

    assert result.exit_code == 1
    assert "cannot open database" in result.output
    assert url.split("://")[1].split("/")[0] in result.output
    assert ("unable to open database file" in result.output) or ("refused" in result.output)


def test_load_sample_refuses_a_database_without_schema(run, empty_database_url):
    result = run(empty_database_url, "load-sample")

    assert result.exit_code == 1
    assert "run 'brink migrate' first" in result.output


def test_load_sample_loads_once_and_a_second_load_changes_nothing(run, database_url, engine):
    first = run(database_url, "load-sample")
    with Session(engine) as session:
        count, last_update = session.execute(select(func.count(), func.max(Event.updated_at))).one()
    second = run(database_url, "load-sample")
    with Session(engine) as session:
        after = session.execute(select(func.count(), func.max(Event.updated_at))).one()

    assert first.exit_code == 0, first.output
    assert second.exit_code == 0, second.output
    assert "created 0 actors, 0 sources, 0 events; updated 0 actors, 0 sources, 0 events" in (
        " ".join(second.output.split())
    )
    assert tuple(after) == (count, last_update)
    assert 35 <= count <= 50


def test_load_sample_if_empty_leaves_a_database_with_events_alone(run, database_url, make_event):
    make_event(title="Already here")

    result = run(database_url, "load-sample", "--if-empty")

    assert result.exit_code == 0
    assert "already has events" in result.output


def test_a_bad_data_file_is_reported_by_line_and_nothing_is_written(
    run, database_url, engine, tmp_path
):
    data = tmp_path / "bad.toml"
    data.write_text(
        """
[[sources]]
key = "report"
publisher = "Wire"
title = "A report"

[[actors]]
slug = "russia"
name = "Russia"
kind = "state"

[[events]]
key = "good-event"
title = "A good event"
type = "statement"
start = 2022-02-12
actors = [{ slug = "russia", role = "initiator" }]
sources = [{ key = "report" }]

[[events]]
key = "bad-event"
title = "A bad event"
type = "statement"
status = "rumoured"
start = 2022-02-30
actors = [{ slug = "nobody", role = "initiator" }]
sources = [{ key = "report" }]
""",
        encoding="utf-8",
    )

    result = run(database_url, "load-sample", "--file", str(data))

    assert result.exit_code == 1
    assert f"{data}:" in result.output
    assert "nothing was loaded" in result.output
    with Session(engine) as session:
        assert session.scalar(select(func.count()).select_from(Event)) == 0


def test_a_semantic_problem_names_the_line_of_its_record(run, database_url, tmp_path):
    data = tmp_path / "bad.toml"
    data.write_text(
        """[[sources]]
key = "report"
publisher = "Wire"
title = "A report"

[[actors]]
slug = "russia"
name = "Russia"
kind = "state"

[[events]]
key = "bad-event"
title = "A bad event"
type = "statement"
status = "rumoured"
start = 2022-02-12
actors = [{ slug = "nobody", role = "initiator" }]
sources = [{ key = "report" }]
""",
        encoding="utf-8",
    )

    result = run(database_url, "load-sample", "--file", str(data))
    output = " ".join(result.output.split())

    assert result.exit_code == 1
    assert f"{data}:11: events.0.status" in output
