"""Preview cards: the 1200×630 PNG a shared link unfurls into on social sites and in chats.

A card is drawn from a small, frozen description of what it shows (`EventCardData`,
`ViewCardData`). The hash of that description is the card's identity: its cache file name and its
ETag. The same text drawn twice is the same PNG, and any change to what is drawn is a new one.

The font is Source Sans Pro from the `font-source-sans-pro` package: Latin, Cyrillic and Greek in
regular, semibold and bold, the same file on every machine (Pillow's built-in font has no Cyrillic,
no en dash and no bold). Text is laid out with Pillow's basic engine, which does not depend on
whether the system has libraqm, so every machine draws the same pixels.
"""

import hashlib
import json
import logging
import os
import tempfile
import threading
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass
from functools import lru_cache
from importlib.resources import files
from io import BytesIO
from pathlib import Path
from zoneinfo import ZoneInfo

import PIL
from PIL import Image, ImageDraw, ImageFont

from app.dates import DAY_PRECISIONS, format_span
from app.filters import EventFilters
from app.models import Event
from app.present import event_card
from app.queries import View

log = logging.getLogger(__name__)

# Part of every card's identity: bump it when the design changes, so caches (ours and social
# sites', through the version in event_preview_path) take the new look.
DESIGN_VERSION = "2"
WIDTH, HEIGHT = 1200, 630
STRIPE = 20  # the coloured band down the left edge
LEFT, RIGHT = STRIPE + 56, WIDTH - 64
TOP, BOTTOM = 44, HEIGHT - 48  # nothing is drawn below BOTTOM
LINE_WIDTH = RIGHT - LEFT

# The light theme of static/brink.css.
BG = "#fbfaf7"
SURFACE = "#ffffff"
TEXT = "#1d1f23"
MUTED = "#555b66"
LINE = "#dcd8cf"
ACCENT = "#9a3412"
BADGE_BG = "#eef0f3"
TYPE_COLOURS = {
    "call": "#0072b2",
    "meeting": "#009e73",
    "statement": "#676767",
    "denial": "#c5719f",
    "drill": "#d55e00",
    "deployment": "#793804",
    "evacuation": "#7d5680",
    "travel-advisory": "#a17c4c",
    "sanctions": "#1340b7",
    "incident": "#bc1c3c",
    "diplomatic": "#5090e4",
}
TYPE_TEXT_SHARE = 0.70  # as in the CSS: type colours as text take 30% of the text colour (AA)

VIEW_ROWS = 5  # at most, the newest events a view's card lists
FONT_FILES = {
    "regular": "SourceSansPro-Regular.ttf",
    "semibold": "SourceSansPro-Semibold.ttf",
    "bold": "SourceSansPro-Bold.ttf",
}
_drawing = threading.Lock()
Face = ImageFont.FreeTypeFont
Colour = str | tuple[int, int, int]


def event_preview_path(event: Event) -> str:
    """The preview image of an event, versioned so that social sites fetch it again after an
    edit: `/previews/events/12.png?v=3f9c2a1b0d`."""
    return f"/previews/events/{event.id}.png?v={event_version(event)}"


def view_preview_path(filters: EventFilters) -> str:
    """The preview image of a timeline view: `/previews/timeline.png?type=call`."""
    query = filters.view_query
    return f"/previews/timeline.png?{query}" if query else "/previews/timeline.png"


def event_version(event: Event) -> str:
    stamp = f"{DESIGN_VERSION}:{event.updated_at.isoformat()}"
    return hashlib.sha256(stamp.encode()).hexdigest()[:10]


def zone_label(timezone: str) -> str:
    """'Europe/Kyiv' → 'Kyiv time': what the card says its dates are in."""
    if "/" not in timezone:
        return timezone
    return timezone.rsplit("/", 1)[1].replace("_", " ") + " time"


# What a card shows


@dataclass(frozen=True)
class EventCardData:
    site: str
    type_slug: str
    type_label: str
    when: str
    zone: str  # named where the date is precise enough for it to matter
    place: str | None
    title: str
    actors: tuple[str, ...]
    badges: tuple[tuple[str, str], ...]  # (label, kind) as in present.Badge


