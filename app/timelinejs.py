"""What Brink reads from TimelineJS (Knight Lab): its dates, times and HTML text.

A TimelineJS date is a year with an optional month, day and time, each a field of its own: the
fields given are the precision ("1943" is a year, "1943, 7" a month). Its text is HTML, which
Brink keeps as Markdown: structure and http(s) links survive, scripts and styles do not.
"""

import re
from html.parser import HTMLParser
from typing import Any

# The spreadsheet template's columns, as TimelineJS matches them: lower case, without spaces.
CSV_COLUMNS = {
    "year": "Year", "month": "Month", "day": "Day", "time": "Time",
    "endyear": "End Year", "endmonth": "End Month", "endday": "End Day", "endtime": "End Time",
    "displaydate": "Display Date", "headline": "Headline", "text": "Text", "media": "Media",
    "mediacredit": "Media Credit", "mediacaption": "Media Caption",
    "mediathumbnail": "Media Thumbnail", "type": "Type", "group": "Group",
    "background": "Background",
}  # fmt: skip
DAYS_IN_MONTH = (31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31)


def column_key(header: str) -> str:
    return re.sub(r"\s+", "", header).lower()


class DateProblem(ValueError):
    """A date field TimelineJS would not read either: `part` is year, month, day, hour, minute
    or time."""

    def __init__(self, part: str, message: str) -> None:
        super().__init__(message)
        self.part = part


def _number(part: str, value: Any, low: int, high: int, what: str) -> int | None:
    """An integer field, given as a number or text ('1,943' reads as 1943, as in TimelineJS)."""
    if value is None or value == "":
        return None
    if isinstance(value, bool) or not isinstance(value, int | str):
        raise DateProblem(part, f"{value!r} is not a {what}")
    text = re.sub(r"[\s,]+", "", str(value))
    if not re.fullmatch(r"-?\d+", text):
        raise DateProblem(part, f"{value!r} is not a {what}")
    number = int(text)
    if not low <= number <= high:
        raise DateProblem(part, f"{number} is not a {what} ({low}–{high})")
    return number


def parse_time(text: str) -> tuple[int, int | None]:
    """'13:45', '1:45 PM', '1345', '13.45', '13:45:30' → (13, 45); '9 am' → (9, None)."""
    value = text.strip()
    period = re.search(r"\s*([AaPp])\.?[Mm]\.?\s*$", value)
    if period:
        value = value[: period.start()].strip()
    packed = re.fullmatch(r"(\d{1,2})(\d{2})", value)
    parts = list(packed.groups()) if packed else re.split(r"[:.]", value)
    if not value or len(parts) > 4 or not all(re.fullmatch(r"\d{1,2}", p) for p in parts[:2]):
        raise DateProblem("time", f"{text!r} is not a time of day (use 13:45 or 1:45 PM)")
    hour = int(parts[0])
    if period:
        if not 1 <= hour <= 12:
            raise DateProblem("time", f"{text!r} is not a time of day")
        hour = hour % 12 + (12 if period.group(1).lower() == "p" else 0)
    minute = int(parts[1]) if len(parts) > 1 else None
    if hour > 23 or (minute is not None and minute > 59):
        raise DateProblem("time", f"{text!r} is not a time of day")
    return hour, minute


def point(
    year: Any, month: Any = None, day: Any = None, hour: Any = None, minute: Any = None
) -> tuple[str, str]:
    """Brink's date and precision for TimelineJS's fields: (2022, 2) → ('2022-02-01', 'month')."""
    y = _number("year", year, 1, 9999, "year Brink can show")
    if y is None:
        raise DateProblem("year", "This is required.")
    m = _number("month", month, 1, 12, "month")
    d = _number("day", day, 1, 31, "day of the month")
    h = _number("hour", hour, 0, 23, "hour")
    mi = _number("minute", minute, 0, 59, "minute")
    if d is not None and m is None:
        raise DateProblem("month", "A day needs its month.")
    if h is not None and d is None:
        raise DateProblem("day", "A time needs its day.")
    if mi is not None and h is None:
        raise DateProblem("hour", "A minute needs its hour.")
    if m is not None and d is not None:
        leap = y % 4 == 0 and (y % 100 != 0 or y % 400 == 0)
        if d > DAYS_IN_MONTH[m - 1] or (m == 2 and d == 29 and not leap):
            raise DateProblem("day", f"{y:04d}-{m:02d} has no day {d}")
    if m is None:
        return f"{y:04d}-01-01", "year"
    if d is None:
        return f"{y:04d}-{m:02d}-01", "month"
    if h is None:
        return f"{y:04d}-{m:02d}-{d:02d}", "day"
    if mi is None:
        return f"{y:04d}-{m:02d}-{d:02d}T{h:02d}:00", "hour"
    return f"{y:04d}-{m:02d}-{d:02d}T{h:02d}:{mi:02d}", "minute"


# HTML → Markdown

