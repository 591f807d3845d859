"""Synthetic crisis data for load tests and demos: `brink generate --events 1000000`.

The same seed gives the same crisis (titles, dates, actors, links), on SQLite and on PostgreSQL,
whatever the database already holds: the generated rows go on top, with ids of their own. A world
of made-up states, their leaders and ministries, alliances and news outlets, over two years:

* actors, about one per twenty events up to MAX_ACTORS (5,000), of every kind; most people and
  agencies belong to a state (or an alliance), and some have aliases, so searching an alias finds
  their events. Activity follows a power law: the first few actors (two rival states, their
  leaders, the main alliance) are in most events, and even the least active of 5,000 actors is in
  a dozen events of a million;
* a calendar with bursts: a rising baseline plus Gaussian bursts around KEY_DAYS key days (the
  busiest days see 20 to 40 times the median day's events), each burst with a topic most of its
  events are about; about one event in fifty lies after the latest report (the last day of the
  two years): scheduled, some postponed or cancelled; before it, events occurred (a few were
  cancelled or postponed);
* events of every type in the vocabulary, with one to three actors in roles (initiator, then
  counterpart or subject, then participant); about one in ten is a range; precisions vary from
  the minute to the year; claimed or disputed now and then; all published;
* titles and summaries made from word lists that text search can find. Common words:
  COMMON_WORDS, each in 5% of the events or more ("ceasefire" in one in ten, "talks" in 28%);
  rare words: RARE_WORDS, code names that each appear in about one event in 10,000 (about 100
  events of a million), never inside another word. Every event cites one or two reports of
  the PUBLISHERS, some with a quoted passage.

Events are made and written in chunks of CHUNK_EVENTS, with Core bulk inserts, and indexed for
search chunk by chunk (search.reindex_range), so memory stays flat whatever the size; all of it in
one transaction, so a failure leaves nothing behind. 1M events: ~2 minutes on SQLite, ~5 on
PostgreSQL, ~200 MB (docs/performance.md).
"""

import random
import re
from bisect import bisect_left
from collections import deque
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from itertools import accumulate
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import Connection, Engine, Table, func, insert, select, text

from app import counting, editing, search
from app.dates import instant
from app.db import analyze, writing
from app.editing import slugify
from app.models import (
    Actor,
    ActorAlias,
    ActorKind,
    Citation,
    Event,
    EventActor,
    EventRelation,
    EventType,
    Precision,
    RelationKind,
    Role,
    Source,
    Status,
    Verification,
)

FIRST_DAY = date(2023, 1, 1)  # in the crisis zone
DAYS = 730
ZIPF_EXPONENT = 1.2  # actor activity: the n-th most active actor is in ~1/n^1.2 as many events

# The made-up world.