@dataclass(frozen=True)
class ViewRow:
    type_slug: str
    when: str
    title: str


@dataclass(frozen=True)
class ViewCardData:
    site: str
    heading: str  # describe_view without its count
    count: str  # "3 events"
    type_slug: str | None  # the one type the view is limited to, if it is
    rows: tuple[ViewRow, ...]
    types: tuple[tuple[str, str, int], ...]  # (slug, plural label, events), most first


def event_card_data(event: Event, site: str, zone: ZoneInfo, timezone: str) -> EventCardData:
    card = event_card(event, zone)
    return EventCardData(
        site=site,
        type_slug=card.type_slug,
        type_label=card.type_label,
        when=card.when,
        # The zone matters down to a day; "2014 · Kyiv time" would be noise.
        zone=zone_label(timezone) if event.start_precision in DAY_PRECISIONS else "",
        place=card.place,
        title=card.title,
        actors=tuple(actor.name for actor in card.actors),
        badges=tuple((badge.label, badge.kind) for badge in card.badges),
    )


def view_card_data(
    site: str, view: View, description: str, newest: Sequence[Event], totals: dict[str, int]
) -> ViewCardData:
    """`description` is present.describe_view's 'Calls involving France · 3 events'."""
    heading, _, count = description.rpartition(" · ")
    plurals = {t.slug: t.plural for t in view.all_types}
    by_count = sorted(totals.items(), key=lambda item: (-item[1], item[0]))
    return ViewCardData(
        site=site,
        heading=heading or description,
        count=count,
        type_slug=view.types[0].slug if len(view.types) == 1 else None,
        rows=tuple(ViewRow(e.type_slug, _when(e, view.zone), e.title) for e in newest),
        types=tuple((slug, plurals.get(slug, slug), n) for slug, n in by_count if n),
    )


def _when(event: Event, zone: ZoneInfo) -> str:
    return format_span(
        event.start_at,
        event.start_precision,
        event.start_approximate,
        event.end_at,
        event.end_precision,
        event.end_approximate,
        zone,
    )


def card_key(data: EventCardData | ViewCardData) -> str:
    """The identity of a card: what it draws, how (the design), and with which Pillow."""
    drawn = {"kind": type(data).__name__, **asdict(data)}
    text = json.dumps([DESIGN_VERSION, PIL.__version__, drawn], sort_keys=True, ensure_ascii=False)
    return hashlib.sha256(text.encode()).hexdigest()[:32]


# Text that fits


@lru_cache(maxsize=64)
def font(weight: str, size: int) -> Face:
    path = files("font_source_sans_pro") / "files" / FONT_FILES[weight]
    with path.open("rb") as file:
        return ImageFont.truetype(BytesIO(file.read()), size, layout_engine=ImageFont.Layout.BASIC)


def _longest_prefix(text: str, face: Face, width: float, suffix: str) -> str:
    """The longest start of `text` that fits `width` with `suffix` after it."""
    low, high = 0, len(text)
    while low < high:
        middle = (low + high + 1) // 2
        if face.getlength(text[:middle] + suffix) <= width:
            low = middle
        else:
            high = middle - 1
    return text[:low]


def ellipsize(text: str, face: Face, width: float, always: bool = False) -> str:
    """`text` cut to fit `width`, ending in '…' if anything was cut (or if `always`)."""
    text = text.rstrip()
    if not always and face.getlength(text) <= width:
        return text
    cut = _longest_prefix(text, face, width, "…")
    if " " in cut and cut.rindex(" ") > len(cut) * 0.6:
        cut = cut[: cut.rindex(" ")]  # at a word, unless that loses much of the line
    return cut.rstrip(" ,;:–—-") + "…"


