"""Connector fixtures: a real Dovecot on loopback (skipped with a message when dovecot-imapd is absent, failed
under O2C_REQUIRE_SERVICES=1), a migrated SQLite database, and a `deliver` that really receives."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

import pytest

from o2c.core.db import Base
from o2c.core.settings import Settings
from o2c.pipeline.documents import PipelineContext, build_context, receive
from tests.conftest import SAMPLES, SHARED, _unavailable
from tests.connectors.dovecot import Dovecot, dovecot_binary

EXTERNAL_EMAILS = SHARED / "external" / "emails" / "imap_tools"


@pytest.fixture(scope="session")
def dovecot_server():
    """One Dovecot for the session; each test gets its own user, so its own empty mailbox."""
    binary = dovecot_binary()
    if binary is None:
        _unavailable(
            "Dovecot", "the dovecot binary is not installed: apt-get install dovecot-imapd (scripts/install dev does)"
        )
    server = Dovecot(binary)
    try:
        server.start()
    except Exception as exc:  # noqa: BLE001 - a server that cannot start means "absent", with its log
        server.destroy()
        _unavailable("Dovecot", f"it did not start: {exc}")
    yield server
    server.destroy()


@pytest.fixture
def dovecot(dovecot_server):
    """The server, started again if a test left it stopped."""
    if not dovecot_server.running:
        dovecot_server.start()
    return dovecot_server


@pytest.fixture
def mail_user(dovecot) -> str:
    """A fresh IMAP user with an empty INBOX."""
    return dovecot.new_user()


def context_on(url: str, tmp_path) -> PipelineContext:
    """A pipeline context on the database URL, the schema built from the models (no migrations needed)."""
    settings = Settings(
        data_dir=tmp_path / "data", database_url=url, storage_dir=tmp_path / "blobs", business_date=date(2026, 3, 20)
    )
    ctx = build_context(settings, migrate=False)
    Base.metadata.create_all(ctx.session_factory.kw["bind"])
    return ctx


@pytest.fixture
def intake_ctx(tmp_path) -> PipelineContext:
    """A pipeline context on a fresh SQLite file."""
    return context_on(f"sqlite:///{tmp_path / 'o2c.sqlite3'}", tmp_path)


@dataclass
class Receiver:
    """A deliver callback that really receives (stores the bytes, records the arrival) and remembers each call."""

    ctx: PipelineContext
    channel: str
    calls: list[str] = field(default_factory=list)
    document_ids: list[int] = field(default_factory=list)

    def __call__(self, content: bytes, filename: str, source_key: str, sender: str | None) -> None:
        self.calls.append(source_key)
        arrival = receive(
            self.ctx, content=content, filename=filename, channel=self.channel, source_key=source_key, sender=sender
        )
        self.document_ids.append(arrival.document_id)


@pytest.fixture
def receiver(intake_ctx) -> Receiver:
    """Receives through intake on the IMAP channel."""
    return Receiver(intake_ctx, "imap")


def sample_emails() -> list[bytes]:
    """The committed sample emails, then a few public ones (one without a Message-ID)."""
    messages = [p.read_bytes() for p in sorted(SAMPLES.glob("*.eml"))]
    for name in ("basic_email.eml", "attachment_pdf.eml"):
        if (EXTERNAL_EMAILS / name).exists():
            messages.append((EXTERNAL_EMAILS / name).read_bytes())
    return messages


def email_without_message_id() -> bytes:
    """A message with no Message-ID header (deduplicated by its bytes instead)."""
    path = EXTERNAL_EMAILS / "attachment_inline1.eml"
    if path.exists():
        return path.read_bytes()
    return b"From: Ann <ann@example.com>\r\nTo: ar@example.com\r\nSubject: no id\r\n\r\nRemittance to follow.\r\n"


def plain_email(n: int, *, message_id: bool = True) -> bytes:
    """A short message with nothing usable in it."""
    header = f"Message-ID: <note-{n}@example.com>\r\n" if message_id else ""
    return (
        f"{header}From: Bob <bob@example.com>\r\nTo: ar@example.com\r\nSubject: Note {n}\r\n\r\n"
        f"Just saying hello ({n}).\r\n"
    ).encode()
