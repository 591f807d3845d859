"""Revisions for people: who changed what and when, field by field, and the public corrections log.

Snapshots name actors, sources and related events by id; pages show names, looked up for all the
revisions of a page at once (`load_names`).
"""

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from difflib import SequenceMatcher
from typing import Any
from zoneinfo import ZoneInfo

from markupsafe import Markup, escape
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.dates import format_point, short_date
from app.editing import DATE_PARTS, FIELD_LABELS, Conflict, describe_change, snapshot_point
from app.models import Actor, Event, Revision, Source

IMPORTER = "data file / import"
ACTIONS = {
    "create": "created",
    "edit": "edited",
    "publish": "published",
    "unpublish": "unpublished",
    "delete": "moved to trash",
    "undelete": "restored from trash",
    "restore": "restored an earlier version",
    "import": "imported",
    "reimport": "imported again",
}
RESTORED = re.compile(r"^Restored version (\d+)\.$")
TEXT_FIELDS = ("title", "summary", "description")  # shown as one word-level diff
LIST_FIELDS = ("actors", "sources", "relations", "aliases")
PRIVATE_FIELDS = ("importance",)  # an editorial ranking, not a fact readers are shown
CONTEXT_WORDS = 12  # unchanged words kept either side of a change in a long text


@dataclass(frozen=True)
class Names:
    """What the ids in snapshots stand for."""

    actors: dict[int, str] = field(default_factory=dict)
    sources: dict[int, str] = field(default_factory=dict)
    events: dict[int, str] = field(default_factory=dict)


def load_names(session: Session, snapshots: Iterable[dict[str, Any]]) -> Names:
    """The names of every actor, source and event the snapshots mention: three queries at most,
    however many revisions."""
    actor_ids: set[int] = set()
    source_ids: set[int] = set()
    event_ids: set[int] = set()
    for snapshot in snapshots:
        actor_ids.update(_ids(link.get("actor") for link in snapshot.get("actors") or []))
        actor_ids.update(_ids([snapshot.get("parent")]))
        source_ids.update(_ids(cite.get("source") for cite in snapshot.get("sources") or []))
        event_ids.update(_ids(rel.get("event") for rel in snapshot.get("relations") or []))
    names = Names()
    if actor_ids:
        rows = session.execute(select(Actor.id, Actor.name).where(Actor.id.in_(actor_ids)))
        names.actors.update({id_: name for id_, name in rows})
    if source_ids:
        query = select(Source.id, Source.publisher, Source.title).where(Source.id.in_(source_ids))
        names.sources.update({id_: f"{pub}: {title}" for id_, pub, title in session.execute(query)})
    if event_ids:
        rows = session.execute(select(Event.id, Event.title).where(Event.id.in_(event_ids)))
        names.events.update({id_: title for id_, title in rows})
    return names


def _ids(values: Iterable[Any]) -> set[int]:
    return {value for value in values if isinstance(value, int) and not isinstance(value, bool)}


def snapshots_of(revisions: Sequence[Revision]) -> list[dict[str, Any]]:
    """Every record a list of revisions shows: each version, and each before-value."""
    shown = []
    for revision in revisions:
        shown.append(revision.snapshot)
        shown.append({str(c["field"]): c["before"] for c in revision.changes})
    return shown


def fields(snapshot: dict[str, Any]) -> dict[str, Any]:
    """A snapshot without its bookkeeping keys (those starting with '_')."""
    return {key: value for key, value in snapshot.items() if not key.startswith("_")}


def before_of(revision: Revision) -> dict[str, Any]:
    """The record just before a revision: its snapshot with its changes undone."""
    return {**fields(revision.snapshot), **{str(c["field"]): c["before"] for c in revision.changes}}


def moment(at: datetime, zone: ZoneInfo) -> str:
    """'13 Feb 2022, 09:12 EET'."""
    return format_point(at, "minute", False, zone)


# The editors' history


@dataclass(frozen=True)
class FieldChange:
    label: str
    before: Markup
    after: Markup
    inline: Markup | None = None  # long text: one diff with <del> and <ins>, across both columns


