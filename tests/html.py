"""Reading pages the way a reader sees them."""

from bs4 import BeautifulSoup, Tag


def soup(html: str) -> BeautifulSoup:
    return BeautifulSoup(html, "html.parser")


def text_of(element: Tag | None) -> str:
    assert element is not None
    return " ".join(element.get_text(" ", strip=True).split())


def event_titles(html: str) -> list[str]:
    return [text_of(a) for a in soup(html).select(".event-card .event-title a")]


def day_headings(html: str) -> list[str]:
    return [text_of(h) for h in soup(html).select(".day-heading")]


def card_dates(html: str) -> dict[str, str]:
    """Event title → the date shown on its card."""
    return {
        text_of(card.select_one(".event-title a")): text_of(card.select_one("time"))
        for card in soup(html).select(".event-card")
    }
