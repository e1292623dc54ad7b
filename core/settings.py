"""Settings, read once at the composition roots (CLI, API, worker) from O2C_* environment variables."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from pathlib import Path

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    """Every knob o2c has. Deep code receives the pieces it needs, never this object's global."""

    model_config = SettingsConfigDict(env_prefix="O2C_", env_file=None, extra="ignore")

    data_dir: Path = Field(default=Path("data"), description="Where the embedded database and blobs live.")
    database_url: str | None = Field(default=None, description="SQLAlchemy URL; default sqlite in data_dir.")
    redis_url: str | None = Field(default=None, description="Redis URL for RQ; unset = inline processing.")
    storage_dir: Path | None = Field(default=None, description="Content-addressed blob store; default data_dir/blobs.")
    queue_name: str = "o2c"

    max_upload_bytes: int = Field(default=25 * 1024 * 1024, description="Uploads larger than this get 413.")
    max_pdf_pages: int = 200
    max_image_pixels: int = 60_000_000
    max_email_parts: int = 100
    max_email_depth: int = 5
    ocr_dpi: int = 300
    ocr_languages: str = "eng"

    auto_post_confidence: float = Field(default=0.90, description="Fields below this send a document to review.")
    classification_confidence: float = 0.60
    customer_match_score: float = 90.0
    customer_match_margin: float = 8.0

    price_tolerance_abs: Decimal = Decimal("0.01")
    price_tolerance_pct: Decimal = Decimal("0")
    tax_rate: Decimal = Decimal("0")
    max_invoices_per_payment: int = 4
    business_date: date | None = Field(default=None, description="Fixed posting date (demos, tests); unset = today.")

    api_keys: str = Field(
        default="",
        description="Comma-separated 'key:role' pairs; roles: connector, reviewer, erp, admin.",
    )

    @property
    def effective_database_url(self) -> str:
        """The configured database URL, or the embedded SQLite file in the data directory."""
        if self.database_url:
            return self.database_url
        return f"sqlite:///{(self.data_dir / 'o2c.sqlite3').resolve()}"

    @property
    def effective_storage_dir(self) -> Path:
        """Where blobs are stored."""
        return self.storage_dir or (self.data_dir / "blobs")

    @property
    def is_embedded(self) -> bool:
        """True on the embedded default (SQLite), where migrations are applied automatically."""
        return self.effective_database_url.startswith("sqlite")

    def api_key_roles(self) -> dict[str, str]:
        """Parse api_keys into {key: role}."""
        roles: dict[str, str] = {}
        for pair in filter(None, (p.strip() for p in self.api_keys.split(","))):
            key, _, role = pair.partition(":")
            roles[key.strip()] = role.strip()
        return roles


def load_settings(**overrides) -> Settings:
    """Read settings from the environment, with explicit overrides (tests, CLI flags)."""
    return Settings(**overrides)
