"""Jinja set-up and the one helper that decides between a full page and an htmx fragment."""

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


def wants_fragment(request: Request, target: str | None) -> bool:
    """A fragment only for the element that asked for it; boosted links and history restores
    send HX-Request too, and must get the whole page."""
    return (
        target is not None
        and request.headers.get("HX-Target") == target
        and request.headers.get("HX-History-Restore-Request") != "true"
    )


def render(
    request: Request,
    template: str,
    context: dict[str, Any],
    *,
    fragment: str | None = None,
    target: str | None = None,
    status_code: int = 200,
) -> HTMLResponse:
    settings = request.app.state.settings
    chosen = fragment if fragment and wants_fragment(request, target) else template
    response = templates.TemplateResponse(
        request,
        chosen,
        {"site_title": settings.site_title, "timezone": settings.timezone, **context},
        status_code=status_code,
    )
    if fragment:
        response.headers["Vary"] = "HX-Target, HX-History-Restore-Request"
    return response
