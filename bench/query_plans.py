"""Every SQL statement a timeline view runs, with the database's plan for it.

    python bench/query_plans.py --database-url sqlite:////tmp/brink-10k.db > plans-sqlite.md

Requests each view through the real app (so the statements are exactly those a reader's request
costs), records them, and asks the database to EXPLAIN each one with the same parameters.
"""

import argparse
import html
import re
import sys
import time
from pathlib import Path
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import event

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from app.config import Settings  # noqa: E402
from app.main import create_app  # noqa: E402

VIEWS = [
    "/",
    "/?actor=russia",
    "/?actor=russia&type=call",
    "/?actor=russia&only=1",
    "/?actor=united-states&actor=russia&match=all",
    "/?type=drill&type=deployment",
    "/?status=scheduled&verification=claimed",
    "/?q=putin",
    "/?from=2022-02-10&to=2022-02-12",
]


def explain(connection: Any, dialect: str, statement: str, parameters: Any) -> list[str]:
    if dialect == "sqlite":
        rows = connection.exec_driver_sql("EXPLAIN QUERY PLAN " + statement, parameters).all()
        return [f"{'  ' * _depth(rows, row)}{row[3]}" for row in rows]
    rows = connection.exec_driver_sql("EXPLAIN (COSTS OFF) " + statement, parameters).all()
    return [row[0] for row in rows]


def _depth(rows: list[Any], row: Any) -> int:
    parents = {r[0]: r[1] for r in rows}
    depth, parent = 0, row[1]
    while parent in parents:
        depth, parent = depth + 1, parents[parent]
    return depth


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", required=True)
    parser.add_argument("views", nargs="*", default=VIEWS)
    arguments = parser.parse_args()

    app = create_app(Settings(database_url=arguments.database_url))
    with TestClient(app) as client:
        engine = app.state.engine
        dialect = engine.dialect.name
        print(f"# Query plans on {dialect} ({engine.url.render_as_string(hide_password=True)})\n")
        for view in arguments.views:
            statements: list[tuple[str, Any]] = []

            def record(*args: Any, statements: list[tuple[str, Any]] = statements) -> None:
                statement, parameters = args[2], args[3]
                reads = statement.lstrip().upper().startswith(("SELECT", "WITH"))
                if reads and "pg_" not in statement:
                    statements.append((statement, parameters))

            event.listen(engine, "before_cursor_execute", record)
            response = client.get(view)
            event.remove(engine, "before_cursor_execute", record)
            heading = re.search(r"<title>(.*?) · ", response.text)
            described = html.unescape(heading.group(1)) if heading else response.status_code
            print(f"## `{view}` — {described}\n")
            print(f"{len(statements)} statements.\n")
            with engine.connect() as connection:
                for number, (statement, parameters) in enumerate(statements, 1):
                    first_line = " ".join(statement.split())[:90]
                    started = time.perf_counter()
                    connection.exec_driver_sql(statement, parameters).all()
                    took = (time.perf_counter() - started) * 1000
                    print(f"{number}. {took:.1f} ms: `{first_line}…`\n")
                    print("```")
                    print("\n".join(explain(connection, dialect, statement, parameters)))
                    print("```\n")


if __name__ == "__main__":
    main()
