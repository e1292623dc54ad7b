"""`o2c mailbox poll` and `o2c folder watch` through the real command line, the full pipeline inline."""

from __future__ import annotations

import json

import pytest
from alembic import command
from click.testing import Result
from sqlalchemy import select
from typer.testing import CliRunner

from o2c.cli.main import app
from o2c.core.db import unit_of_work
from o2c.intake.models import Document, DocumentStatus, MailboxMessage, MailboxOutcome
from o2c.migrations.runner import alembic_config
from tests.connectors.conftest import plain_email, sample_emails
from tests.connectors.dovecot import SECRET

pytestmark = pytest.mark.timeout(300)


@pytest.fixture
def cli_db(intake_ctx, tmp_path):
    """The schema built from the models and stamped at the migrations' head, so the command finds it current
    (the models may be ahead of the committed migrations while they are regenerated)."""
    url = str(intake_ctx.session_factory.kw["bind"].url)
    command.stamp(alembic_config(url), "head")
    return url, intake_ctx


def o2c(*args: str, tmp_path, database_url: str, **env: str) -> Result:
    """Run the command in-process (the real composition root, without paying the imports again)."""
    environment = {
        "O2C_DATA_DIR": str(tmp_path / "data"),
        "O2C_DATABASE_URL": database_url,
        "O2C_STORAGE_DIR": str(tmp_path / "blobs"),
        "O2C_BUSINESS_DATE": "2026-03-20",
        "O2C_REDIS_URL": None,
        **env,
    }
    return CliRunner().invoke(app, list(args), env=environment, catch_exceptions=False)


def _lines(stdout: str) -> list[dict]:
    return [json.loads(line) for line in stdout.splitlines() if line.strip()]


def test_mailbox_poll_once_ingests_each_message_once(dovecot, mail_user, cli_db, tmp_path):
    url, ctx = cli_db
    messages = sample_emails()[:1] + [plain_email(1)]  # a purchase order, and a message with nothing usable
    dovecot.append(mail_user, messages)
    env = {
        "O2C_IMAP_HOST": "127.0.0.1",
        "O2C_IMAP_PORT": str(dovecot.port),
        "O2C_IMAP_SSL": "false",
        "O2C_IMAP_USER": mail_user,
        "O2C_IMAP_PASSWORD": SECRET,
        "O2C_IMAP_PROCESSED_FOLDER": "Processed",
    }

    first = o2c("mailbox", "poll", "--once", tmp_path=tmp_path, database_url=url, **env)
    assert first.exit_code == 0, first.output
    outcomes = _lines(first.stdout)
    assert outcomes and all(o["document_id"] for o in outcomes)
    assert {o["status"] for o in outcomes} - {"posted", "exception", "rejected"} == set()

    second = o2c("mailbox", "poll", "--once", tmp_path=tmp_path, database_url=url, **env)
    assert second.exit_code == 0, second.output
    assert _lines(second.stdout) == []

    with unit_of_work(ctx.session_factory) as session:
        rows = list(session.scalars(select(MailboxMessage).order_by(MailboxMessage.uid)))
        documents = list(session.scalars(select(Document).order_by(Document.id)))
    assert [r.outcome for r in rows] == [MailboxOutcome.DELIVERED] * 2 and all(r.filed for r in rows)
    assert [r.document_id for r in rows] == [d.id for d in documents]
    assert {d.channel for d in documents} == {"imap"}
    assert all(d.status == DocumentStatus.PROCESSED for d in documents)  # "nothing usable" is an outcome too

    down = o2c("mailbox", "poll", "--once", tmp_path=tmp_path, database_url=url, **(env | {"O2C_IMAP_PORT": "1"}))
    assert down.exit_code == 1 and "mailbox_unavailable" not in down.stdout
    assert "attempt 3 of 3" in down.stderr


def test_mailbox_poll_without_settings_says_what_is_missing(tmp_path, cli_db):
    url, _ = cli_db
    run = o2c("mailbox", "poll", "--once", tmp_path=tmp_path, database_url=url)
    assert run.exit_code == 2 and "O2C_IMAP_HOST" in run.stderr


def test_folder_watch_once_ingests_complete_files(tmp_path, cli_db, samples):
    url, ctx = cli_db
    inbox = tmp_path / "drop"
    inbox.mkdir()
    (inbox / "po.pdf").write_bytes((samples / "po_acme_45810.pdf").read_bytes())
    (inbox / "empty.pdf").write_bytes(b"")
    (inbox / "later.pdf.part").write_bytes(b"%PDF-1.4 still copying")

    run = o2c("folder", "watch", str(inbox), "--once", "--interval", "0.2", tmp_path=tmp_path, database_url=url)
    assert run.exit_code == 1, run.output  # one file failed
    outcomes = _lines(run.stdout)
    assert [o["source"] for o in outcomes] == ["po.pdf"] and outcomes[0]["document_id"]
    assert (inbox / "processed" / "po.pdf").exists()
    assert "empty_document" in (inbox / "failed" / "empty.pdf.error.txt").read_text()
    assert (inbox / "later.pdf.part").exists()
    with unit_of_work(ctx.session_factory) as session:
        assert [d.channel for d in session.scalars(select(Document))] == ["folder"]
