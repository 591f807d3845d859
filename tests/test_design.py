"""The design's promises that need no browser: every event type has a colour in both schemes and
an icon; type labels are readable (4.5:1) and type marks visible (3:1) in both; the favicon, the
app icons and the web app manifest are served, linked from every page, drawn by docs/icons.py."""

import importlib.util
import json
import re
from io import BytesIO
from pathlib import Path
from types import ModuleType

import pytest
from PIL import Image, ImageChops
from sqlalchemy import Engine
from sqlalchemy.orm import Session

from app import previews, queries
from tests.html import soup

ROOT = Path(__file__).resolve().parent.parent
CSS = (ROOT / "static" / "brink.css").read_text()
ICONS = (ROOT / "static" / "icons.svg").read_text()


def load(name: str) -> ModuleType:
    """A script from docs/ (not a package) as a module."""
    spec = importlib.util.spec_from_file_location(name, ROOT / "docs" / f"{name}.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


colours = load("colours")
SCHEMES = colours.schemes(CSS)


@pytest.fixture
def type_slugs(engine: Engine) -> list[str]:
    """The type vocabulary, as the migrations seed it."""
    with Session(engine) as session:
        slugs = [event_type.slug for event_type in queries.event_types(session)]
    assert len(slugs) >= 11
    return slugs


def test_every_event_type_has_a_colour_in_both_schemes_an_icon_and_a_class(type_slugs):
    symbols = set(re.findall(r'<symbol id="([\w-]+)"', ICONS))
    for slug in type_slugs:
        assert slug in symbols, f"static/icons.svg has no symbol for {slug}"
        assert f".type-{slug} {{ --type-colour: var(--t-{slug}); }}" in CSS
        for scheme, variables in SCHEMES.items():
            assert re.fullmatch(r"#[0-9a-f]{6}", variables.get(f"t-{slug}", "")), (slug, scheme)


def test_type_labels_reach_4_5_to_1_in_both_schemes(type_slugs):
    """`.type-label` mixes the type colour with the text colour (color-mix in srgb), computed
    here as CSS does, on the card surface and on the page background."""
    assert (
        "color-mix(in srgb, var(--type-colour, var(--muted)) var(--type-text-share), var(--text))"
        in CSS
    )  # noqa: E501
    for scheme, variables in SCHEMES.items():
        for background in ["surface", "bg"]:
            under = colours.hex_rgb(variables[background])
            for slug in type_slugs:
                ratio = colours.contrast(colours.label_colour(variables, slug), under)
                assert ratio >= 4.5, f"{slug} label on {background} ({scheme}): {ratio:.2f}:1"


def test_type_marks_reach_3_to_1_in_both_schemes(type_slugs):
    """Icons, card borders and chart marks are graphics: WCAG 1.4.11 asks 3:1."""
    for scheme, variables in SCHEMES.items():
        for background in ["surface", "bg"]:
            under = colours.hex_rgb(variables[background])
            for slug in type_slugs:
                ratio = colours.contrast(colours.hex_rgb(variables[f"t-{slug}"]), under)
                assert ratio >= 3, f"{slug} on {background} ({scheme}): {ratio:.2f}:1"


def test_no_two_types_look_alike_with_normal_vision():
    """With colour-vision deficiencies some pairs come close (docs/design.md: the icon always
    goes with the colour); with normal vision every pair stays clearly apart."""
    for scheme, variables in SCHEMES.items():
        closest, first, second = colours.distances(colours.type_colours(variables), "normal")[0]
        assert closest >= 12, f"{first} and {second} ({scheme}): CIEDE2000 {closest:.1f}"


def test_share_images_use_the_light_scheme():
    light = {name[2:]: value for name, value in SCHEMES["light"].items() if name.startswith("t-")}
    assert light == previews.TYPE_COLOURS


def test_the_favicon_is_a_real_icon_at_the_root(client):
    response = client.get("/favicon.ico")
    assert response.status_code == 200
    assert response.headers["content-type"] == "image/vnd.microsoft.icon"
    assert response.content[:4] == b"\x00\x00\x01\x00"
    icon = Image.open(BytesIO(response.content))
    assert {(16, 16), (32, 32)} <= icon.info["sizes"]
    assert "max-age" in response.headers["cache-control"]


def test_the_manifest_and_its_icons_are_served(client):
    response = client.get("/static/manifest.webmanifest")
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/manifest+json"
    manifest = json.loads(response.content)
    assert manifest["start_url"] == "/"
    assert manifest["name"] and manifest["short_name"]
    assert manifest["display"] in {"browser", "standalone", "minimal-ui"}
    assert re.fullmatch(r"#[0-9a-f]{6}", manifest["theme_color"])
    assert re.fullmatch(r"#[0-9a-f]{6}", manifest["background_color"])
    purposes = set()
    for icon in manifest["icons"]:
        served = client.get(icon["src"])
        assert served.status_code == 200, icon["src"]
        assert served.headers["content-type"] == icon["type"]
        purposes.add(icon.get("purpose", "any"))
        if icon["type"] == "image/png":
            width, height = map(int, icon["sizes"].split("x"))
            assert Image.open(BytesIO(served.content)).size == (width, height), icon["src"]
    assert {"any", "maskable"} <= purposes
    sizes = {icon["sizes"] for icon in manifest["icons"]}
    assert {"192x192", "512x512"} <= sizes


@pytest.mark.usefixtures("sample")
@pytest.mark.parametrize("path", ["/", "/actors/vladimir-putin", "/login", "/embed"])
def test_every_page_links_its_icons(client, path):
    response = client.get(path)
    assert response.status_code == 200
    head = soup(response.text).head
    assert head is not None
    icons = {link["href"] for link in head.select("link[rel=icon]")}
    assert icons == {"/favicon.ico", "/static/icons/favicon.svg"}
    touch = head.select_one("link[rel=apple-touch-icon]")
    assert touch is not None and touch["href"] == "/static/icons/apple-touch-icon.png"
    themes = {meta["media"]: meta["content"] for meta in head.select("meta[name=theme-color]")}
    assert set(themes) == {"(prefers-color-scheme: light)", "(prefers-color-scheme: dark)"}
    for href in [*icons, touch["href"]]:
        assert client.get(href).status_code == 200, href
    if path != "/embed":  # an embed is part of someone else's page, not an app
        manifest = head.select_one("link[rel=manifest]")
        assert manifest is not None and manifest["href"] == "/static/manifest.webmanifest"


def test_the_committed_icons_are_what_docs_icons_py_draws(tmp_path, monkeypatch):
    icons = load("icons")
    monkeypatch.setattr(icons, "OUT", tmp_path)
    icons.main()
    committed = ROOT / "static" / "icons"
    names = sorted(path.name for path in tmp_path.iterdir())
    assert names == sorted(path.name for path in committed.iterdir())
    assert (tmp_path / "favicon.svg").read_text() == (committed / "favicon.svg").read_text()
    for name in names:
        if name.endswith((".png", ".ico")):
            with Image.open(tmp_path / name) as drawn, Image.open(committed / name) as kept:
                assert drawn.size == kept.size, name
                difference = ImageChops.difference(drawn.convert("RGBA"), kept.convert("RGBA"))
            assert difference.getbbox() is None, (
                f"static/icons/{name} is not what docs/icons.py draws"
            )


def test_dark_mode_is_for_screens_only():
    """Printing from a dark screen gives black on white: every dark block is `screen and`."""
    dark_blocks = re.findall(r"@media[^{]*prefers-color-scheme:\s*dark[^{]*{", CSS)
    assert dark_blocks
    for block in dark_blocks:
        assert block.startswith("@media screen and"), block