@dataclass(frozen=True)
class HistoryEntry:
    version: int
    when: str
    datetime_attr: str
    who: str
    action: str
    note: str
    public: bool
    changes: list[FieldChange]
    is_current: bool
    can_restore: bool


def history_entries(
    revisions: Sequence[Revision], names: Names, zone: ZoneInfo
) -> list[HistoryEntry]:
    """Revisions (newest first, as `editing.revisions` gives them) as the history page lists
    them; an older version can be restored when its fields differ from the current ones."""
    current = fields(revisions[0].snapshot) if revisions else {}
    entries = []
    for index, revision in enumerate(revisions):
        action, note = ACTIONS.get(revision.action, revision.action), revision.note
        restored = RESTORED.match(note) if revision.action == "restore" else None
        if restored:
            action, note = f"restored version {restored.group(1)}", ""
        entries.append(
            HistoryEntry(
                version=revision.version,
                when=moment(revision.created_at, zone),
                datetime_attr=revision.created_at.astimezone(UTC).strftime("%Y-%m-%dT%H:%MZ"),
                who=revision.user.email if revision.user else IMPORTER,
                action=action,
                note=note,
                public=revision.public,
                changes=field_changes(revision, names, zone),
                is_current=index == 0,
                can_restore=index > 0 and fields(revision.snapshot) != current,
            )
        )
    return entries


def field_changes(revision: Revision, names: Names, zone: ZoneInfo) -> list[FieldChange]:
    """Each changed field of a revision, before and after; the parts of a date read as one."""
    before, after = before_of(revision), fields(revision.snapshot)
    rows = []
    done: set[str] = set()
    for change in revision.changes:
        name = str(change["field"])
        part = DATE_PARTS.get(name) if "start" in after else None  # actors have no dates
        if part is not None:
            if part in done:
                continue
            done.add(part)
            old, new = snapshot_point(before, part, zone), snapshot_point(after, part, zone)
            rows.append(FieldChange(FIELD_LABELS[part], _shown(old), _shown(new)))
        elif name in TEXT_FIELDS and change["before"] and change["after"]:
            old, new = str(change["before"]), str(change["after"])
            inline = word_diff(old, new)
            rows.append(FieldChange(FIELD_LABELS[name], escape(old), escape(new), inline))
        elif name in LIST_FIELDS:
            old_items = _items(name, change["before"], names)
            new_items = _items(name, change["after"], names)
            rows.append(
                FieldChange(
                    FIELD_LABELS.get(name, name),
                    _item_list(old_items, set(old_items) - set(new_items), "del"),
                    _item_list(new_items, set(new_items) - set(old_items), "ins"),
                )
            )
        else:
            label = FIELD_LABELS.get(name, name)
            old_value = value_html(name, change["before"], names)
            rows.append(FieldChange(label, old_value, value_html(name, change["after"], names)))
    return rows


def snapshot_rows(snapshot: dict[str, Any], names: Names, zone: ZoneInfo) -> list[FieldChange]:
    """Every field of one version, for reading it whole (only `after` is used)."""
    rows = []
    shown = fields(snapshot)
    for name, value in shown.items():
        part = DATE_PARTS.get(name) if "start" in shown else None
        if part is not None:
            if name == part:
                point = snapshot_point(shown, part, zone)
                rows.append(FieldChange(FIELD_LABELS[part], Markup(), _shown(point)))
            continue
        if name in LIST_FIELDS:
            html = _item_list(_items(name, value, names), set(), "")
        elif name in TEXT_FIELDS and value:
            html = Markup('<span class="long-text">{}</span>').format(value)
        else:
            html = value_html(name, value, names)
        rows.append(FieldChange(FIELD_LABELS.get(name, name), Markup(), html))
    if "_published" in snapshot:
        state = "published" if snapshot["_published"] else "not published"
        rows.append(FieldChange("state", Markup(), escape(state)))
    return rows