PLACE_STARTS = [
    "Val", "Kor", "Ast", "Mar", "Tal", "Bel", "Sar", "Dun", "Esk", "Lur", "Nov", "Ost",
    "Pra", "Rud", "Sev", "Tar", "Ulm", "Vel", "Zar", "Bran", "Cal", "Dor", "Fen", "Grem",
]  # fmt: skip
PLACE_ENDS = [
    "ovia", "istan", "aria", "enia", "land", "mark", "ora", "esh", "avia", "onia", "una", "ekia",
]  # fmt: skip
CITY_NAMES = [
    "Port Aldan", "Vesterhavn", "Krasnomir", "Belogor", "Oskaray", "Tirnovo", "Lemberk", "Dravic",
    "Sulmira", "Keldburg", "Novaya Sosna", "Marevo", "Istrava", "Hollin", "Zaporin", "Dunmere",
    "Solvik", "Brestova", "Yaralov", "Corvanne", "Pelagrad", "Rivnoye", "Galdor", "Ostrava Nova",
]  # fmt: skip
REAL_ZONES = ["Europe/Kyiv", "Europe/Moscow", "Europe/Berlin", "Europe/Brussels", "Europe/Warsaw"]
REGIONS = ["Northern", "Eastern", "Continental", "Atlantic", "Steppe", "Coastal", "Highland"]
BODIES = [
    "Security Council", "Defence Alliance", "Trade Union", "Monitoring Mission",
    "Energy Community", "Cooperation Organisation", "Development Bank", "Parliamentary Assembly",
]  # fmt: skip
AGENCIES = [
    "Ministry of Defence", "Foreign Ministry", "Border Guard Service", "Intelligence Directorate",
    "Navy", "Air Force", "Interior Ministry", "Security Service", "General Staff",
    "Energy Ministry", "Coast Guard", "Presidential Office",
]  # fmt: skip
FIRST_NAMES = [
    "Dmytro", "Olena", "Sergei", "Anna", "Viktor", "Irina", "Marek", "Katarzyna", "Jonas",
    "Ingrid", "Pavel", "Milena", "Andrei", "Sofia", "Tomas", "Elena", "Karl", "Margit", "Yuri",
    "Natalia", "Oskar", "Vesna", "Lukas", "Daria", "Emil", "Greta", "Bohdan", "Zofia", "Arvid",
    "Lidia", "Henrik", "Vera", "Mikhail", "Ilse", "Stefan", "Oksana", "Rasmus", "Alina",
]  # fmt: skip
LAST_NAMES = [
    "Kovalenko", "Petrov", "Novak", "Lindqvist", "Horvath", "Zelinsky", "Marchenko", "Dvorak",
    "Baranov", "Kowalski", "Sorensen", "Tkachenko", "Volkov", "Nyberg", "Kravets", "Halvorsen",
    "Moroz", "Sokolov", "Wojcik", "Bergstrom", "Shevchuk", "Orlov", "Varga", "Lehtonen",
    "Bondarenko", "Kuznetsov", "Nowicki", "Eriksen", "Savchenko", "Belov", "Toth", "Virtanen",
    "Hrytsenko", "Lebedev", "Mazur", "Holm", "Rudenko", "Popov", "Szabo", "Koskinen",
]  # fmt: skip
PERSON_TITLES = {
    ActorKind.STATE: ["President", "Prime minister", "Foreign minister", "Defence minister"],
    ActorKind.ORGANISATION: ["Secretary-general", "Chair", "Special envoy", "Spokesperson"],
    ActorKind.AGENCY: ["Head", "Spokesperson", "Deputy head", "Commander"],
}
TRANSLITERATIONS = [("y", "i"), ("kh", "h"), ("ts", "c"), ("v", "w"), ("ii", "iy"), ("o", "u")]
# "Ceasefire" and "grain" are words the tests search for: keep them out of actor names.
TOPICS = [
    "the ceasefire line", "ceasefire monitoring", "grain exports", "gas transit",
    "border crossings", "a prisoner exchange", "naval patrols", "airspace closures",
    "troop withdrawals", "missile deployments", "humanitarian corridors", "sanctions relief",
    "energy supplies", "security guarantees", "nuclear plant safety", "cyber attacks",
    "the peace framework", "refugee flows", "arms deliveries", "embassy security",
]  # fmt: skip
INCIDENTS = [
    "shelling", "a drone sighting", "an airspace violation", "a cyber attack", "a naval standoff",
    "an explosion", "a border skirmish", "a downed helicopter", "a seized cargo ship",
]  # fmt: skip
MOODS = ["tense", "calm", "uncertain", "deteriorating", "stable", "serious", "volatile"]
UNITS = ["armoured brigades", "air defence units", "warships", "paratroopers", "artillery"]
SECTORS = ["banks", "energy companies", "shipping", "officials", "technology exports"]