def wrap(text: str, face: Face, width: float, max_lines: int) -> list[str]:
    """`text` in lines no wider than `width` (measured), at most `max_lines`, the last ending in
    '…' if the text did not fit. A word wider than a line is cut where it must be."""
    lines: list[str] = []
    current = ""
    for word in text.split():
        candidate = f"{current} {word}" if current else word
        if face.getlength(candidate) <= width:
            current = candidate
            continue
        if current:
            lines.append(current)
        while face.getlength(word) > width:
            piece = _longest_prefix(word, face, width, "") or word[0]
            lines.append(piece)
            word = word[len(piece) :]
        current = word
        if len(lines) > max_lines:
            break
    if current:
        lines.append(current)
    if len(lines) > max_lines:
        lines = lines[:max_lines]
        lines[-1] = ellipsize(lines[-1], face, width, always=True)
    return lines


def fitted(
    text: str, weight: str, sizes: Sequence[tuple[int, int]], width: float
) -> tuple[Face, list[str]]:
    """The largest of `sizes` ((font size, lines allowed), largest first) at which all of `text`
    fits; else the last, cut with an ellipsis."""
    for size, max_lines in sizes:
        face = font(weight, size)
        lines = wrap(text, face, width, max_lines + 1)
        if len(lines) <= max_lines:
            return face, lines
    face = font(weight, sizes[-1][0])
    return face, wrap(text, face, width, sizes[-1][1])


def mix(colour: str, share: float, other: str = TEXT) -> tuple[int, int, int]:
    """CSS color-mix(in srgb, colour share, other)."""
    a = [int(colour[i : i + 2], 16) for i in (1, 3, 5)]
    b = [int(other[i : i + 2], 16) for i in (1, 3, 5)]
    r, g, bl = (round(x * share + y * (1 - share)) for x, y in zip(a, b, strict=True))
    return (r, g, bl)


def type_colour(slug: str | None) -> str:
    return TYPE_COLOURS.get(slug or "", MUTED)


# Drawing


class Canvas:
    """A card being drawn. Text is placed by the left end of its baseline, so that different
    sizes on one line, and badges beside text, line up."""

    def __init__(self, stripe: str) -> None:
        self.image = Image.new("RGB", (WIDTH, HEIGHT), BG)
        self.draw = ImageDraw.Draw(self.image)
        self.draw.rectangle((0, 0, STRIPE - 1, HEIGHT), fill=stripe)

    def text(self, x: float, baseline: float, text: str, face: Face, fill: Colour) -> float:
        """Draw one line; answer the x where it ends."""
        self.draw.text((x, baseline), text, font=face, fill=fill, anchor="ls")
        return x + face.getlength(text)

    def marker(self, x: float, baseline: float, face: Face, colour: Colour) -> float:
        """A small square of a type's colour, as tall as the capitals beside it."""
        cap = _cap(face)
        self.draw.rounded_rectangle(
            (x, baseline - cap, x + cap, baseline), radius=cap / 4, fill=colour
        )
        return x + cap

    def badge(self, x: float, baseline: float, label: str, kind: str, face: Face) -> float:
        """A status or verification badge as on the site; answer the x where it ends."""
        fill, outline, colour = BADGE_BG, LINE, TEXT
        if kind.startswith("verification-"):
            fill, outline, colour = SURFACE, ACCENT, ACCENT
        pad = face.size * 0.5
        width = face.getlength(label) + 2 * pad
        box = (x, baseline - _cap(face) - pad * 0.9, x + width, baseline + pad * 0.9)
        self.draw.rounded_rectangle(
            box, radius=(box[3] - box[1]) / 2, fill=fill, outline=outline, width=2
        )
        self.text(x + pad, baseline, label, face, colour)
        if kind in ("status-cancelled", "status-postponed"):
            middle = baseline - face.size * 0.28
            self.draw.line((x + pad, middle, x + width - pad, middle), fill=colour, width=2)
        return x + width

    def rule(self, y: float) -> None:
        self.draw.line((LEFT, y, RIGHT, y), fill=LINE, width=2)

    def png(self) -> bytes:
        out = BytesIO()
        self.image.save(out, format="PNG", compress_level=6)
        return out.getvalue()


def _cap(face: Face) -> float:
    return _cap_size(face.size)


