"""Settings, read once at the composition roots (CLI, API, worker) from O2C_* environment variables."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, SecretStr

from o2c.core.environment import DEFAULT_DATA_DIR, database_url
from o2c.core.environment import environment_values as _named_environment_values
from o2c.core.errors import ConfigurationError


class EnvironmentSettings(BaseModel):
    """A model whose fields are read from `O2C_<FIELD>` environment variables, the way pydantic-settings'
    BaseSettings (env_prefix="O2C_", no .env file, extra ignored) reads them: names case-insensitive, each
    value handed to the model as its raw string and validated there, keyword arguments winning over the
    environment, defaults validated too. All fields here are scalars, so none of BaseSettings' JSON decoding
    applies. Importing pydantic-settings cost every CLI start about 4x a bare interpreter's (asyncio, dotenv
    and its cloud providers with it); tests/core/test_settings.py compares this with BaseSettings itself."""

    model_config = ConfigDict(extra="ignore", validate_default=True)

    def __init__(self, **values: Any) -> None:
        super().__init__(**{**environment_values(type(self)), **values})


def environment_values(model: type[BaseModel]) -> dict[str, str]:
    """The O2C_* environment variables that name a field of `model`, keyed by field."""
    return _named_environment_values(model.model_fields)


class Settings(EnvironmentSettings):
    """Every knob o2c has. Deep code receives the pieces it needs, never this object's global."""

    data_dir: Path = Field(default=DEFAULT_DATA_DIR, description="Where the embedded database and blobs live.")
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
    price_tolerance_line_cap: Decimal | None = Field(
        default=Decimal("5.00"),
        description="Per-line cap of the price tolerance: |difference| x quantity "
        "above this is a price mismatch however small the unit difference (unset = no cap).",
    )
    overpayment_tolerance: Decimal = Field(
        default=Decimal("1.00"),
        description="A remittance paying more than this beyond the open items goes to "
        "review instead of leaving the excess on account.",
    )
    payment_duplicate_window_days: int = Field(
        default=7,
        description="Days within which the same payer, amount and reference (or invoice) is the same "
        "payment arriving again.",
    )
    advice_lead_days: int = Field(
        default=1,
        description="An advice dated more than this many days after the business date announces a payment: "
        "it waits for its bank credit even from a trusted sender.",
    )
    trusted_advice_channels: str = Field(
        default="",
        description="Connector allow-list: intake channels (e.g. 'edi,cli') whose remittance advices "
        "count as from an authenticated sender, for customers that trust advices.",
    )
    stuck_after_minutes: float = Field(
        default=30.0, description="A document received or extracted longer ago than this is re-queued by the sweep."
    )
    sweep_interval_seconds: int = Field(default=300, description="`o2c worker --with-scheduler`: sweep period.")
    webhook_interval_seconds: int = Field(default=60, description="... webhook delivery period.")
    bank_match_interval_seconds: int = Field(default=3600, description="... bank credit re-match period.")
    tax_rate: Decimal = Decimal("0")
    max_invoices_per_payment: int = 4
    max_combination_candidates: int = Field(default=40, description="Amount-only search refuses above this.")
    rounding: str = Field(
        default="ROUND_HALF_UP",
        description="Decimal rounding mode for invoice tax and totals.",
        pattern="^ROUND_(HALF_UP|HALF_EVEN|HALF_DOWN|UP|DOWN|CEILING|FLOOR)$",
    )
    bank_advice_wait_hours: float = Field(
        default=48.0,
        description="How long a bank credit without structured remittance waits for its advice "
        "before amount-only matching (then review).",
    )
    bank_date_window_days: int = Field(
        default=7,
        description="Days between a remittance's payment date and the bank credit's value date that still link them.",
    )
    business_date: date | None = Field(default=None, description="Fixed posting date (demos, tests); unset = today.")

    webhook_url: str | None = Field(default=None, description="Where events are POSTed (unset = no webhooks).")
    webhook_secret: SecretStr = Field(
        default=SecretStr(""),
        description="Shared secret for the HMAC-SHA256 "
        "webhook signature; required when webhook_url is set (never logged).",
    )
    webhook_backoff: str = Field(default="5,30,120,600,1800", description="Seconds before each retry, comma-separated.")

    api_keys: str = Field(
        default="",
        description="Comma-separated 'key:role' pairs; roles: connector, reviewer, erp, admin.",
    )
    workspace_secret: str | None = Field(
        default=None,
        description="Signs the workspace's session cookies (unset: a random one per process, so a "
        "restart signs everyone out).",
    )
    workspace_session_minutes: int = Field(
        default=480, ge=5, le=7 * 24 * 60, description="How long a workspace sign-in lasts."
    )

    imap_host: str | None = Field(default=None, description="IMAP server of the mailbox connector.")
    imap_port: int | None = Field(default=None, description="IMAP port; default 993 with SSL, 143 without.")
    imap_ssl: bool = True
    imap_user: str | None = None
    imap_password: SecretStr | None = Field(default=None, description="Password login (or use the OAuth2 token).")
    imap_oauth2_token: SecretStr | None = Field(default=None, description="XOAUTH2 access token; wins over password.")
    imap_folder: str = "INBOX"
    imap_processed_folder: str | None = Field(default=None, description="Move handled mail here; unset = flag it.")
    imap_processed_flag: str = Field(default="$O2CProcessed", description="Keyword set on handled mail.")
    imap_poll_seconds: float = 60.0
    imap_timeout_seconds: float = 30.0
    folder_poll_seconds: float = 5.0

    @property
    def effective_database_url(self) -> str:
        """The configured database URL, or the embedded SQLite file in the data directory."""
        return database_url(self.database_url, self.data_dir)

    @property
    def effective_storage_dir(self) -> Path:
        """Where blobs are stored."""
        return self.storage_dir or (self.data_dir / "blobs")

    @property
    def is_embedded(self) -> bool:
        """True on the embedded default (SQLite), where migrations are applied automatically."""
        return self.effective_database_url.startswith("sqlite")

    def check_secrets(self) -> None:
        """Refuse to start on unsafe settings: a webhook URL without a secret would send unsigned events."""
        secret = self.webhook_secret
        value = secret.get_secret_value() if isinstance(secret, SecretStr) else str(secret or "")
        if self.webhook_url and not value.strip():
            raise ConfigurationError(
                "O2C_WEBHOOK_URL is set but O2C_WEBHOOK_SECRET is empty: set a secret "
                "(receivers verify X-O2C-Signature with it) or unset the URL"
            )

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
