"""Synthetic crisis data for load tests and demos: `brink generate --events 10000`.

The same seed gives the same crisis (titles, dates, actors, links), on SQLite and on PostgreSQL,
whatever the database already holds: the generated rows go on top, with ids of their own. A world
of made-up states, their leaders and ministries, alliances and news outlets, over two years:

* actors, about one per twenty events, of every kind; most people and agencies belong to a state
  (or an alliance), and some have aliases, so searching an alias finds their events;
* events of every type in the vocabulary, with one to three actors. Activity follows a power law:
  the first few actors (two rival states, their leaders, the main alliance) are in most events;
* about one event in ten is a range; precisions vary from the minute to the year; a few events
  are scheduled, postponed or cancelled, claimed or disputed; all are published;
* titles and summaries are made from word lists that text search can find ("ceasefire", "grain",
  the actors' names); every event cites one or two sources, some with a quoted passage.

Everything is written with Core bulk inserts in one transaction, then the search index is
refreshed for the new events, inside that same transaction: all of it or nothing.
"""

import random
import re
from bisect import bisect_left
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from itertools import accumulate
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import Connection, Engine, Table, func, insert, select, text

from app import search
from app.dates import instant
from app.db import writing
from app.loading import slugify
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


def generate(
    engine: Engine, events: int = 10_000, seed: int = 1, zone: ZoneInfo | None = None
) -> GenerateReport:
    """Write `events` synthetic events (and their actors and sources) into a migrated database,
    in one transaction, with the search index refreshed for them. `zone` is the crisis zone that
    dates are days of (UTC if not given)."""
    if events < 1:
        raise ValueError("generate at least one event")
    zone = zone or ZoneInfo("UTC")
    with writing(engine).begin() as connection:
        return _Generator(connection, random.Random(seed), zone).run(events, seed)