_DROPPED = {
    "script", "style", "iframe", "object", "embed", "template", "noscript", "svg", "math",
    "head", "title", "button", "select", "textarea", "canvas", "video", "audio",
}  # fmt: skip
_BLOCKS = {
    "p", "div", "section", "article", "header", "footer", "aside", "blockquote", "figure",
    "figcaption", "h1", "h2", "h3", "h4", "h5", "h6", "ul", "ol", "table", "tr", "pre", "hr",
    "dl", "dt", "dd", "address", "main", "nav",
}  # fmt: skip
_VOID = {"br", "hr", "img", "input", "meta", "link", "source", "track", "wbr", "area", "col"}
_ESCAPED = re.compile(r"([\\`*_\[\]<>])")
_LINE_START = re.compile(r"^(#|>|[-+](?=\s))")  # a heading, a quote, a list item
_NUMBERED = re.compile(r"^(\d+)([.)])(?=\s)")  # "1. " starts a numbered list: "1\. " does not


class _Converter(HTMLParser):
    """Text, paragraphs, line breaks, lists, quotes, bold, italics and http(s) links as Markdown
    (or, with markdown=False, the bare text); everything else is dropped or reduced to its text.

    A quote or a link collects its text in a buffer of its own, written out when it closes."""

    def __init__(self, *, markdown: bool) -> None:
        super().__init__(convert_charrefs=True)
        self.markdown = markdown
        self.buffers: list[list[str]] = [[]]
        self.frames: list[tuple[str, str | None]] = []  # open quotes and links, innermost last
        self.dropping = 0

    @property
    def text(self) -> str:
        return "".join(self.buffers[-1])

    def _write(self, text: str) -> None:
        self.buffers[-1][:] = [text]

    def _break(self, lines: int = 2) -> None:
        if not self.markdown:
            self._write(self.text.rstrip(" ") + " ")
            return
        text = self.text.rstrip(" ")
        if text.strip():
            have = len(text) - len(text.rstrip("\n"))
            text += "\n" * max(0, lines - have)
        self._write(text)

    def _at_line_start(self) -> bool:
        text = self.text
        return not text.strip() or text.endswith("\n")

    def _mark(self, marker: str, closing: bool) -> None:
        if not self.markdown:
            return
        text = self.text
        body = text.rstrip()
        if not closing:
            self._write(text + marker)
        elif body.endswith(marker) and not body.endswith("\\" + marker):
            self._write(body[: -len(marker)] + text[len(body) :])  # empty: no stray asterisks
        else:
            self._write(body + marker + text[len(body) :])  # "**bold** ", not "**bold **"

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _DROPPED:
            self.dropping += tag not in _VOID
            return
        if self.dropping:
            return
        if tag == "br":
            self._break(1)
        elif tag == "li":
            self._break(1)
            if self.markdown:
                self._write(self.text + "- ")
        elif tag == "blockquote":
            self.frames.append(("blockquote", None))
            self.buffers.append([])
        elif tag in _BLOCKS:
            self._break()
        elif tag in ("b", "strong"):
            self._mark("**", closing=False)
        elif tag in ("i", "em", "cite"):
            self._mark("*", closing=False)
        elif tag == "a":
            href = (dict(attrs).get("href") or "").strip()
            safe = re.fullmatch(r"(https?|mailto):[^\s<>()]+", href, re.IGNORECASE)
            self.frames.append(("a", href if safe and self.markdown else None))
            self.buffers.append([])

    def handle_endtag(self, tag: str) -> None:
        if tag in _DROPPED:
            self.dropping = max(0, self.dropping - (tag not in _VOID))
            return
        if self.dropping:
            return
        if tag in ("blockquote", "a"):
            if any(kind == tag for kind, _ in self.frames):
                while self._close_frame() != tag:
                    pass
        elif tag in _BLOCKS or tag == "li":
            self._break(1 if tag == "li" else 2)
        elif tag in ("b", "strong"):
            self._mark("**", closing=True)
        elif tag in ("i", "em", "cite"):
            self._mark("*", closing=True)

    def _close_frame(self) -> str:
        kind, href = self.frames.pop()
        inner = _tidy("".join(self.buffers.pop()))
        if kind == "a" and href:
            self._write(self.text + (f"[{inner}]({href})" if inner else f"<{href}>"))
        elif kind == "blockquote" and self.markdown and inner:
            self._break()
            quoted = "\n".join(f"> {line}".rstrip() for line in inner.splitlines())
            self._write(self.text + quoted)
            self._break()
        else:
            self._write(self.text + inner)
        return kind

    def handle_data(self, data: str) -> None:
        if self.dropping:
            return
        text = re.sub(r"\s+", " ", data)
        at_start = self._at_line_start()
        if at_start:
            text = text.lstrip()
        if not text:
            return
        if self.markdown:
            text = _ESCAPED.sub(r"\\\1", text)
            if at_start:
                text = _NUMBERED.sub(r"\1\\\2", _LINE_START.sub(r"\\\1", text))
        self._write(self.text + text)

    def result(self) -> str:
        self.close()
        while self.frames:
            self._close_frame()
        text = _tidy(self.text)
        return re.sub(r"\s+", " ", text) if not self.markdown else text


def _tidy(text: str) -> str:
    text = "\n".join(line.rstrip() for line in text.splitlines())
    return re.sub(r"\n{3,}", "\n\n", text).strip()


def html_to_markdown(html: str) -> str:
    """TimelineJS's HTML text as Markdown Brink can show; what cannot be said safely is dropped."""
    converter = _Converter(markdown=True)
    converter.feed(html or "")
    return converter.result()


def plain_text(html: str) -> str:
    """A headline, credit or caption, which may hold HTML, as one line of text."""
    converter = _Converter(markdown=False)
    converter.feed(html or "")
    return converter.result()