def value_html(name: str, value: Any, names: Names) -> Markup:
    """One field's value for editors: names for ids, 'yes'/'no', 'none' for nothing."""
    if name == "parent" and isinstance(value, int):
        return escape(names.actors.get(value, f"actor {value} (deleted)"))
    if isinstance(value, bool):
        return escape("yes" if value else "no")
    if name in LIST_FIELDS:
        return _item_list(_items(name, value, names), set(), "")
    if name in TEXT_FIELDS and value:
        return Markup('<span class="long-text">{}</span>').format(value)
    return _shown(value)


def _shown(value: Any) -> Markup:
    if value is None or value == "":
        return Markup('<span class="none">none</span>')
    return escape(str(value))


def _items(name: str, value: Any, names: Names) -> list[str]:
    """A list field's items in words: 'Joe Biden (initiator)', 'denies “…” (event 17)'."""
    items = []
    for item in value or []:
        if name == "aliases":
            items.append(str(item))
        elif name == "actors":
            actor = names.actors.get(item.get("actor"), f"actor {item.get('actor')} (deleted)")
            items.append(f"{actor} ({item.get('role')})")
        elif name == "sources":
            source = names.sources.get(item.get("source"), f"source {item.get('source')}")
            quote = item.get("quote") or ""
            items.append(f"{source} — “{_clip(quote)}”" if quote else source)
        elif name == "relations":
            other = item.get("event")
            title = names.events.get(other, "an event since removed")
            items.append(f"{item.get('relation')} “{title}” (event {other})")
    return items


def _clip(text: str, length: int = 90) -> str:
    return text if len(text) <= length else text[: length - 1].rstrip() + "…"


def _item_list(items: Sequence[str], marked: set[str], tag: str) -> Markup:
    if not items:
        return _shown(None)
    lines = [
        Markup("<li><{0}>{1}</{0}></li>").format(Markup(tag), item)
        if item in marked and tag
        else Markup("<li>{}</li>").format(item)
        for item in items
    ]
    return Markup('<ul class="diff-list">{}</ul>').format(Markup("").join(lines))


_TOKENS = re.compile(r"\s+|\S+")


def word_diff(before: str, after: str) -> Markup:
    """The text with removed words in <del> and added ones in <ins>; long unchanged stretches
    are cut to a few words either side of each change."""
    old, new = _TOKENS.findall(before), _TOKENS.findall(after)
    opcodes = _joined(SequenceMatcher(None, old, new, autojunk=False).get_opcodes(), old)
    parts: list[Markup] = []
    for index, (tag, i1, i2, j1, j2) in enumerate(opcodes):
        if tag == "equal":
            same = old[i1:i2]
            parts.append(escape(_elide(same, head=index > 0, tail=index < len(opcodes) - 1)))
            continue
        if i2 > i1:
            parts.append(Markup("<del>{}</del>").format("".join(old[i1:i2])))
        if j2 > j1:
            parts.append(Markup("<ins>{}</ins>").format("".join(new[j1:j2])))
    return Markup("").join(parts)


def _joined(opcodes: list[tuple[str, int, int, int, int]], old: list[str]) -> list[Any]:
    """Changes separated only by a space read as one: 'an hour' → '62 min', not two."""
    joined: list[tuple[str, int, int, int, int]] = []
    for tag, i1, i2, j1, j2 in opcodes:
        if tag != "equal" and joined and joined[-1][0] != "equal":
            start = joined.pop()
            joined.append(("replace", start[1], i2, start[3], j2))
        elif (
            tag != "equal"
            and len(joined) >= 2
            and joined[-2][0] != "equal"
            and all(token.isspace() for token in old[joined[-1][1] : joined[-1][2]])
        ):
            joined.pop()
            start = joined.pop()
            joined.append(("replace", start[1], i2, start[3], j2))
        else:
            joined.append((tag, i1, i2, j1, j2))
    return joined


def _elide(tokens: list[str], *, head: bool, tail: bool) -> str:
    """An unchanged stretch, keeping the words next to the changes before (head) and after
    (tail) it."""
    words = [i for i, token in enumerate(tokens) if not token.isspace()]
    if len(words) <= (head + tail + 1) * CONTEXT_WORDS:
        return "".join(tokens)
    kept_head = "".join(tokens[: words[CONTEXT_WORDS - 1] + 1]) + " …" if head else "…"
    kept_tail = " " + "".join(tokens[words[-CONTEXT_WORDS] :]) if tail else ""
    return kept_head + kept_tail


