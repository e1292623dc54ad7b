"""The IMAP connector against a real Dovecot on loopback: once-only delivery, records, filing, restarts,
disconnects mid-fetch and UIDVALIDITY changes."""

from __future__ import annotations

import threading
import time

import pytest
from sqlalchemy import func, select

from o2c.core.db import unit_of_work
from o2c.intake.connectors.base import Backoff
from o2c.intake.connectors.errors import ConnectorMisconfigured, MailboxLoginFailed, MailboxUnavailable
from o2c.intake.connectors.imap import MailboxConfig, MailboxConnector, open_client
from o2c.intake.errors import DocumentTooLarge
from o2c.intake.models import Document, MailboxMessage, MailboxOutcome, Receipt
from tests.connectors.conftest import Receiver, context_on, email_without_message_id, plain_email, sample_emails
from tests.connectors.dovecot import SECRET

pytestmark = pytest.mark.timeout(120)


def _config(dovecot, user, **overrides) -> MailboxConfig:
    values = {
        "host": "127.0.0.1",
        "port": dovecot.port,
        "use_ssl": False,
        "user": user,
        "password": SECRET,
        "timeout_seconds": 5.0,
    }
    return MailboxConfig(**(values | overrides))


def _connector(dovecot, user, receiver, **overrides) -> MailboxConnector:
    return MailboxConnector(
        _config(dovecot, user, **overrides), session_factory=receiver.ctx.session_factory, deliver=receiver
    )


def _rows(ctx) -> list[MailboxMessage]:
    with unit_of_work(ctx.session_factory) as session:
        return list(session.scalars(select(MailboxMessage).order_by(MailboxMessage.uidvalidity, MailboxMessage.uid)))


def _count(ctx, model) -> int:
    with unit_of_work(ctx.session_factory) as session:
        return session.scalar(select(func.count()).select_from(model))


def _flags(dovecot, user, folder="INBOX") -> dict[int, set[bytes]]:
    client = dovecot.client(user)
    try:
        client.select_folder(folder)
        return {uid: set(flags) for uid, flags in client.get_flags(client.search("ALL")).items()}
    finally:
        client.logout()


def test_first_poll_takes_each_message_once_and_the_second_takes_nothing(dovecot, mail_user, receiver):
    messages = sample_emails() + [plain_email(1)]
    dovecot.append(mail_user, messages)
    connector = _connector(dovecot, mail_user, receiver)

    report = connector.poll()
    assert report.delivered == len(messages) and report.filed == len(messages)
    assert len(receiver.calls) == len(set(receiver.calls)) == len(messages)

    again = connector.poll()
    connector.close()
    assert (again.delivered, again.duplicates, again.failed, again.filed) == (0, 0, 0, 0)
    assert len(receiver.calls) == len(messages)

    rows = _rows(receiver.ctx)
    assert [r.uid for r in rows] == list(range(1, len(messages) + 1))
    assert {r.outcome for r in rows} == {MailboxOutcome.DELIVERED}
    assert all(r.filed and r.document_id and r.sha256 and r.message_id for r in rows)
    assert {r.document_id for r in rows} == set(receiver.document_ids)
    assert rows[-1].subject == "Note 1" and rows[-1].sender == "bob@example.com"
    assert _count(receiver.ctx, Document) == len(messages)
    # flag mode: each handled message carries the processed keyword and is left unread for people
    assert all(b"$O2CProcessed" in flags and b"\\Seen" not in flags for flags in _flags(dovecot, mail_user).values())


def test_a_message_with_nothing_usable_is_recorded_and_never_fetched_again(dovecot, mail_user, receiver):
    big = plain_email(2) + b"x" * 5000
    dovecot.append(mail_user, [plain_email(1), big])
    connector = _connector(dovecot, mail_user, receiver, max_message_bytes=2000)

    report = connector.poll()
    assert (report.delivered, report.rejected) == (1, 1)
    again = connector.poll()
    connector.close()
    assert (again.delivered, again.rejected) == (0, 0)

    delivered, rejected = _rows(receiver.ctx)
    assert delivered.outcome == MailboxOutcome.DELIVERED
    assert rejected.outcome == MailboxOutcome.REJECTED and rejected.document_id is None
    assert "over the 2000-byte limit" in rejected.error and rejected.message_id == "<note-2@example.com>"
    assert b"$O2CRejected" in _flags(dovecot, mail_user)[2]  # kept on the server, marked for a person
    assert len(receiver.calls) == 1


