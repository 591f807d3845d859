"""The data model: events, actors and the links between them."""

from datetime import UTC, date, datetime
from enum import StrEnum

from sqlalchemy import (
    JSON,
    Boolean,
    CheckConstraint,
    Date,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Text,
    TypeDecorator,
    UniqueConstraint,
    text,
)
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship


class Status(StrEnum):
    OCCURRED = "occurred"
    SCHEDULED = "scheduled"
    POSTPONED = "postponed"
    CANCELLED = "cancelled"


class Verification(StrEnum):
    CONFIRMED = "confirmed"
    CLAIMED = "claimed"
    DISPUTED = "disputed"


class Precision(StrEnum):
    MINUTE = "minute"
    HOUR = "hour"
    DAY = "day"
    WEEK = "week"
    MONTH = "month"
    YEAR = "year"


class ActorKind(StrEnum):
    STATE = "state"
    PERSON = "person"
    ORGANISATION = "organisation"
    AGENCY = "agency"


class Role(StrEnum):
    INITIATOR = "initiator"
    COUNTERPART = "counterpart"
    PARTICIPANT = "participant"
    SUBJECT = "subject"


class RelationKind(StrEnum):
    DENIES = "denies"
    RESPONDS_TO = "responds-to"
    PART_OF = "part-of"
    FOLLOWS = "follows"


def _one_of(column: str, values: type[StrEnum]) -> str:
    return f"{column} IN ({', '.join(repr(v.value) for v in values)})"


def utcnow() -> datetime:
    return datetime.now(UTC)