def _names(names: Sequence[str], face: Face, width: float) -> str:
    """As many names as fit, then 'and 3 more'."""
    for shown in range(len(names), 0, -1):
        rest = len(names) - shown
        text = ", ".join(names[:shown]) + (f" and {rest} more" if rest else "")
        if face.getlength(text) <= width:
            return text
    return ellipsize(", ".join(names), face, width)


def _title_sizes(room: float, sizes: Sequence[tuple[int, int]]) -> list[tuple[int, int]]:
    """Of (size, lines), those whose lines fit in `room` pixels of height."""
    fitting = []
    for size, lines in sizes:
        fits = [n for n in range(lines, 0, -1) if _block_height(size, n) <= room]
        if fits:
            fitting.append((size, fits[0]))
    return fitting or [(sizes[-1][0], 1)]


def _block_height(size: int, lines: int) -> float:
    """From the top of the capitals of the first line to the descenders of the last."""
    return _cap_size(size) + (lines - 1) * _leading(size) + size * 0.27


def _cap_size(size: float) -> float:
    return size * 0.66  # Source Sans Pro's capitals are 0.66 em tall


def _leading(size: int) -> int:
    return round(size * 1.12)


def _site_name(canvas: Canvas, site: str) -> None:
    face = font("bold", 32)
    canvas.text(LEFT, TOP + _cap(face), ellipsize(site, face, LINE_WIDTH), face, TEXT)


def render_event_card(data: EventCardData) -> bytes:
    colour = type_colour(data.type_slug)
    canvas = Canvas(colour)
    _site_name(canvas, data.site)

    # The type, and what is unusual about the event: not (yet) happened, not confirmed.
    baseline = TOP + 100
    label_face, badge_face = font("bold", 32), font("semibold", 28)
    x = canvas.marker(LEFT, baseline, label_face, colour) + 14
    x = canvas.text(x, baseline, data.type_label.upper(), label_face, mix(colour, TYPE_TEXT_SHARE))
    for label, kind in data.badges:
        if x + 24 + badge_face.getlength(label) + badge_face.size > RIGHT:
            break
        x = canvas.badge(x + 24, baseline, label, kind, badge_face)

    # When (in the crisis zone, which it names) and where.
    baseline += 68
    when_face, rest_face = font("semibold", 38), font("regular", 38)
    x = canvas.text(LEFT, baseline, ellipsize(data.when, when_face, LINE_WIDTH), when_face, TEXT)
    for extra in (data.zone, data.place):
        room = RIGHT - x - rest_face.getlength("  ·  ")
        if extra and room > 120:
            x = canvas.text(
                x, baseline, "  ·  " + ellipsize(extra, rest_face, room), rest_face, MUTED
            )

    # Who, at the foot; the title, as large as fits, between.
    top = baseline + 60
    bottom = BOTTOM
    if data.actors:
        actors_face = font("regular", 32)
        foot = BOTTOM - actors_face.size * 0.27
        canvas.text(LEFT, foot, _names(data.actors, actors_face, LINE_WIDTH), actors_face, MUTED)
        bottom = foot - _cap(actors_face) - 28
        canvas.rule(bottom)
        bottom -= 28
    sizes = _title_sizes(bottom - top, [(84, 2), (72, 2), (62, 3), (54, 4), (46, 4)])
    face, lines = fitted(data.title, "bold", sizes, LINE_WIDTH)
    baseline = top + _cap(face)
    for line in lines:
        canvas.text(LEFT, baseline, line, face, TEXT)
        baseline += _leading(face.size)
    return canvas.png()


