"""Settings from BRINK_* environment variables, read once."""

import tempfile
from functools import lru_cache
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import Field, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="BRINK_")

    database_url: str = "sqlite:///brink.db"
    site_title: str = "Brink"
    timezone: str = "Europe/Kyiv"
    # The public address, for absolute links in metadata, feeds and embed code. Unset: taken from
    # each request (right behind a proxy that passes Host and X-Forwarded-Proto).
    base_url: str | None = None
    # Rendered preview images (PNG cards for link unfurls), shared by the workers of a machine.
    preview_cache_dir: Path = Path(tempfile.gettempdir()) / "brink-previews"
    # Readers' pages and data kept in memory by each process, keyed on the data version
    # (app/caching.py); 0 turns it off.
    response_cache_mb: int = Field(32, ge=0)

    @field_validator("base_url")
    @classmethod
    def _http_url(cls, value: str | None) -> str | None:
        if not value:
            return None
        if not value.startswith(("http://", "https://")) or " " in value:
            raise ValueError(f"not an http(s) URL: {value!r}")
        return value.rstrip("/")

    @field_validator("timezone")
    @classmethod
    def _known_timezone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError) as error:
            raise ValueError(f"unknown time zone {value!r}") from error
        return value

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)


@lru_cache
def get_settings() -> Settings:
    return Settings()
