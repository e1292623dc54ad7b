"""Settings read the environment exactly as pydantic-settings' BaseSettings would (names, parsing, validation,
precedence), without importing it at run time: every case is compared with a BaseSettings twin of Settings."""

from __future__ import annotations

import os

import pytest
from pydantic import ValidationError, create_model
from pydantic_settings import BaseSettings, SettingsConfigDict

from o2c.core.settings import Settings, load_settings


class _Reference(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="O2C_", env_file=None, extra="ignore")


REFERENCE = create_model(
    "ReferenceSettings",
    __base__=_Reference,
    **{name: (field.annotation, field) for name, field in Settings.model_fields.items()},
)

CASES = [
    {},
    {"O2C_DATA_DIR": "/srv/o2c", "O2C_DATABASE_URL": "postgresql+psycopg://u@h/db", "O2C_REDIS_URL": "redis://r"},
    {"o2c_max_pdf_pages": "12", "O2C_Imap_Ssl": "no", "O2C_OCR_DPI": " 200 "},
    {"O2C_PRICE_TOLERANCE_ABS": "0.05", "O2C_PRICE_TOLERANCE_LINE_CAP": "12.5", "O2C_TAX_RATE": "0.19"},
    {"O2C_BUSINESS_DATE": "2026-03-31", "O2C_WEBHOOK_SECRET": "s3cret", "O2C_WEBHOOK_URL": "http://x/hook"},
    {"O2C_IMAP_PORT": "", "O2C_DATABASE_URL": ""},
    {"O2C_IMAP_PASSWORD": "pw", "O2C_IMAP_OAUTH2_TOKEN": "tok", "O2C_IMAP_SSL": "1"},
    {"O2C_STUCK_AFTER_MINUTES": "2.5", "O2C_AUTO_POST_CONFIDENCE": "1e-1", "O2C_NOT_A_SETTING": "ignored"},
    {"DATA_DIR": "/no/prefix", "O2C_DATA_DIR_EXTRA": "x", "XO2C_DATA_DIR": "y"},
    # invalid: both must refuse
    {"O2C_ROUNDING": "ROUND_SIDEWAYS"},
    {"O2C_WORKSPACE_SESSION_MINUTES": "2"},
    {"O2C_MAX_PDF_PAGES": "many"},
    {"O2C_BUSINESS_DATE": "31.03.2026"},
    {"O2C_IMAP_SSL": "perhaps"},
    {"O2C_PRICE_TOLERANCE_PCT": "1,5"},
]


def _read(model, overrides):
    try:
        return model(**overrides).model_dump(mode="json")
    except ValidationError as exc:
        return sorted((tuple(e["loc"]), e["type"]) for e in exc.errors())


@pytest.mark.parametrize("env", CASES)
def test_environment_is_read_as_base_settings_reads_it(env, monkeypatch):
    for name in [n for n in os.environ if n.upper().startswith("O2C_")]:
        monkeypatch.delenv(name)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    for overrides in ({}, {"max_pdf_pages": 7, "database_url": None}):
        ours, theirs = _read(Settings, overrides), _read(REFERENCE, overrides)
        assert ours == theirs, (env, overrides)


def test_keyword_arguments_win_and_secrets_stay_secret(monkeypatch):
    monkeypatch.setenv("O2C_QUEUE_NAME", "from-env")
    monkeypatch.setenv("O2C_WEBHOOK_SECRET", "hush")
    settings = load_settings(ocr_languages="eng+deu")
    assert (settings.queue_name, settings.ocr_languages) == ("from-env", "eng+deu")
    assert load_settings(queue_name="kw").queue_name == "kw"
    assert "hush" not in repr(settings) and settings.webhook_secret.get_secret_value() == "hush"
    monkeypatch.setenv("O2C_MAX_EMAIL_DEPTH", "deep")
    with pytest.raises(ValidationError):
        load_settings()