# Titles by event type: with one actor {a}, or with a second one {b} too.
ONE_ACTOR_TITLES: dict[str, list[str]] = {
    "call": ["{a} holds a call with allies on {topic}"],
    "meeting": ["{a} convenes talks on {topic} in {city}", "{a} hosts a summit in {city}"],
    "statement": ["{a} warns over {topic}", "{a} says {topic} must be settled"],
    "denial": ["{a} denies reports of {incident} near {city}", "{a} rejects claims on {topic}"],
    "drill": ["{a} begins drills near {city}", "{a} stages exercises with {unit}"],
    "deployment": ["{a} moves {unit} toward {city}", "{a} sends {unit} to the border"],
    "evacuation": ["{a} orders embassy staff out of {city}", "{a} evacuates families from {city}"],
    "travel-advisory": ["{a} tells citizens to leave {city}", "{a} raises its travel warning"],
    "sanctions": ["{a} prepares sanctions on {sector}", "{a} extends sanctions over {topic}"],
    "incident": ["{a} reports {incident} near {city}", "{incident} reported near {city}"],
    "diplomatic": ["{a} proposes a framework on {topic}", "{a} recalls its ambassador"],
}
TWO_ACTOR_TITLES: dict[str, list[str]] = {
    "call": ["{a} and {b} speak by phone about {topic}", "{a} calls {b} over {topic}"],
    "meeting": ["{a} meets {b} in {city}", "{a} and {b} hold talks on {topic}"],
    "statement": ["{a} accuses {b} over {topic}", "{a} warns {b} of consequences"],
    "denial": ["{a} denies claims by {b} of {incident}", "{a} rejects what {b} says on {topic}"],
    "drill": ["{a} and {b} hold joint drills near {city}", "{a} drills {unit} as {b} watches"],
    "deployment": ["{a} deploys {unit} as {b} protests", "{a} reinforces {city} against {b}"],
    "evacuation": ["{a} evacuates staff as {b} masses {unit}", "{a} pulls monitors from {city}"],
    "travel-advisory": [
        "{a} advises against travel after {b} threats",
        "{a} and {b} warn travellers",
    ],
    "sanctions": ["{a} sanctions {sector} tied to {b}", "{a} threatens {b} with sanctions"],
    "incident": ["{a} blames {b} for {incident}", "{a} and {b} trade fire near {city}"],
    "diplomatic": ["{a} sends {b} a proposal on {topic}", "{a} expels diplomats after {b} protest"],
}
GENERIC_TITLES = ["{a} acts on {topic}", "{a} and {b} at odds over {topic}"]
SENTENCES = [
    "{a} said talks on {topic} would continue next week.",
    "Officials in {city} described the situation as {mood}.",
    "The move followed reports of {incident} near {city}.",
    "{a} called for restraint over {topic}.",
    "Observers said it could affect {topic} for months.",
    "No details were given about {topic}.",
    "Residents of {city} reported {incident} overnight.",
    "Diplomats called the mood {mood} after the exchange.",
]
PUBLISHERS = [
    ("Northern Wire", "northernwire.example"),
    ("The Meridian Post", "meridianpost.example"),
    ("Continental Broadcasting", "cbn.example"),
    ("Harbour Gazette", "harbourgazette.example"),
    ("Steppe Daily", "steppedaily.example"),
    ("Frontier Monitor", "frontiermonitor.example"),
    ("The Evening Ledger", "eveningledger.example"),
]
# Sources are cited by several events, so their titles name nothing a single event is about:
# searching "ceasefire" finds the events that speak of it, not their neighbours.
SOURCE_TITLES = [
    "Live updates from {city}",
    "{a}: readout",
    "Morning briefing, {day}",
    "What we know about the situation in {city}",
]


# Words to search for in benchmarks. Common ones are in many events' titles or summaries; each
# rare one is a code name in about one event in 10,000, and no other word starts with it.
COMMON_WORDS = ("ceasefire", "talks", "border", "sanctions", "grain", "drills")
RARE_WORDS = (
    "juniper", "walrus", "marzipan", "obsidian", "tapestry", "harpsichord", "quicksilver",
    "nightingale", "kaleidoscope", "porcelain", "meteorite", "origami", "falconry", "lighthouse",
    "sapphire", "tundra", "zeppelin", "icebreaker", "chrysalis", "velvet",
)  # fmt: skip
RARE_SENTENCE = "Officials also raised the so-called {rare} file."
RARE_SHARE = len(RARE_WORDS) / 10_000  # of events: one of the rare words each

MIN_ACTORS = 5  # two rival states, an alliance, an agency and a person
MAX_ACTORS = 5_000
EVENTS_PER_ACTOR = 20
MAX_STATES = 150  # the made-up place names run out; a crisis among more is a world war
MAX_ORGANISATIONS = 48  # REGIONS × BODIES makes 56 names
CHUNK_EVENTS = 20_000  # made and written at a time: memory stays flat whatever the size

# The calendar: a baseline rising towards the latest report, bursts around key days, and what is
# scheduled after the latest report.
KEY_DAYS = 15
BURST_SHARE = 0.4  # of the events up to the latest report
FUTURE_SHARE = 0.02  # of all events
FUTURE_DAYS = 60
ON_TOPIC = 0.7  # of a burst's own events, those about its topic
SOURCE_REUSE = 0.5  # a citation of a recent report rather than a new one
PAST_STATUSES = (Status.OCCURRED, Status.CANCELLED, Status.POSTPONED)
PAST_STATUS_WEIGHTS = (95, 3, 2)
FUTURE_STATUSES = (Status.SCHEDULED, Status.POSTPONED, Status.CANCELLED)
FUTURE_STATUS_WEIGHTS = (85, 10, 5)
PRECISIONS = tuple(Precision)
PRECISION_WEIGHTS = (25, 10, 50, 7, 6, 2)
# Scheduled events are known to the day or better: a month or a week would start before the
# latest report.
FUTURE_PRECISIONS = (Precision.MINUTE, Precision.HOUR, Precision.DAY)
FUTURE_PRECISION_WEIGHTS = (25, 10, 50)