def test_intake_refusing_a_message_records_it_as_rejected(dovecot, mail_user, receiver):
    def refuse(content, filename, source_key, sender):
        raise DocumentTooLarge(f"{filename}: too large")

    dovecot.append(mail_user, [plain_email(1)])
    connector = MailboxConnector(
        _config(dovecot, mail_user), session_factory=receiver.ctx.session_factory, deliver=refuse
    )
    assert connector.poll().rejected == 1
    assert connector.poll().rejected == 0
    connector.close()
    (row,) = _rows(receiver.ctx)
    assert row.outcome == MailboxOutcome.REJECTED and row.error.startswith("document_too_large: ")


def test_handled_messages_move_to_the_processed_folder(dovecot, mail_user, receiver):
    dovecot.append(mail_user, [plain_email(1), plain_email(2), plain_email(3)])
    connector = _connector(dovecot, mail_user, receiver, processed_folder="Processed")
    assert connector.poll().filed == 3
    dovecot.append(mail_user, [plain_email(4)])
    assert connector.poll().delivered == 1
    connector.close()

    client = dovecot.client(mail_user)
    try:
        assert client.select_folder("INBOX")[b"EXISTS"] == 0
        assert client.select_folder("Processed")[b"EXISTS"] == 4
    finally:
        client.logout()
    assert [r.uid for r in _rows(receiver.ctx)] == [1, 2, 3, 4]
    assert len(receiver.calls) == 4


def test_a_server_restart_between_polls_resumes_from_the_last_uid(dovecot, mail_user, receiver):
    dovecot.append(mail_user, [plain_email(1), plain_email(2)])
    connector = _connector(dovecot, mail_user, receiver)
    assert connector.poll().delivered == 2

    dovecot.restart()  # the connector still holds the old, now dead, connection
    dovecot.append(mail_user, [plain_email(3), plain_email(4)])
    report = connector.poll()
    connector.close()

    assert report.delivered == 2 and report.duplicates == 0
    assert len(receiver.calls) == len(set(receiver.calls)) == 4
    assert _count(receiver.ctx, Document) == 4
    assert [r.uid for r in _rows(receiver.ctx)] == [1, 2, 3, 4]


def test_a_disconnect_mid_fetch_is_a_clear_error_and_nothing_is_applied_twice(dovecot, mail_user, receiver):
    dovecot.append(mail_user, [plain_email(n) for n in range(1, 5)])

    def deliver_then_lose_the_server(content, filename, source_key, sender):
        receiver(content, filename, source_key, sender)
        if len(receiver.calls) == 2:
            dovecot.stop()  # the server goes away while the connector is between two messages

    connector = MailboxConnector(
        _config(dovecot, mail_user, processed_folder="Processed"),
        session_factory=receiver.ctx.session_factory,
        deliver=deliver_then_lose_the_server,
    )
    with pytest.raises(MailboxUnavailable) as raised:
        connector.poll()
    assert f"{mail_user}@127.0.0.1" in raised.value.message
    assert raised.value.status == 503
    first, second = _rows(receiver.ctx)
    assert first.filed and second.outcome == MailboxOutcome.DELIVERED and not second.filed

    with pytest.raises(MailboxUnavailable):  # still down: the same clear error, nothing recorded
        connector.poll()

    dovecot.start()
    report = connector.poll()
    connector.close()
    assert report.delivered == 2 and report.filed == 3  # the interrupted move is finished, then 3 and 4
    assert len(receiver.calls) == len(set(receiver.calls)) == 4
    assert _count(receiver.ctx, Document) == 4 and _count(receiver.ctx, Receipt) == 4
    assert all(r.filed for r in _rows(receiver.ctx))


