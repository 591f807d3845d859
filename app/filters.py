"""The filter object: parsed once from the query string, it drives every view of the events."""

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import Any
from urllib.parse import urlencode

from starlette.datastructures import QueryParams

ORDERS = ("newest", "oldest")
SLUG_CHARACTERS = frozenset("abcdefghijklmnopqrstuvwxyz0123456789-")


def _slugs(values: list[str]) -> tuple[str, ...]:
    """Distinct, well-formed slugs in the order given; anything else is dropped with a notice."""
    seen: dict[str, None] = {}
    for value in values:
        value = value.strip().lower()
        if value and len(value) <= 120 and set(value) <= SLUG_CHARACTERS:
            seen.setdefault(value, None)
    return tuple(seen)


@dataclass(frozen=True)
class EventFilters:
    actors: tuple[str, ...] = ()
    types: tuple[str, ...] = ()
    order: str = "newest"
    notices: tuple[str, ...] = field(default=(), compare=False)

    @classmethod
    def from_query(cls, params: QueryParams | Mapping[str, Any]) -> "EventFilters":
        """Lenient: empty values fall back to defaults; odd ones are dropped with a notice."""
        if not isinstance(params, QueryParams):
            params = QueryParams(params)
        notices: list[str] = []
        actor_values, type_values = params.getlist("actor"), params.getlist("type")
        actors, types = _slugs(actor_values), _slugs(type_values)
        if len(actors) < len({v.strip() for v in actor_values if v.strip()}):
            notices.append("Some actor values were not valid slugs and were ignored.")
        if len(types) < len({v.strip() for v in type_values if v.strip()}):
            notices.append("Some type values were not valid slugs and were ignored.")
        order = params.get("order", "").strip() or "newest"
        if order not in ORDERS:
            notices.append(f"Unknown order {order[:40]!r}: showing newest first.")
            order = "newest"
        return cls(actors=actors, types=types, order=order, notices=tuple(notices))

    def with_notice(self, notice: str) -> "EventFilters":
        return replace(self, notices=(*self.notices, notice))

    def to_query(self, **changes: Any) -> str:
        """The canonical query string, with only non-default values, in a stable order."""
        filters = replace(self, **changes)
        pairs: list[tuple[str, str]] = [("actor", slug) for slug in filters.actors]
        pairs += [("type", slug) for slug in filters.types]
        if filters.order != "newest":
            pairs.append(("order", filters.order))
        return urlencode(pairs)

    @property
    def is_default(self) -> bool:
        return not self.to_query()