def default_actors(events: int) -> int:
    """One actor per twenty events, at least 8 and at most MAX_ACTORS. Past a few thousand, more
    actors would only add people in one or two events each, which no crisis desk keeps: capped,
    the least active of 5,000 is still in a dozen events of a million."""
    return min(MAX_ACTORS, max(8, round(events / EVENTS_PER_ACTOR)))


@dataclass(frozen=True)
class GenerateReport:
    seed: int
    events: int
    actors: int
    aliases: int
    sources: int
    citations: int
    event_actors: int
    relations: int
    first_event_id: int
    last_event_id: int

    def __str__(self) -> str:
        def n(count: int, noun: str, plural: str = "") -> str:
            return f"{count:,} {noun if count == 1 else plural or noun + 's'}"

        return (
            f"{n(self.events, 'event')} (ids {self.first_event_id}–{self.last_event_id}), "
            f"{n(self.actors, 'actor')}, {n(self.aliases, 'alias', 'aliases')}, "
            f"{n(self.sources, 'source')}, {n(self.citations, 'citation')}, "
            f"{n(self.relations, 'relation')}; seed {self.seed}"
        )


Progress = Callable[[int, int], None]  # told (events written so far, events in all)


def generate(
    engine: Engine,
    events: int = 10_000,
    seed: int = 1,
    zone: ZoneInfo | None = None,
    actors: int | None = None,
    progress: Progress | None = None,
) -> GenerateReport:
    """Write `events` synthetic events with `actors` actors (default_actors(events) if None) and
    their sources into a migrated database, indexed for search, in one transaction. `zone` is the
    crisis zone that dates are days of (UTC if not given); `progress` is told after each chunk."""
    if events < 1:
        raise ValueError("generate at least one event")
    actors = default_actors(events) if actors is None else actors
    if actors < MIN_ACTORS:
        raise ValueError(f"generate at least {MIN_ACTORS} actors")
    zone = zone or ZoneInfo("UTC")
    with writing(engine).begin() as connection:
        generator = _Generator(connection, random.Random(seed), zone)
        report = generator.run(events, actors, seed, progress)
    analyze(engine)
    return report


@dataclass
class _Chunk:
    """The rows of a chunk of events. New sources get their ids when the chunk is written, and
    citations point at source rows (of this chunk or an earlier one) until then."""

    events: list[dict[str, Any]] = field(default_factory=list)
    links: list[dict[str, Any]] = field(default_factory=list)
    citations: list[tuple[int, dict[str, Any], str | None, int]] = field(default_factory=list)
    sources: list[dict[str, Any]] = field(default_factory=list)
    relations: list[dict[str, Any]] = field(default_factory=list)


@dataclass
class _Calendar:
    """How many events start on each day (from FIRST_DAY), and the burst topic of busy days."""

    per_day: list[int]
    from_bursts: list[int]
    topics: list[str | None]