def test_a_connection_cut_while_a_body_is_fetched_leaves_that_message_for_the_next_poll(dovecot, mail_user, receiver):
    dovecot.append(mail_user, [plain_email(n) for n in range(1, 4)])

    def client_that_loses_the_server(config):
        client = open_client(config)
        fetch = client.fetch

        def fetch_and_cut(uids, items, *args, **kwargs):
            if uids == [2] and b"BODY.PEEK[]" in items:
                dovecot.stop()  # the server dies just as the body of message 2 is asked for
            return fetch(uids, items, *args, **kwargs)

        client.fetch = fetch_and_cut
        return client

    connector = MailboxConnector(
        _config(dovecot, mail_user),
        session_factory=receiver.ctx.session_factory,
        deliver=receiver,
        client_factory=client_that_loses_the_server,
    )
    with pytest.raises(MailboxUnavailable, match="IMAP4.abort|EOF|socket|Connection(Reset|Aborted)Error|BrokenPipe"):
        connector.poll()
    assert [r.uid for r in _rows(receiver.ctx)] == [1]  # message 2 was not recorded: nothing happened to it

    dovecot.start()
    connector = _connector(dovecot, mail_user, receiver)
    assert connector.poll().delivered == 2
    connector.close()
    assert len(receiver.calls) == len(set(receiver.calls)) == 3
    assert [r.uid for r in _rows(receiver.ctx)] == [1, 2, 3]


def test_the_run_loop_survives_a_server_that_is_down_and_comes_back(dovecot, mail_user, receiver):
    dovecot.append(mail_user, [plain_email(1)])
    dovecot.stop()
    connector = _connector(dovecot, mail_user, receiver)
    stop, reports = threading.Event(), []
    loop = threading.Thread(
        target=connector.run,
        kwargs={
            "interval": 0.05,
            "stop": stop,
            "backoff": Backoff(initial=0.05, maximum=0.2),
            "on_report": reports.append,
        },
    )
    loop.start()
    try:
        time.sleep(0.5)  # several failed connection attempts
        assert not receiver.calls and loop.is_alive()
        dovecot.start()
        dovecot.append(mail_user, [plain_email(2)])
        deadline = time.monotonic() + 20
        while len(receiver.calls) < 2 and time.monotonic() < deadline:
            time.sleep(0.05)
        dovecot.restart()  # and once more, while the loop holds a connection
        dovecot.append(mail_user, [plain_email(3)])
        while len(receiver.calls) < 3 and time.monotonic() < deadline:
            time.sleep(0.05)
    finally:
        stop.set()
        loop.join(10)
    assert not loop.is_alive()
    assert len(receiver.calls) == len(set(receiver.calls)) == 3
    assert [r.uid for r in _rows(receiver.ctx)] == [1, 2, 3]


def test_a_changed_uidvalidity_rescans_without_duplicating_documents(dovecot, mail_user, receiver):
    first = [plain_email(1), plain_email(2), email_without_message_id()]
    dovecot.append(mail_user, first, folder="Orders")
    connector = _connector(dovecot, mail_user, receiver, folder="Orders")
    before = connector.poll()
    assert before.delivered == 3

    client = dovecot.client(mail_user)  # the folder is re-created (a restore, a server migration): new UIDVALIDITY
    client.delete_folder("Orders")
    client.logout()
    dovecot.append(mail_user, [*first, plain_email(4)], folder="Orders")
    after = connector.poll()
    connector.close()

    assert after.uidvalidity != before.uidvalidity
    assert (after.delivered, after.duplicates) == (1, 3)
    assert len(receiver.calls) == len(set(receiver.calls)) == 4
    assert _count(receiver.ctx, Document) == 4
    rows = _rows(receiver.ctx)
    assert len(rows) == 7 and sum(r.outcome == MailboxOutcome.DUPLICATE for r in rows) == 3
    duplicates = [r for r in rows if r.outcome == MailboxOutcome.DUPLICATE]
    assert all(r.document_id is not None and r.filed for r in duplicates)


