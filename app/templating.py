"""Jinja set-up and the one helper that decides between a full page and an htmx fragment."""

from collections.abc import Mapping
from pathlib import Path
from typing import Any

import nh3
from fastapi import Request
from fastapi.responses import HTMLResponse
from fastapi.templating import Jinja2Templates
from markdown_it import MarkdownIt
from markupsafe import Markup

ROOT = Path(__file__).resolve().parent.parent
HTMX = "htmx-2.0.11.min.js"

templates = Jinja2Templates(directory=ROOT / "templates")
_markdown = MarkdownIt("commonmark", {"html": False}).disable("image")


def markdown_html(text: str) -> Markup:
    """Markdown as HTML that cannot carry script: raw HTML off, then sanitised, http(s) links."""
    html = nh3.clean(
        _markdown.render(text or ""),
        url_schemes={"http", "https"},
        link_rel="nofollow noopener noreferrer",
    )
    return Markup(html)  # noqa: S704 - sanitised by nh3 just above


templates.env.filters["markdown"] = markdown_html
templates.env.globals["htmx_script"] = HTMX


def absolute_url(request: Request, path: str) -> str:
    """`path` on the site's public address: BRINK_BASE_URL, or the address the request came to."""
    base = request.app.state.settings.base_url or str(request.base_url).rstrip("/")
    return base + path


def fragment_target(request: Request) -> str | None:
    """The element an htmx request will swap, if it asked for a piece of a page. Boosted links
    and history restores send HX-Request too, and must get the whole page."""
    if request.headers.get("HX-History-Restore-Request") == "true":
        return None
    if request.headers.get("HX-Boosted") == "true":
        return None
    return request.headers.get("HX-Target")


def render(
    request: Request,
    template: str,
    context: dict[str, Any],
    *,
    fragments: Mapping[str, str] | None = None,
    status_code: int = 200,
    headers: Mapping[str, str] | None = None,
) -> HTMLResponse:
    """A page, or, for an htmx request aimed at one of `fragments` (element id → template), just
    that fragment: the page and its fragments come from the same templates."""
    settings = request.app.state.settings
    fragments = fragments or {}
    chosen = fragments.get(fragment_target(request) or "", template)
    account = getattr(request.state, "account", None)
    response = templates.TemplateResponse(
        request,
        chosen,
        {
            "site_title": settings.site_title,
            "timezone": settings.timezone,
            "absolute_url": lambda path: absolute_url(request, path),
            "account": account,
            **context,
        },
        status_code=status_code,
        headers=dict(headers or {}),
    )
    if fragments:
        response.headers["Vary"] = "HX-Request, HX-Target, HX-Boosted, HX-History-Restore-Request"
    if account is not None:
        # A signed-in page names its user and carries their CSRF token: never for shared caches.
        response.headers["Cache-Control"] = "private, no-store"
    return response