class _Generator:
    def __init__(self, connection: Connection, rng: random.Random, zone: ZoneInfo) -> None:
        self.connection = connection
        self.rng = rng
        self.zone = zone
        self.now = datetime.now(UTC)
        self.midnights: dict[int, datetime] = {}

    def run(
        self, count: int, actor_count: int, seed: int, progress: Progress | None
    ) -> GenerateReport:
        connection = self.connection
        types = list(connection.scalars(select(EventType.slug).order_by(EventType.position)))
        if not types:
            raise RuntimeError("the event type vocabulary is empty: is the database migrated?")
        actors, aliases, ranked = self._actors(actor_count)
        _insert(connection, Actor.__table__, actors)
        _insert(connection, ActorAlias.__table__, aliases)
        editing.refresh_actor_members(connection)

        written = dict.fromkeys(("events", "sources", "citations", "links", "relations"), 0)
        counted = counting.newest_rows(connection)
        first_id = last_id = 0
        for chunk in self._events(count, types, ranked):
            event_ids = [event["id"] for event in chunk.events]
            first_id, last_id = first_id or event_ids[0], event_ids[-1]
            source_ids = _reserve_ids(connection, Source.__table__, len(chunk.sources))
            for source, source_id in zip(chunk.sources, source_ids, strict=True):
                source["id"] = source_id
                source["url"] += str(source_id)
            citations = [
                {"event_id": event_id, "source_id": source["id"], "quote": quote, "position": at}
                for event_id, source, quote, at in chunk.citations
            ]
            _insert(connection, Source.__table__, chunk.sources)
            _insert(connection, Event.__table__, chunk.events)
            _insert(connection, EventActor.__table__, chunk.links)
            _insert(connection, Citation.__table__, citations)
            _insert(connection, EventRelation.__table__, chunk.relations)
            # Then what the app maintains from those tables, built by the database from them.
            search.reindex_range(connection, event_ids[0], event_ids[-1])
            counting.count_range(connection, event_ids[0], event_ids[-1])
            written["events"] += len(chunk.events)
            written["sources"] += len(chunk.sources)
            written["citations"] += len(citations)
            written["links"] += len(chunk.links)
            written["relations"] += len(chunk.relations)
            if progress:
                progress(written["events"], count)
        counting.compact(connection, counted)  # each chunk added its own rows
        return GenerateReport(
            seed=seed,
            events=written["events"],
            actors=len(actors),
            aliases=len(aliases),
            sources=written["sources"],
            citations=written["citations"],
            event_actors=written["links"],
            relations=written["relations"],
            first_event_id=first_id,
            last_event_id=last_id,
        )

    # Actors

    def _actors(
        self, count: int
    ) -> tuple[list[dict[str, Any]], list[dict[str, Any]], list[dict[str, Any]]]:
        """Rows for actors and their aliases, and the actors from most to least active."""
        rng = self.rng
        n_states = min(MAX_STATES, max(2, round(count * 0.12)))
        n_orgs = min(MAX_ORGANISATIONS, max(1, round(count * 0.08)))
        n_agencies = max(1, round(count * 0.25))
        n_people = max(1, count - n_states - n_orgs - n_agencies)
        total = n_states + n_orgs + n_agencies + n_people
        ids = iter(_reserve_ids(self.connection, Actor.__table__, total))
        taken_slugs = set(self.connection.scalars(select(Actor.slug)))
        names: set[str] = set()
        actors: list[dict[str, Any]] = []
        aliases: list[dict[str, Any]] = []

        def add(name: str, kind: ActorKind, parent: dict[str, Any] | None, about: str) -> dict:
            slug = base = slugify(name)[:110]
            number = 1
            while slug in taken_slugs:
                number += 1
                slug = f"{base}-{number}"
            taken_slugs.add(slug)
            actor = {
                "id": next(ids),
                "slug": slug,
                "name": name,
                "kind": kind.value,
                "description": about,
                "parent_id": parent["id"] if parent else None,
                "created_at": self.now,
                "updated_at": self.now,
            }
            actors.append(actor)
            return actor

        def alias(actor: dict[str, Any], *candidates: str) -> None:
            seen = {actor["name"]}
            for name in candidates:
                if name and name not in seen:
                    seen.add(name)
                    aliases.append(
                        {"actor_id": actor["id"], "name": name, "position": len(seen) - 2}
                    )

        def unique(make: Any) -> str:
            for _ in range(20):
                name = make()
                if name not in names:
                    break
            else:
                name = f"{make()} {len(names) + 1}"
            names.add(name)
            return name

        def place() -> str:
            return rng.choice(PLACE_STARTS) + rng.choice(PLACE_ENDS)

        states = []
        for _ in range(n_states):
            name = unique(place)
            state = add(name, ActorKind.STATE, None, f"{name}, a made-up state.")
            states.append(state)
            if rng.random() < 0.3:
                alias(state, f"Republic of {name}", _transliterate(name, rng))
        orgs = []
        for _ in range(n_orgs):
            name = unique(lambda: f"{rng.choice(REGIONS)} {rng.choice(BODIES)}")
            org = add(name, ActorKind.ORGANISATION, None, f"The {name}, a made-up body.")
            orgs.append(org)
            if rng.random() < 0.6:
                alias(org, "".join(word[0] for word in name.split()))
        agencies = []
        for _ in range(n_agencies):
            state = rng.choice(states)
            name = unique(lambda s=state: f"{s['name']} {rng.choice(AGENCIES)}")
            parent = state if rng.random() < 0.9 else None
            agency = add(name, ActorKind.AGENCY, parent, f"A body of {state['name']}.")
            agencies.append(agency)
            if rng.random() < 0.2:
                alias(agency, state["name"][:2].upper() + "".join(w[0] for w in name.split()[1:]))
        people = []
        for index in range(n_people):
            # The first people lead the first states: the crisis's main protagonists.
            if index < len(states) and index < 4:
                parent = states[index]
            else:
                draw = rng.random()
                parent = (
                    rng.choice(states)
                    if draw < 0.55
                    else rng.choice(orgs)
                    if draw < 0.7
                    else rng.choice(agencies)
                    if draw < 0.85
                    else None
                )
            name = unique(_person_name(rng))
            role = rng.choice(PERSON_TITLES[ActorKind(parent["kind"])]) if parent else "Envoy"
            about = f"{role} of {parent['name']}." if parent else "An independent mediator."
            person = add(name, ActorKind.PERSON, parent, about)
            people.append(person)
            if index < 4 or rng.random() < 0.3:
                last_name = name.split()[-1]
                alias(person, f"{name[0]}. {last_name}", _transliterate(name, rng))

        # Most active first: the two main states, their leaders, the main alliance, then the rest.
        leading = [states[0], states[1], people[0], orgs[0]]
        if len(people) > 1:
            leading.insert(3, people[1])
        rest = [actor for actor in actors if actor not in leading]
        rng.shuffle(rest)
        return actors, aliases, leading + rest

    # The calendar

    def _calendar(self, count: int) -> _Calendar:
        """Draw every event's day: a few in the FUTURE_DAYS after the latest report (the last of
        DAYS), the rest a mixture of a baseline rising towards it and Gaussian bursts around key
        days, of different sizes and widths, each about a topic."""
        rng = self.rng
        key_days = sorted(rng.sample(range(20, DAYS - 10), min(KEY_DAYS, DAYS - 30)))
        bursts = [
            (day, rng.uniform(0.7, 2.5), rng.uniform(1, 3), rng.choice(TOPICS)) for day in key_days
        ]
        # One peak above the others: the day the crisis broke.
        main = rng.randrange(len(bursts))
        bursts[main] = (bursts[main][0], 1.0, 6.0, bursts[main][3])
        burst_weights = list(accumulate(weight for _, _, weight, _ in bursts))
        per_day = [0] * (DAYS + FUTURE_DAYS)
        from_bursts = [0] * DAYS
        topics: list[str | None] = [None] * DAYS
        random_ = rng.random
        for _ in range(count):
            draw = random_()
            if draw < FUTURE_SHARE:
                day = DAYS + int(FUTURE_DAYS * random_() ** 2)  # most soon after the last report
            elif draw < FUTURE_SHARE + BURST_SHARE:
                burst = bursts[bisect_left(burst_weights, random_() * burst_weights[-1])]
                day = min(DAYS - 1, max(0, round(rng.gauss(burst[0], burst[1]))))
                from_bursts[day] += 1
                topics[day] = burst[3]
            else:
                day = int(DAYS * random_() ** 0.7)  # denser towards the latest report
            per_day[day] += 1
        return _Calendar(per_day, from_bursts, topics)

    # Events

    def _events(
        self, count: int, types: list[str], ranked: list[dict[str, Any]]
    ) -> Iterator[_Chunk]:
        """The events in the order of their days (so ids follow time), chunk by chunk."""
        rng = self.rng
        random_, choice, choices = rng.random, rng.choice, rng.choices
        weights = list(accumulate(1 / (rank**ZIPF_EXPONENT) for rank in range(1, len(ranked) + 1)))
        total = weights[-1]
        last_rank = len(ranked) - 1
        cities = [(name, rng.uniform(44, 56), rng.uniform(20, 45)) for name in CITY_NAMES]
        calendar = self._calendar(count)
        recent_sources: deque[dict[str, Any]] = deque(maxlen=50)
        recent_events: deque[int] = deque(maxlen=30)
        chunk = _Chunk()
        ids: list[int] = []
        made = 0
        for day_offset, on_day in enumerate(calendar.per_day):
            future = day_offset >= DAYS
            topical = 0.0
            if not future and on_day:
                topical = ON_TOPIC * calendar.from_bursts[day_offset] / on_day
            for _ in range(on_day):
                if not ids:
                    wanted = min(CHUNK_EVENTS, count - made)
                    ids = _reserve_ids(self.connection, Event.__table__, wanted)[::-1]
                event_id = ids.pop()
                made += 1

                # Actors: one to three, by activity.
                wanted = choices((1, 2, 3), cum_weights=(30, 80, 100))[0]
                chosen: list[dict[str, Any]] = []
                for _ in range(10 * wanted):
                    actor = ranked[min(bisect_left(weights, random_() * total), last_rank)]
                    if actor not in chosen:
                        chosen.append(actor)
                        if len(chosen) == wanted:
                            break
                second = Role.COUNTERPART if random_() < 0.5 else Role.SUBJECT
                roles = (Role.INITIATOR, second, Role.PARTICIPANT)
                chunk.links += [
                    {
                        "event_id": event_id,
                        "actor_id": actor["id"],
                        "role": roles[position].value,
                        "position": position,
                    }
                    for position, actor in enumerate(chosen)
                ]

                event_type = choice(types)
                city, lat, lon = choice(cities)
                topic = calendar.topics[day_offset] if random_() < topical else choice(TOPICS)
                words = {
                    "a": chosen[0]["name"],
                    "b": chosen[1]["name"] if len(chosen) > 1 else "",
                    "topic": topic,
                    "city": city,
                    "incident": choice(INCIDENTS),
                    "mood": choice(MOODS),
                    "unit": choice(UNITS),
                    "sector": choice(SECTORS),
                }
                if len(chosen) > 1:
                    templates = TWO_ACTOR_TITLES.get(event_type, GENERIC_TITLES[1:])
                else:
                    templates = ONE_ACTOR_TITLES.get(event_type, GENERIC_TITLES[:1])
                title = _capitalise(choice(templates).format(**words))[:300]
                sentences = rng.sample(SENTENCES, rng.randint(1, 3))
                words["topic"] = choice(TOPICS)  # the summary may touch another topic too
                summary = " ".join(s.format(**words) for s in sentences)
                if random_() < RARE_SHARE:
                    code_name = choice(RARE_WORDS).capitalize()
                    summary += " " + RARE_SENTENCE.format(rare=code_name)

                start_at, precision, approximate = self._start(day_offset, future)
                end_at, end_precision = None, None
                if random_() < 0.1:
                    end_at, end_precision = self._end(start_at, precision)
                if future:
                    status = choices(FUTURE_STATUSES, FUTURE_STATUS_WEIGHTS)[0]
                else:
                    status = choices(PAST_STATUSES, PAST_STATUS_WEIGHTS)[0]
                verification = choices(list(Verification), weights=(84, 11, 5))[0]
                has_place = random_() < 0.6
                chunk.events.append(
                    {
                        "id": event_id,
                        "key": None,
                        "slug": slugify(title),
                        "title": title,
                        "summary": summary,
                        "type_slug": event_type,
                        "status": status.value,
                        "verification": verification.value,
                        "start_at": start_at,
                        "start_precision": precision.value,
                        "start_approximate": approximate,
                        "end_at": end_at,
                        "end_precision": end_precision.value if end_precision else None,
                        "end_approximate": bool(end_at) and random_() < 0.1,
                        "place_name": city if has_place else None,
                        "place_lat": round(lat, 4) if has_place else None,
                        "place_lon": round(lon, 4) if has_place else None,
                        "timezone": choice(REAL_ZONES)
                        if has_place and precision == Precision.MINUTE and random_() < 0.3
                        else None,
                        "importance": choices((1, 2, 3), cum_weights=(20, 85, 100))[0],
                        "published": True,
                        "published_at": self.now,
                        "created_at": self.now,
                        "updated_at": self.now,
                    }
                )

                # Sources: a report of its own, or one of the recent ones; some with a quote.
                cited: list[dict[str, Any]] = []
                for position in range(choices((1, 2), cum_weights=(70, 100))[0]):
                    if recent_sources and random_() < SOURCE_REUSE:
                        source = choice(recent_sources)
                        if source in cited:
                            continue
                    else:
                        source = self._source(start_at, words)
                        chunk.sources.append(source)
                        recent_sources.append(source)
                    cited.append(source)
                    quote = sentences[0].format(**words) if random_() < 0.4 else None
                    chunk.citations.append((event_id, source, quote, position))

                # Relations: a denial denies something earlier; now and then one follows another.
                if recent_events and (event_type == "denial" or random_() < 0.05):
                    earlier = recent_events[rng.randrange(len(recent_events))]
                    kind = RelationKind.DENIES if event_type == "denial" else RelationKind.FOLLOWS
                    chunk.relations.append(
                        {"from_event_id": event_id, "to_event_id": earlier, "relation": kind.value}
                    )
                recent_events.append(event_id)

                if not ids:  # the chunk's ids are used up: write it
                    yield chunk
                    chunk = _Chunk()

    def _source(self, start_at: datetime, words: dict[str, str]) -> dict[str, Any]:
        """A new report, its id (and the end of its URL) given when its chunk is written."""
        publisher, domain = self.rng.choice(PUBLISHERS)
        local_day = start_at.astimezone(self.zone).date()
        title = self.rng.choice(SOURCE_TITLES).format(
            day=f"{local_day.day} {local_day:%B %Y}", **words
        )
        return {
            "key": None,
            "publisher": publisher,
            "title": title[:500],
            "url": f"https://{domain}/{local_day:%Y/%m/%d}/{slugify(title)}-",
            "published_on": local_day,
        }

    def _start(self, day_offset: int, future: bool = False) -> tuple[datetime, Precision, bool]:
        """An instant at a precision, stored as app.dates reads it: a day is its local midnight,
        a week its Monday, a month its first day (or early/mid/late when approximate), a year
        1 January. What is scheduled is known to the day or better."""
        rng = self.rng
        day = FIRST_DAY + timedelta(days=day_offset)
        if future:
            precision = rng.choices(FUTURE_PRECISIONS, FUTURE_PRECISION_WEIGHTS)[0]
        else:
            precision = rng.choices(PRECISIONS, PRECISION_WEIGHTS)[0]
        approximate = rng.random() < 0.08
        match precision:
            case Precision.MINUTE:
                moment = datetime(
                    day.year, day.month, day.day, rng.randrange(24), rng.randrange(60)
                )
                return instant(moment, self.zone), precision, approximate
            case Precision.HOUR:
                moment = datetime(day.year, day.month, day.day, rng.randrange(24))
                return instant(moment, self.zone), precision, approximate
            case Precision.DAY:
                return self._midnight(day), precision, approximate
            case Precision.WEEK:
                return self._midnight(day - timedelta(days=day.weekday())), precision, False
            case Precision.MONTH:
                first = day.replace(day=rng.choice((5, 15, 25)) if approximate else 1)
                return self._midnight(first), precision, approximate
            case _:
                return self._midnight(date(day.year, 1, 1)), Precision.YEAR, False

    def _midnight(self, day: date) -> datetime:
        """The instant a local day starts, remembered: a million events fall on a few hundred."""
        ordinal = day.toordinal()
        if ordinal not in self.midnights:
            self.midnights[ordinal] = instant(day, self.zone)
        return self.midnights[ordinal]

    def _end(self, start_at: datetime, precision: Precision) -> tuple[datetime, Precision]:
        rng = self.rng
        local_day = start_at.astimezone(self.zone).date()
        if precision in (Precision.MINUTE, Precision.HOUR):
            if rng.random() < 0.5:
                return start_at + timedelta(minutes=rng.randrange(30, 480, 15)), precision
            end_day = local_day + timedelta(days=rng.randint(1, 5))
            return instant(end_day, self.zone), Precision.DAY
        if precision in (Precision.DAY, Precision.WEEK):
            end_day = local_day + timedelta(days=rng.randint(1, 21))
            return instant(end_day, self.zone), Precision.DAY
        if precision == Precision.MONTH:
            month = local_day.month + rng.randint(1, 3)
            end_day = date(local_day.year + (month - 1) // 12, (month - 1) % 12 + 1, 1)
            return instant(end_day, self.zone), Precision.MONTH
        return instant(date(local_day.year + 1, 1, 1), self.zone), Precision.YEAR


def _reserve_ids(connection: Connection, table: Table, count: int) -> list[int]:
    """`count` ids for new rows that no other row has or had: so that links can be written in
    bulk before the rows they point at are read back. PostgreSQL takes them from the table's
    sequence (which stays in step); SQLite counts on from the highest id (and from the highest
    ever used, for an AUTOINCREMENT table), the write lock held."""
    if connection.dialect.name == "postgresql":
        ids = connection.scalars(
            text(
                f"SELECT nextval(pg_get_serial_sequence('{table.name}', 'id')) "
                "FROM generate_series(1, :count)"
            ),  # fmt: skip
            {"count": count},
        )
        return sorted(ids)
    highest = connection.scalar(select(func.max(table.c.id))) or 0
    if table.dialect_options["sqlite"].get("autoincrement"):
        used = connection.scalar(
            text("SELECT seq FROM sqlite_sequence WHERE name = :name"), {"name": table.name}
        )
        highest = max(highest, used or 0)
    return list(range(highest + 1, highest + 1 + count))


def _insert(connection: Connection, table: Table, rows: list[dict[str, Any]]) -> None:
    for start in range(0, len(rows), 5000):
        connection.execute(insert(table), rows[start : start + 5000])


def _person_name(rng: random.Random) -> Any:
    def make() -> str:
        first, last = rng.choice(FIRST_NAMES), rng.choice(LAST_NAMES)
        if rng.random() < 0.1:
            last = f"{rng.choice(LAST_NAMES)}-{last}"
        return f"{first} {last}"

    return make


def _transliterate(name: str, rng: random.Random) -> str:
    """Another spelling, as names read through another alphabet get: Zelinsky → Zelinski."""
    rules = [(a, b) for a, b in TRANSLITERATIONS if a in name.lower()]
    if not rules:
        return ""
    old, new = rng.choice(rules)

    def replace(match: re.Match[str]) -> str:
        return new.capitalize() if match.group()[0].isupper() else new

    return re.sub(old, replace, name, count=1, flags=re.IGNORECASE)


def _capitalise(title: str) -> str:
    return title[0].upper() + title[1:]