def test_a_failing_delivery_is_retried_then_given_up_and_the_others_go_through(dovecot, mail_user, receiver):
    def deliver(content, filename, source_key, sender):
        if b"Note 2" in content:
            raise RuntimeError("database went away")
        receiver(content, filename, source_key, sender)

    dovecot.append(mail_user, [plain_email(1), plain_email(2), plain_email(3)])
    connector = MailboxConnector(
        _config(dovecot, mail_user, max_attempts=3), session_factory=receiver.ctx.session_factory, deliver=deliver
    )
    reports = [connector.poll() for _ in range(4)]
    connector.close()
    assert [(r.delivered, r.failed) for r in reports] == [(2, 1), (0, 1), (0, 1), (0, 0)]
    failed = next(r for r in _rows(receiver.ctx) if r.uid == 2)
    assert failed.outcome == MailboxOutcome.FAILED and failed.attempts == 3
    assert failed.error == "RuntimeError: database went away" and not failed.filed
    flags = _flags(dovecot, mail_user)
    assert b"$O2CRejected" in flags[2] and b"$O2CProcessed" not in flags[2]  # still on the server, for a person


def test_xoauth2_login_with_an_access_token(dovecot, mail_user, receiver):
    dovecot.append(mail_user, [plain_email(1)])
    connector = _connector(dovecot, mail_user, receiver, password=None, oauth2_token=dovecot.oauth2_token(mail_user))
    assert connector.poll().delivered == 1
    connector.close()
    assert "method=XOAUTH2" in dovecot.log.read_text()


@pytest.mark.postgres
def test_records_and_duplicates_on_postgresql(dovecot, mail_user, fresh_postgres_url, tmp_path):
    receiver = Receiver(context_on(fresh_postgres_url, tmp_path), "imap")
    dovecot.append(mail_user, [plain_email(1), email_without_message_id()], folder="Orders")
    connector = _connector(dovecot, mail_user, receiver, folder="Orders", processed_folder="Done")
    assert connector.poll().delivered == 2
    dovecot.append(mail_user, [plain_email(1), email_without_message_id(), plain_email(3)], folder="Orders")
    report = connector.poll()  # the same two again under new UIDs: duplicates
    connector.close()
    assert (report.delivered, report.duplicates) == (1, 2)
    assert len(receiver.calls) == 3 and _count(receiver.ctx, Document) == 3
    receiver.ctx.session_factory.kw["bind"].dispose()


def test_wrong_credentials_are_a_clear_login_error(dovecot, mail_user, receiver):
    connector = _connector(dovecot, mail_user, receiver, password="wrong")
    with pytest.raises(MailboxLoginFailed) as raised:
        connector.poll()
    assert "login refused" in raised.value.message


def test_a_config_without_credentials_is_refused():
    with pytest.raises(ConnectorMisconfigured):
        MailboxConfig(host="imap.example.com", user="ar@example.com")


def test_a_reused_message_id_with_other_bytes_is_a_new_document(dovecot, mail_user, receiver, caplog):
    first = plain_email(7)
    second = first.replace(b"Just saying hello (7).", b"Other words entirely, same id.")
    dovecot.append(mail_user, [first, second, first])
    connector = _connector(dovecot, mail_user, receiver)
    report = connector.poll()
    connector.close()
    assert (report.delivered, report.duplicates) == (2, 1)  # the third is the first again: a duplicate
    rows = _rows(receiver.ctx)
    assert [r.outcome for r in rows] == [MailboxOutcome.DELIVERED, MailboxOutcome.DELIVERED, MailboxOutcome.DUPLICATE]
    assert rows[0].document_id != rows[1].document_id and rows[2].document_id == rows[0].document_id
    assert _count(receiver.ctx, Document) == 2
    assert "reused" in caplog.text
