"""The baseline of bench/load.py: the same stack as Brink (FastAPI under uvicorn) answering a
constant page, so every route can be read as a fraction of what the stack alone can do.

    python -m uvicorn --app-dir bench baseline:create_app --factory --no-access-log

BENCH_BASELINE_BYTES sets the page's size (bench/load.py passes the timeline page's). The route
is a plain `def`, run in the thread pool like Brink's routes; no middleware, no database, no
template: what is left is uvicorn, Starlette's routing and one response of that many bytes.
Not part of the product: it lives in bench/ and is never mounted in Brink.
"""

import os

from fastapi import FastAPI
from fastapi.responses import HTMLResponse


def page(size: int) -> bytes:
    """An HTML page of exactly `size` bytes."""
    head = b"<!doctype html><html lang=en><title>Baseline</title><body><pre>"
    tail = b"</pre></body></html>\n"
    filler = max(0, size - len(head) - len(tail))
    return (head + (b"constant page " * (filler // 14 + 1))[:filler] + tail)[: max(size, 0)]


def create_app() -> FastAPI:
    body = page(int(os.environ.get("BENCH_BASELINE_BYTES", "100000")))
    app = FastAPI(docs_url=None, redoc_url=None, openapi_url=None)

    @app.get("/")
    def constant() -> HTMLResponse:
        return HTMLResponse(body)

    return app
