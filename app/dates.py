"""Instants at their precision: stored in UTC, read and written in the crisis's time zone.

A date without a time is a calendar day in the crisis zone, stored as its local midnight. Coarser
precisions store the start of their period, except an approximate month, whose day says early
(1–10), mid (11–20) or late (21–31): "late December 2021" is 30 Dec 2021 at month precision.
"""

from datetime import UTC, date, datetime, time
from zoneinfo import ZoneInfo

from app.models import Precision

MONTHS = [
    "January", "February", "March", "April", "May", "June",
    "July", "August", "September", "October", "November", "December",
]  # fmt: skip
DAY_PRECISIONS = {Precision.MINUTE, Precision.HOUR, Precision.DAY}


def instant(value: date | datetime, zone: ZoneInfo) -> datetime:
    """The UTC instant for a date (midnight in `zone`) or a datetime (naive ones are in `zone`)."""
    if not isinstance(value, datetime):
        value = datetime.combine(value, time(0, 0))
    if value.tzinfo is None:
        value = value.replace(tzinfo=zone)
    return value.astimezone(UTC)


def short_date(day: date) -> str:
    return f"{day.day} {MONTHS[day.month - 1][:3]} {day.year}"


def long_date(day: date) -> str:
    """'Saturday 12 February 2022': the heading of a day on the timeline."""
    return f"{day:%A} {day.day} {MONTHS[day.month - 1]} {day.year}"


def _clock(moment: datetime, precision: str, approximate: bool) -> str:
    zone_name = moment.tzname() or ""
    if precision == Precision.HOUR and not approximate:
        # Known to the hour only: show the hour it fell in, never an invented minute.
        end_hour = (moment.hour + 1) % 24
        return f"{moment:%H}:00–{end_hour:02d}:00 {zone_name}"
    return f"{'around ' if approximate else ''}{moment:%H:%M} {zone_name}"


def format_point(at: datetime, precision: str, approximate: bool, zone: ZoneInfo) -> str:
    """One instant as a reader should see it: '12 Feb 2022, 18:04 EET', 'late December 2021'."""
    local = at.astimezone(zone)
    day = local.date()
    around = "around " if approximate else ""
    match precision:
        case Precision.MINUTE | Precision.HOUR:
            return f"{short_date(day)}, {_clock(local, precision, approximate)}"
        case Precision.DAY:
            return f"{around}{short_date(day)}"
        case Precision.WEEK:
            return f"{around}week of {short_date(day)}"
        case Precision.MONTH:
            month = f"{MONTHS[day.month - 1]} {day.year}"
            if not approximate:
                return month
            part = "early" if day.day <= 10 else "mid" if day.day <= 20 else "late"
            return f"{part} {month}"
        case Precision.YEAR:
            return f"{around}{day.year}"
    raise ValueError(f"unknown precision {precision!r}")


def format_span(
    start: datetime,
    start_precision: str,
    start_approximate: bool,
    end: datetime | None,
    end_precision: str | None,
    end_approximate: bool,
    zone: ZoneInfo,
) -> str:
    """A point or a range, sharing what both ends share: '10–20 Feb 2022'."""
    first = format_point(start, start_precision, start_approximate, zone)
    if end is None:
        return first
    end_precision = end_precision or start_precision
    local_start, local_end = start.astimezone(zone), end.astimezone(zone)
    plain_days = (
        start_precision == end_precision == Precision.DAY
        and not start_approximate
        and not end_approximate
    )
    if plain_days:
        a, b = local_start.date(), local_end.date()
        if a == b:
            return short_date(a)
        if (a.year, a.month) == (b.year, b.month):
            return f"{a.day}–{short_date(b)}"
        if a.year == b.year:
            return f"{a.day} {MONTHS[a.month - 1][:3]} – {short_date(b)}"
    same_day_clock = (
        start_precision == end_precision == Precision.MINUTE
        and not start_approximate
        and not end_approximate
        and local_start.date() == local_end.date()
    )
    if same_day_clock:
        clock = f"{local_start:%H:%M}–{local_end:%H:%M} {local_end.tzname()}"
        return f"{short_date(local_start.date())}, {clock}"
    return f"{first} – {format_point(end, end_precision, end_approximate, zone)}"


def day_heading(at: datetime, precision: str, approximate: bool, zone: ZoneInfo) -> str:
    """The heading an event is grouped under: its day, or its coarser period as a whole."""
    if precision in DAY_PRECISIONS and not (precision == Precision.DAY and approximate):
        return long_date(at.astimezone(zone).date())
    return format_point(at, precision, approximate, zone)
