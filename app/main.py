"""The application factory."""

from typing import Any
from zoneinfo import ZoneInfo

from fastapi import Depends, FastAPI, Request
from fastapi.responses import FileResponse, Response
from fastapi.staticfiles import StaticFiles
from sqlalchemy.orm import sessionmaker
from starlette.exceptions import HTTPException as StarletteHTTPException

from app import counting
from app.caching import Compression, HttpCaching, Memo
from app.config import Settings, get_settings
from app.db import make_engine
from app.routes import (
    actors,
    api,
    auth,
    changes,
    data,
    desk,
    desk_actors,
    embed,
    events,
    history,
    imports,
    live,
    previews,
    timeline,
    tokens,
    users,
)
from app.templating import ROOT, render

FAVICON_CACHE = {"Cache-Control": "public, max-age=86400"}


class HeadAsGet:
    """Answer HEAD as GET without the body: link checkers and unfurlers send HEAD first, and
    FastAPI's GET routes would answer 405."""

    def __init__(self, app: Any) -> None:
        self.app = app

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] != "http" or scope["method"] != "HEAD":
            return await self.app(scope, receive, send)

        async def headers_only(message: Any) -> None:
            if message["type"] == "http.response.body":
                if message.get("more_body"):
                    return
                message = {"type": "http.response.body", "body": b""}
            await send(message)

        await self.app({**scope, "method": "GET"}, receive, headers_only)


class FramingRules:
    """Only embeds may be framed by other sites; every other page refuses to be (clickjacking)."""

    def __init__(self, app: Any) -> None:
        self.app = app

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        path = scope["path"]
        embeddable = path == "/embed" or path.startswith("/embed/")
        if embeddable:
            added = [(b"content-security-policy", b"frame-ancestors *")]
        else:
            added = [
                (b"content-security-policy", b"frame-ancestors 'none'"),
                (b"x-frame-options", b"DENY"),
            ]

        async def with_rules(message: Any) -> None:
            if message["type"] == "http.response.start":
                message = {**message, "headers": [*message.get("headers", []), *added]}
            await send(message)

        await self.app(scope, receive, with_rules)


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or get_settings()
    app = FastAPI(
        title=settings.site_title,
        docs_url=None,
        redoc_url=None,
        openapi_url=None,
        dependencies=[Depends(auth.load_account)],  # who is signed in; CSRF on unsafe methods
    )
    app.state.settings = settings
    app.state.engine = make_engine(settings.database_url)
    app.state.sessions = sessionmaker(app.state.engine, expire_on_commit=False)
    app.state.memo = Memo()
    # Totals and facets add up kept counts when they are kept in this crisis's days.
    app.state.counts_zone = counting.ensure(app.state.engine, ZoneInfo(settings.timezone))
    app.mount("/static", StaticFiles(directory=ROOT / "static"), name="static")

    @app.get("/favicon.ico", include_in_schema=False)
    def favicon() -> FileResponse:
        """Browsers and crawlers ask for it at the root, whatever the page says."""
        return FileResponse(ROOT / "static" / "icons" / "favicon.ico", headers=FAVICON_CACHE)

    # Data first: /actors/{slug}.json before any /actors/{slug} page route would take it.
    app.include_router(data.router)
    app.include_router(data.pages)
    app.include_router(timeline.router)
    app.include_router(actors.router)
    app.include_router(live.router)  # /events/stream: live updates
    app.include_router(events.router)
    app.include_router(changes.router)  # /changes: what changed since a moment
    app.include_router(embed.router)
    app.include_router(previews.router)
    app.include_router(auth.router)
    app.include_router(users.router)
    app.include_router(desk.router)
    app.include_router(history.router)
    app.include_router(desk_actors.router)
    app.include_router(tokens.router)
    app.include_router(imports.router)
    app.include_router(api.router)  # documented at /openapi.json by data.openapi_json
    app.add_exception_handler(auth.LoginRequired, auth.login_redirect)  # type: ignore[arg-type]
    app.add_middleware(Compression)  # gzip; never the live stream
    app.add_middleware(HttpCaching, settings=settings)  # ETags and 304s, before routing
    app.add_middleware(FramingRules)
    app.add_middleware(HeadAsGet)

    @app.exception_handler(StarletteHTTPException)
    async def http_error_page(request: Request, error: StarletteHTTPException) -> Response:
        if request.url.path.startswith("/api/"):  # tools get JSON, even for unknown paths
            return api.http_error(error)
        titles = {
            401: "Sign in first",
            403: "Not allowed",
            404: "Not found",
            405: "Method not allowed",
            410: "Gone",
        }
        title = titles.get(error.status_code, "Something went wrong")
        return render(
            request,
            "error.html",
            {"title": title, "message": error.detail, "status": error.status_code},
            status_code=error.status_code,
        )

    return app