class UTCDateTime(TypeDecorator[datetime]):
    """An aware UTC datetime on every backend (SQLite keeps no zone, so store naive UTC there)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError(f"naive datetime {value!r}: Brink stores instants with a zone")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


class Base(DeclarativeBase):
    metadata = MetaData(
        naming_convention={
            "ix": "ix_%(table_name)s_%(column_0_N_name)s",
            "uq": "uq_%(table_name)s_%(column_0_N_name)s",
            "ck": "ck_%(table_name)s_%(constraint_name)s",
            "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
            "pk": "pk_%(table_name)s",
        }
    )


class EventType(Base):
    """The type vocabulary; slugs are part of the URL contract, seeded by the first migration."""

    __tablename__ = "event_types"

    slug: Mapped[str] = mapped_column(String(40), primary_key=True)
    label: Mapped[str] = mapped_column(String(80))
    plural: Mapped[str] = mapped_column(String(80))
    description: Mapped[str] = mapped_column(Text, default="")
    position: Mapped[int] = mapped_column(Integer, default=0)


class Actor(Base):
    __tablename__ = "actors"
    __table_args__ = (CheckConstraint(_one_of("kind", ActorKind), name="kind"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(120), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(20))
    description: Mapped[str] = mapped_column(Text, default="")
    parent_id: Mapped[int | None] = mapped_column(
        ForeignKey("actors.id", ondelete="SET NULL"), index=True
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
    # Raised by every saved change: an editor's form (or an API client's If-Match) names the
    # version it started from, and a save over a newer one is refused.
    version: Mapped[int] = mapped_column(Integer, default=1)

    parent: Mapped["Actor | None"] = relationship(remote_side=[id], back_populates="members")
    members: Mapped[list["Actor"]] = relationship(back_populates="parent", order_by="Actor.name")
    aliases: Mapped[list["ActorAlias"]] = relationship(
        back_populates="actor", cascade="all, delete-orphan", order_by="ActorAlias.position"
    )
    former_slugs: Mapped[list["ActorFormerSlug"]] = relationship(
        back_populates="actor", cascade="all, delete-orphan", order_by="ActorFormerSlug.slug"
    )

    @property
    def alias_names(self) -> list[str]:
        return [alias.name for alias in self.aliases]


class ActorMember(Base):
    """Every actor with everything below it, itself included (Russia: Russia, the Kremlin,
    Putin, Lavrov…): what the actor filter rolls up, as a table the planners can estimate and
    index instead of a recursive query per request. Rebuilt with every change to the actors
    (editing.refresh_actor_members)."""

    __tablename__ = "actor_members"
    __table_args__ = (Index("ix_actor_members_member", "member_id", "actor_id"),)

    actor_id: Mapped[int] = mapped_column(
        ForeignKey("actors.id", ondelete="CASCADE"), primary_key=True
    )
    member_id: Mapped[int] = mapped_column(
        ForeignKey("actors.id", ondelete="CASCADE"), primary_key=True
    )


class _Counts:
    """The columns of event_counts and event_month_counts. Rows are additions, not totals: a
    change adds rows taking away what its events counted and adding what they count now, so
    writers never wait on each other's rows; a count is the sum of its rows
    (counting.compact merges them)."""

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    actor_id: Mapped[int] = mapped_column(Integer)  # 0: every event
    day: Mapped[date] = mapped_column(Date)
    type_slug: Mapped[str] = mapped_column(String(40))
    status: Mapped[str] = mapped_column(String(20))
    verification: Mapped[str] = mapped_column(String(20))
    start_precision: Mapped[str] = mapped_column(String(10))
    start_approximate: Mapped[bool] = mapped_column(Boolean)
    events: Mapped[int] = mapped_column(Integer)
    ranges: Mapped[int] = mapped_column(Integer)  # those of them with an end


# An actor's counts over a span of days, and every actor's (the actor facet of a span), each
# read from its index alone.
_COUNTS_BY_ACTOR = (
    "actor_id", "day", "type_slug", "status", "verification", "start_precision",
    "start_approximate", "events", "ranges",
)  # fmt: skip
_COUNTS_BY_DAY = ("day", "actor_id", "type_slug", "status", "verification", "events")


class EventCount(_Counts, Base):
    """How many published events start on each day (in the crisis's zone) with each type,
    status, verification and precision (approximate or not), for every actor (its members'
    events included, each once) and, under actor 0, for all of them: what totals, facets and
    the overview add up instead of counting events. Kept by app/counting.py in the
    transaction of every change."""

    __tablename__ = "event_counts"
    __table_args__ = (
        Index("ix_event_counts_actor", *_COUNTS_BY_ACTOR),
        Index("ix_event_counts_day", *_COUNTS_BY_DAY),
    )


class EventMonthCount(_Counts, Base):
    """The same counts by month (`day` is the month's first): a year of an actor is a dozen
    rows a combination, not hundreds. Whole months of a span are added up from here."""

    __tablename__ = "event_month_counts"
    __table_args__ = (
        Index("ix_event_month_counts_actor", *_COUNTS_BY_ACTOR),
        Index("ix_event_month_counts_day", *_COUNTS_BY_DAY),
        # Every actor's counts of a type (the actor facet of a type, over all time).
        Index("ix_event_month_counts_type", "type_slug", "actor_id", "events"),
    )


class CountZone(Base):
    """The zone whose days event_counts holds (one row; none: not built yet)."""

    __tablename__ = "event_count_zone"

    zone: Mapped[str] = mapped_column(String(64), primary_key=True)


class ActorAlias(Base):
    __tablename__ = "actor_aliases"
    __table_args__ = (UniqueConstraint("actor_id", "name"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    actor_id: Mapped[int] = mapped_column(ForeignKey("actors.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(String(200), index=True)
    position: Mapped[int] = mapped_column(Integer, default=0)

    actor: Mapped[Actor] = relationship(back_populates="aliases")


class ActorFormerSlug(Base):
    """A slug an actor had before: its old links redirect to the current one."""

    __tablename__ = "actor_former_slugs"

    slug: Mapped[str] = mapped_column(String(120), primary_key=True)
    actor_id: Mapped[int] = mapped_column(ForeignKey("actors.id", ondelete="CASCADE"), index=True)

    actor: Mapped[Actor] = relationship(back_populates="former_slugs")


class Source(Base):
    """A document events cite: an article, a statement, a readout."""

    __tablename__ = "sources"

    id: Mapped[int] = mapped_column(primary_key=True)
    # A stable external identity, so that loading the same file twice finds the same rows.
    key: Mapped[str | None] = mapped_column(String(200), unique=True)
    publisher: Mapped[str] = mapped_column(String(200))
    title: Mapped[str] = mapped_column(String(500))
    url: Mapped[str | None] = mapped_column(String(2000))
    published_on: Mapped[date | None] = mapped_column(Date)
    version: Mapped[int] = mapped_column(Integer, default=1)


class Event(Base):
    __tablename__ = "events"
    __table_args__ = (
        CheckConstraint(_one_of("status", Status), name="status"),
        CheckConstraint(_one_of("verification", Verification), name="verification"),
        CheckConstraint(_one_of("start_precision", Precision), name="start_precision"),
        CheckConstraint(_one_of("end_precision", Precision), name="end_precision"),
        CheckConstraint("importance BETWEEN 1 AND 3", name="importance"),
        CheckConstraint("end_at IS NULL OR end_at >= start_at", name="end_after_start"),
        Index("ix_events_published_start", "published", "start_at", "id"),
        Index("ix_events_published_published_at", "published", "published_at", "id"),  # feeds
        Index("ix_events_type_published_start", "type_slug", "published", "start_at", "id"),
        # Ranges by their end, with their start: the earliest still running on a day.
        Index("ix_events_end_start", "end_at", "start_at"),
        # The facets' one GROUP BY (queries.view_counts) reads this instead of the table.
        Index("ix_events_facets", "published", "type_slug", "status", "verification"),
        # The overview (app/overview.py): its bins and its vague dates, from the index alone;
        # the few most important ranges, from the ranges alone.
        Index(
            "ix_events_precision",
            "published",
            "start_precision",
            "type_slug",
            "status",
            "start_approximate",
            "start_at",
            "end_at",
        ),  # fmt: skip
        Index(
            "ix_events_ranges",
            "published",
            "importance",
            "start_at",
            "id",
            # What a walk by importance tests on each range before reading it.
            "end_at",
            "start_precision",
            sqlite_where=text("end_at IS NOT NULL"),
            postgresql_where=text("end_at IS NOT NULL"),
        ),  # fmt: skip
        # Ids are never reused, even after the newest row is removed.
        {"sqlite_autoincrement": True},
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str | None] = mapped_column(String(200), unique=True)
    slug: Mapped[str] = mapped_column(String(200))
    title: Mapped[str] = mapped_column(String(300))
    summary: Mapped[str] = mapped_column(Text, default="")
    type_slug: Mapped[str] = mapped_column(ForeignKey("event_types.slug"))
    status: Mapped[str] = mapped_column(String(20), default=Status.OCCURRED)
    verification: Mapped[str] = mapped_column(String(20), default=Verification.CONFIRMED)
    start_at: Mapped[datetime] = mapped_column(UTCDateTime)
    start_precision: Mapped[str] = mapped_column(String(10), default=Precision.DAY)
    start_approximate: Mapped[bool] = mapped_column(Boolean, default=False)
    end_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    end_precision: Mapped[str | None] = mapped_column(String(10))
    end_approximate: Mapped[bool] = mapped_column(Boolean, default=False)
    place_name: Mapped[str | None] = mapped_column(String(200))
    place_lat: Mapped[float | None] = mapped_column(Float)
    place_lon: Mapped[float | None] = mapped_column(Float)
    timezone: Mapped[str | None] = mapped_column(String(64))
    importance: Mapped[int] = mapped_column(Integer, default=2)
    # Readers see an event when it is published; a draft is unpublished, and so is an event in
    # the trash, which also has deleted_at (its URL answers 410).
    published: Mapped[bool] = mapped_column(Boolean, default=True)
    published_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    deleted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
    version: Mapped[int] = mapped_column(Integer, default=1)

    type: Mapped[EventType] = relationship()
    actor_links: Mapped[list["EventActor"]] = relationship(
        back_populates="event", cascade="all, delete-orphan", order_by="EventActor.position"
    )
    citations: Mapped[list["Citation"]] = relationship(
        back_populates="event", cascade="all, delete-orphan", order_by="Citation.position"
    )
    relations_out: Mapped[list["EventRelation"]] = relationship(
        foreign_keys="EventRelation.from_event_id",
        back_populates="from_event",
        cascade="all, delete-orphan",
    )
    relations_in: Mapped[list["EventRelation"]] = relationship(
        foreign_keys="EventRelation.to_event_id",
        back_populates="to_event",
        cascade="all, delete-orphan",
    )


class EventActor(Base):
    """Who did what in an event: an actor with its role."""

    __tablename__ = "event_actors"
    __table_args__ = (
        CheckConstraint(_one_of("role", Role), name="role"),
        Index("ix_event_actors_actor_event", "actor_id", "event_id"),
    )

    event_id: Mapped[int] = mapped_column(
        ForeignKey("events.id", ondelete="CASCADE"), primary_key=True
    )
    actor_id: Mapped[int] = mapped_column(
        ForeignKey("actors.id", ondelete="CASCADE"), primary_key=True
    )
    role: Mapped[str] = mapped_column(String(20))
    position: Mapped[int] = mapped_column(Integer, default=0)

    event: Mapped[Event] = relationship(back_populates="actor_links")
    actor: Mapped[Actor] = relationship()


class Citation(Base):
    """An event citing a source, with the passage that supports it."""

    __tablename__ = "citations"
    __table_args__ = (Index("ix_citations_source", "source_id"),)

    event_id: Mapped[int] = mapped_column(
        ForeignKey("events.id", ondelete="CASCADE"), primary_key=True
    )
    source_id: Mapped[int] = mapped_column(
        ForeignKey("sources.id", ondelete="CASCADE"), primary_key=True
    )
    quote: Mapped[str | None] = mapped_column(Text)
    position: Mapped[int] = mapped_column(Integer, default=0)

    event: Mapped[Event] = relationship(back_populates="citations")
    source: Mapped[Source] = relationship()


class EventRelation(Base):
    """A typed link between two events, read from → to: "this denial denies that claim"."""

    __tablename__ = "event_relations"
    __table_args__ = (
        CheckConstraint(_one_of("relation", RelationKind), name="relation"),
        CheckConstraint("from_event_id <> to_event_id", name="not_self"),
        UniqueConstraint("from_event_id", "to_event_id", "relation"),
        Index("ix_event_relations_to", "to_event_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    from_event_id: Mapped[int] = mapped_column(ForeignKey("events.id", ondelete="CASCADE"))
    to_event_id: Mapped[int] = mapped_column(ForeignKey("events.id", ondelete="CASCADE"))
    relation: Mapped[str] = mapped_column(String(20))

    from_event: Mapped[Event] = relationship(
        foreign_keys=[from_event_id], back_populates="relations_out"
    )
    to_event: Mapped[Event] = relationship(
        foreign_keys=[to_event_id], back_populates="relations_in"
    )


class AccountRole(StrEnum):
    ADMIN = "admin"
    EDITOR = "editor"


class User(Base):
    """An editor or an administrator; readers have no account."""

    __tablename__ = "users"
    __table_args__ = (
        CheckConstraint(_one_of("role", AccountRole), name="role"),
        # Unique case-insensitively: addresses are stored lower-case, and the database insists.
        CheckConstraint("email = lower(email)", name="email_lower_case"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(254), unique=True)
    password_hash: Mapped[str] = mapped_column(String(255))
    role: Mapped[str] = mapped_column(String(10))
    disabled_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class LoginSession(Base):
    """A signed-in browser; its id is the SHA-256 of the cookie's token, never the token."""

    __tablename__ = "login_sessions"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    csrf_token: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_seen_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)

    user: Mapped[User] = relationship()


class LoginFailure(Base):
    """A failed sign-in, counted per account and per client address to throttle guessing."""

    __tablename__ = "login_failures"
    __table_args__ = (Index("ix_login_failures_key_failed", "key", "failed_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(300))
    failed_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)


class Revision(Base):
    """One saved change to an event or an actor: who, when, what it became, and what changed.

    `snapshot` is the whole record after the change, in the shape the edit forms and the write
    API take, so restoring a version is saving its snapshot again. `changes` lists the fields
    that differ from the version before, each with before and after. A public revision is one
    readers see in the event's corrections log: a correction, or a change of status.
    """

    __tablename__ = "revisions"
    __table_args__ = (
        CheckConstraint("entity IN ('event', 'actor')", name="entity"),
        UniqueConstraint("entity", "entity_id", "version"),
        Index("ix_revisions_created", "created_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    entity: Mapped[str] = mapped_column(String(10))
    entity_id: Mapped[int] = mapped_column(Integer)
    version: Mapped[int] = mapped_column(Integer)
    user_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), index=True
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    action: Mapped[str] = mapped_column(String(20))
    note: Mapped[str] = mapped_column(Text, default="")
    public: Mapped[bool] = mapped_column(Boolean, default=False)
    snapshot: Mapped[dict[str, object]] = mapped_column(JSON)
    changes: Mapped[list[dict[str, object]]] = mapped_column(JSON)

    user: Mapped[User | None] = relationship()


class ApiToken(Base):
    """A newsroom tool's key to the write API, acting as its user; only its SHA-256 is kept."""

    __tablename__ = "api_tokens"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(100))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    user: Mapped[User] = relationship()