class _Generator:
    def __init__(self, connection: Connection, rng: random.Random, zone: ZoneInfo) -> None:
        self.connection = connection
        self.rng = rng
        self.zone = zone
        self.now = datetime.now(UTC)

    def run(self, count: int, seed: int) -> GenerateReport:
        connection = self.connection
        types = list(connection.scalars(select(EventType.slug).order_by(EventType.position)))
        if not types:
            raise RuntimeError("the event type vocabulary is empty: is the database migrated?")
        actors, aliases, ranked = self._actors(max(8, round(count / 20)))
        events, links, citations, sources, relations = self._events(count, types, actors, ranked)

        _insert(connection, Actor.__table__, actors)
        _insert(connection, ActorAlias.__table__, aliases)
        _insert(connection, Source.__table__, sources)
        _insert(connection, Event.__table__, events)
        _insert(connection, EventActor.__table__, links)
        _insert(connection, Citation.__table__, citations)
        _insert(connection, EventRelation.__table__, relations)
        event_ids = [event["id"] for event in events]
        search.reindex(connection, event_ids)
        return GenerateReport(
            seed=seed,
            events=len(events),
            actors=len(actors),
            aliases=len(aliases),
            sources=len(sources),
            citations=len(citations),
            event_actors=len(links),
            relations=len(relations),
            first_event_id=min(event_ids),
            last_event_id=max(event_ids),
        )

    # Actors

    def _actors(
        self, count: int
    ) -> tuple[list[dict[str, Any]], list[dict[str, Any]], list[dict[str, Any]]]:
        """Rows for actors and their aliases, and the actors from most to least active."""
        rng = self.rng
        n_states = max(2, round(count * 0.12))
        n_orgs = max(1, round(count * 0.08))
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

    # Events

    def _events(
        self,
        count: int,
        types: list[str],
        actors: list[dict[str, Any]],
        ranked: list[dict[str, Any]],
    ) -> tuple[list[dict[str, Any]], ...]:
        rng = self.rng
        event_ids = _reserve_ids(self.connection, Event.__table__, count)
        weights = list(accumulate(1 / (rank**ZIPF_EXPONENT) for rank in range(1, len(ranked) + 1)))
        total = weights[-1]
        cities = [(name, rng.uniform(44, 56), rng.uniform(20, 45)) for name in CITY_NAMES]
        # Start days, crisis intensity rising towards the end; ids follow time.
        days = sorted(int(DAYS * rng.random() ** 0.7) for _ in range(count))

        events: list[dict[str, Any]] = []
        links: list[dict[str, Any]] = []
        citations: list[dict[str, Any]] = []
        sources: list[dict[str, Any]] = []
        relations: list[dict[str, Any]] = []
        for index, (event_id, day_offset) in enumerate(zip(event_ids, days, strict=True)):
            # Actors: one to three, by activity.
            wanted = rng.choices((1, 2, 3), weights=(30, 50, 20))[0]
            chosen: list[dict[str, Any]] = []
            for _ in range(10 * wanted):
                actor = ranked[min(bisect_left(weights, rng.random() * total), len(ranked) - 1)]
                if actor not in chosen:
                    chosen.append(actor)
                    if len(chosen) == wanted:
                        break
            roles = [Role.INITIATOR, rng.choice([Role.COUNTERPART, Role.SUBJECT]), Role.PARTICIPANT]
            links += [
                {"event_id": event_id, "actor_id": a["id"], "role": roles[i].value, "position": i}
                for i, a in enumerate(chosen)
            ]

            event_type = rng.choice(types)
            city, lat, lon = rng.choice(cities)
            words = {
                "a": chosen[0]["name"],
                "b": chosen[1]["name"] if len(chosen) > 1 else "",
                "topic": rng.choice(TOPICS),
                "city": city,
                "incident": rng.choice(INCIDENTS),
                "mood": rng.choice(MOODS),
                "unit": rng.choice(UNITS),
                "sector": rng.choice(SECTORS),
            }
            if len(chosen) > 1:
                templates = TWO_ACTOR_TITLES.get(event_type, GENERIC_TITLES[1:])
            else:
                templates = ONE_ACTOR_TITLES.get(event_type, GENERIC_TITLES[:1])
            title = _capitalise(rng.choice(templates).format(**words))[:300]
            sentences = rng.sample(SENTENCES, rng.randint(1, 3))
            words["topic"] = rng.choice(TOPICS)  # the summary may touch another topic too
            summary = " ".join(s.format(**words) for s in sentences)

            start_at, precision, approximate = self._start(day_offset)
            end_at, end_precision = None, None
            if rng.random() < 0.1:
                end_at, end_precision = self._end(start_at, precision)
            status = rng.choices(list(Status), weights=(88, 6, 4, 2))[0]
            verification = rng.choices(list(Verification), weights=(84, 11, 5))[0]
            has_place = rng.random() < 0.6
            events.append(
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
                    "end_approximate": bool(end_at) and rng.random() < 0.1,
                    "place_name": city if has_place else None,
                    "place_lat": round(lat, 4) if has_place else None,
                    "place_lon": round(lon, 4) if has_place else None,
                    "timezone": rng.choice(REAL_ZONES)
                    if has_place and precision == Precision.MINUTE and rng.random() < 0.3
                    else None,
                    "importance": rng.choices((1, 2, 3), weights=(20, 65, 15))[0],
                    "published": True,
                    "published_at": self.now,
                    "created_at": self.now,
                    "updated_at": self.now,
                }
            )

            # Sources: a report of its own, or one of the recent ones; some with a quote.
            cited: list[int] = []
            for position in range(rng.choices((1, 2), weights=(70, 30))[0]):
                if sources and rng.random() < 0.35:
                    source_id = rng.choice(sources[-50:])["id"]
                    if source_id in cited:
                        continue
                else:
                    source_id = len(sources)  # an index for now; an id once all are made
                    publisher, domain = rng.choice(PUBLISHERS)
                    local_day = start_at.astimezone(self.zone).date()
                    source_title = rng.choice(SOURCE_TITLES).format(
                        day=f"{local_day.day} {local_day:%B %Y}", **words
                    )
                    sources.append(
                        {
                            "id": source_id,
                            "key": None,
                            "publisher": publisher,
                            "title": source_title[:500],
                            "url": f"https://{domain}/{local_day:%Y/%m/%d}/"
                            f"{slugify(source_title)}-",
                            "published_on": local_day,
                        }
                    )
                cited.append(source_id)
                quote = sentences[0].format(**words) if rng.random() < 0.4 else None
                citations.append(
                    {
                        "event_id": event_id,
                        "source_id": source_id,
                        "quote": quote,
                        "position": position,
                    }
                )

            # Relations: a denial denies something earlier; now and then one event follows another.
            if index and (event_type == "denial" or rng.random() < 0.05):
                earlier = event_ids[rng.randrange(max(0, index - 30), index)]
                relation = RelationKind.DENIES if event_type == "denial" else RelationKind.FOLLOWS
                relations.append(
                    {"from_event_id": event_id, "to_event_id": earlier, "relation": relation.value}
                )
        # Sources get their ids now that their number is known.
        source_ids = _reserve_ids(self.connection, Source.__table__, len(sources))
        for source in sources:
            source["id"] = source_ids[source["id"]]
            source["url"] += str(source["id"])
        for citation in citations:
            citation["source_id"] = source_ids[citation["source_id"]]
        return events, links, citations, sources, relations

    def _start(self, day_offset: int) -> tuple[datetime, Precision, bool]:
        """An instant at a precision, stored as app.dates reads it: a day is its local midnight,
        a week its Monday, a month its first day (or early/mid/late when approximate), a year
        1 January."""
        rng = self.rng
        day = FIRST_DAY + timedelta(days=day_offset)
        precision = rng.choices(list(Precision), weights=(25, 10, 50, 7, 6, 2))[0]
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
                return instant(day, self.zone), precision, approximate
            case Precision.WEEK:
                return instant(day - timedelta(days=day.weekday()), self.zone), precision, False
            case Precision.MONTH:
                first = day.replace(day=rng.choice((5, 15, 25)) if approximate else 1)
                return instant(first, self.zone), precision, approximate
            case _:
                return instant(date(day.year, 1, 1), self.zone), Precision.YEAR, False

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