# Conflicts


def when_changed(at: datetime | None, zone: ZoneInfo) -> str:
    """'09:12 EET' today, '13 Feb 2022, 09:12 EET' before."""
    if at is None:
        return "an unknown time"
    local = at.astimezone(zone)
    if local.date() == datetime.now(UTC).astimezone(zone).date():
        return f"{local:%H:%M} {local.tzname()}"
    return moment(at, zone)


def conflict_message(conflict: Conflict, zone: ZoneInfo) -> str:
    who = conflict.changed_by or "someone else"
    at = f" at {when_changed(conflict.changed_at, zone)}" if conflict.changed_at else ""
    return (
        f"Changed by {who}{at} since you opened it (it is now version {conflict.current}, "
        f"you started from version {conflict.expected}). Nothing was saved."
    )


@dataclass(frozen=True)
class Difference:
    label: str
    theirs: Markup
    mine: Markup


def differences(
    theirs: dict[str, Any], mine: dict[str, Any], names: Names, zone: ZoneInfo
) -> list[Difference]:
    """The fields where what is stored now and what an editor sent differ, side by side."""
    rows = []
    for name, value in mine.items():
        if name.startswith("_") or theirs.get(name) == value:
            continue
        stored, sent = value_html(name, theirs.get(name), names), value_html(name, value, names)
        rows.append(Difference(FIELD_LABELS.get(name, name), stored, sent))
    return rows


# The public corrections log


@dataclass(frozen=True)
class LogEntry:
    when: str
    day: str
    datetime_attr: str
    text: str
    note: str
    is_correction: bool


@dataclass(frozen=True)
class Mark:
    """'Corrected 13 Feb 2022' beside an event's date."""

    label: str
    datetime_attr: str


def public_log(revisions: Sequence[Revision], zone: ZoneInfo) -> list[LogEntry]:
    """`editing.corrections` in words for readers: never who, never a silent fix."""
    entries = []
    for revision in revisions:
        text = describe_revision(revision, zone)
        if not text:
            continue
        status_changed = any(c["field"] == "status" for c in revision.changes)
        entries.append(
            LogEntry(
                when=moment(revision.created_at, zone),
                day=short_date(revision.created_at.astimezone(zone).date()),
                datetime_attr=revision.created_at.astimezone(UTC).strftime("%Y-%m-%dT%H:%MZ"),
                text=text,
                note=revision.note,
                is_correction=not status_changed,
            )
        )
    return entries


def describe_revision(revision: Revision, zone: ZoneInfo) -> str:
    """'Status changed from scheduled to postponed; date updated from 14 Feb 2022 to 16 Feb
    2022.' A change of status reads as an update; anything else public is a correction."""
    before, after = before_of(revision), fields(revision.snapshot)
    status_changed = any(c["field"] == "status" for c in revision.changes)
    verb = "updated" if status_changed else "corrected"
    phrases = []
    seen: set[str] = set()
    changes = sorted(revision.changes, key=lambda c: c["field"] != "status")
    for change in changes:
        name = str(change["field"])
        key = DATE_PARTS.get(name, name)
        if key in seen or name in PRIVATE_FIELDS:
            continue
        seen.add(key)
        said = "changed" if name == "status" else verb
        phrases.append(describe_change(change, after, zone, said, before=before))
    if not phrases:
        return ""
    sentence = "; ".join(phrases)
    return sentence[:1].upper() + sentence[1:] + "."


def correction_mark(log: Sequence[LogEntry]) -> Mark | None:
    """'Corrected' when any entry is a correction, else 'Updated', with the latest one's day."""
    if not log:
        return None
    word = "Corrected" if any(entry.is_correction for entry in log) else "Updated"
    return Mark(f"{word} {log[-1].day}", log[-1].datetime_attr)