def render_view_card(data: ViewCardData) -> bytes:
    canvas = Canvas(type_colour(data.type_slug) if data.type_slug else TEXT)
    _site_name(canvas, data.site)

    # What the view shows, as large as fits in two or three lines.
    top = TOP + 72
    sizes = _title_sizes(160, [(64, 2), (56, 2), (48, 3), (42, 3)])
    face, lines = fitted(data.heading, "bold", sizes, LINE_WIDTH)
    baseline = top + _cap(face)
    for line in lines:
        canvas.text(LEFT, baseline, line, face, TEXT)
        baseline += _leading(face.size)

    # How many, and of which types: one bar, and a legend with counts.
    baseline += 4
    count_face, legend_face = font("semibold", 30), font("regular", 26)
    x = canvas.text(LEFT, baseline, data.count, count_face, TEXT) + 24
    total = sum(n for _, _, n in data.types)
    if total:
        left = x
        for slug, _, n in data.types:
            right = left + (RIGHT - x) * n / total
            canvas.draw.rectangle((left, baseline - 20, right, baseline), fill=type_colour(slug))
            left = right
    if len(data.types) > 1:
        baseline += 44
        x = LEFT
        for slug, plural, n in data.types:
            item = f"{plural} {n:,}"
            if x + legend_face.size + legend_face.getlength(item) > RIGHT:
                break
            x = canvas.marker(x, baseline, legend_face, type_colour(slug)) + 8
            x = canvas.text(x, baseline, item, legend_face, MUTED) + 26

    # The newest events, one line each, as many as fit.
    row_face, date_face = font("semibold", 32), font("regular", 28)
    row_height = 58
    if not data.rows:
        canvas.text(LEFT, baseline + 70, "No events in this view yet.", font("regular", 32), MUTED)
    dates = [ellipsize(row.when, date_face, 300) for row in data.rows]
    date_width = max((date_face.getlength(when) for when in dates), default=0)
    title_left = LEFT + _cap(date_face) + 12 + date_width + 28
    for row, when in zip(data.rows, dates, strict=True):
        if baseline + row_height + row_face.size * 0.27 > BOTTOM:
            break
        canvas.rule(baseline + 22)
        baseline += row_height
        x = canvas.marker(LEFT, baseline, date_face, type_colour(row.type_slug)) + 12
        canvas.text(x, baseline, when, date_face, MUTED)
        title = ellipsize(row.title, row_face, RIGHT - title_left)
        canvas.text(title_left, baseline, title, row_face, TEXT)
    return canvas.png()


def render_card(data: EventCardData | ViewCardData) -> bytes:
    # FreeType faces are not safe to share between threads; drawing is quick: one at a time.
    with _drawing:
        if isinstance(data, EventCardData):
            return render_event_card(data)
        return render_view_card(data)


# The disk cache


class PreviewCache:
    """Rendered cards on disk, one file per card key, shared by every worker of the machine.
    A file is written whole (to a temporary name, then renamed) or not at all."""

    MAX_FILES = 20_000  # views are unbounded (any search text); beyond this the oldest go
    PRUNE_EVERY = 200  # writes

    _writes = 0

    def __init__(self, directory: Path) -> None:
        self.directory = directory

    def get(self, key: str, render: Callable[[], bytes]) -> bytes:
        path = self.directory / f"{key}.png"
        try:
            return path.read_bytes()
        except FileNotFoundError:
            pass
        except OSError as error:
            log.warning("preview cache unreadable: %s", error)
        png = render()
        try:
            self._write(path, png)
        except OSError as error:  # a full or read-only disk costs speed, never the image
            log.warning("preview cache not written: %s", error)
        return png

    def _write(self, path: Path, png: bytes) -> None:
        self.directory.mkdir(parents=True, exist_ok=True)
        handle, temporary = tempfile.mkstemp(dir=self.directory, suffix=".tmp")
        try:
            with os.fdopen(handle, "wb") as file:
                file.write(png)
            os.replace(temporary, path)
        except BaseException:
            Path(temporary).unlink(missing_ok=True)
            raise
        PreviewCache._writes += 1
        if PreviewCache._writes % self.PRUNE_EVERY == 0:
            self.prune()

    def prune(self) -> None:
        """Remove the oldest files beyond MAX_FILES (down to nine tenths of it)."""
        entries = []
        for entry in os.scandir(self.directory):
            if entry.name.endswith(".png"):
                try:
                    entries.append((entry.stat().st_mtime, entry.path))
                except FileNotFoundError:
                    continue
        if len(entries) <= self.MAX_FILES:
            return
        entries.sort()
        for _, path in entries[: len(entries) - self.MAX_FILES * 9 // 10]:
            Path(path).unlink(missing_ok=True)
