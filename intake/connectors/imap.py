"""IMAP connector: poll one folder and hand each new message, as raw RFC 822 bytes, to `deliver`.

Contract:
- A message is identified by (mailbox, UIDVALIDITY, UID). Every message handled gets a `MailboxMessage` row,
  whatever became of it (delivered, duplicate, rejected, vanished, failed), so nothing is fetched twice.
- New messages are those above the highest UID recorded for the folder's current UIDVALIDITY. A changed
  UIDVALIDITY voids the old UIDs: the folder is re-scanned, and a message delivered before (same Message-ID,
  or the same bytes when it has none) is recorded as a duplicate, never delivered again.
- A message is moved to the processed folder (or flagged) only after it is delivered and recorded; a move cut
  short by a disconnect is finished on the next poll.
- Network work happens outside any database transaction; each row is written in its own short one.
- A broken connection ends the poll with `MailboxUnavailable`; `run` reconnects with backoff and resumes from
  the last recorded UID. A delivery that raises unexpectedly is recorded as failed and retried on later polls
  up to `max_attempts`; one bad message never stops the others.
"""

from __future__ import annotations

import contextlib
import hashlib
import imaplib
import logging
import re
import ssl
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from email.header import decode_header, make_header
from email.parser import BytesHeaderParser
from email.policy import compat32
from email.utils import parseaddr
from typing import Any

from imapclient import IMAPClient
from imapclient.exceptions import LoginError
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from o2c.core.db import unit_of_work
from o2c.core.errors import O2CError
from o2c.core.settings import Settings
from o2c.intake.connectors.base import Backoff, Deliver
from o2c.intake.connectors.errors import ConnectorMisconfigured, MailboxLoginFailed, MailboxUnavailable
from o2c.intake.models import Channel, MailboxMessage, MailboxOutcome, Receipt

log = logging.getLogger(__name__)

CHANNEL = Channel.IMAP.value
HEADER_FIELDS = b"BODY.PEEK[HEADER.FIELDS (MESSAGE-ID FROM SUBJECT)]"
# Errors that mean "the connection is gone or the server said no": the poll ends, the next one reconnects.
CONNECTION_ERRORS = (imaplib.IMAP4.error, OSError, EOFError)


@dataclass(frozen=True)
class MailboxConfig:
    """Where the mailbox is and how to log in; built at the composition root from settings."""

    host: str
    user: str
    port: int = 993
    use_ssl: bool = True
    password: str | None = field(default=None, repr=False)
    oauth2_token: str | None = field(default=None, repr=False)
    folder: str = "INBOX"
    processed_folder: str | None = None
    processed_flag: str = "$O2CProcessed"
    rejected_flag: str = "$O2CRejected"
    timeout_seconds: float = 30.0
    max_message_bytes: int | None = None
    max_attempts: int = 3
    ssl_context: ssl.SSLContext | None = field(default=None, repr=False)

    def __post_init__(self):
        if not self.host or not self.user:
            raise ConnectorMisconfigured("the IMAP connector needs O2C_IMAP_HOST and O2C_IMAP_USER")
        if not self.password and not self.oauth2_token:
            raise ConnectorMisconfigured("the IMAP connector needs O2C_IMAP_PASSWORD or O2C_IMAP_OAUTH2_TOKEN")

    @property
    def mailbox(self) -> str:
        """The key this folder's messages are recorded under."""
        return f"{self.user}@{self.host}:{self.port}/{self.folder}"

    @classmethod
    def from_settings(cls, settings: Settings) -> MailboxConfig:
        """The O2C_IMAP_* settings as a config (raises ConnectorMisconfigured when one is missing)."""
        secret = settings.imap_password.get_secret_value() if settings.imap_password else None
        token = settings.imap_oauth2_token.get_secret_value() if settings.imap_oauth2_token else None
        return cls(
            host=settings.imap_host or "",
            user=settings.imap_user or "",
            port=settings.imap_port or (993 if settings.imap_ssl else 143),
            use_ssl=settings.imap_ssl,
            password=secret,
            oauth2_token=token,
            folder=settings.imap_folder,
            processed_folder=settings.imap_processed_folder,
            processed_flag=settings.imap_processed_flag,
            timeout_seconds=settings.imap_timeout_seconds,
            max_message_bytes=settings.max_upload_bytes,
        )


@dataclass
class PollReport:
    """What one poll did."""

    mailbox: str
    uidvalidity: int | None = None
    delivered: int = 0
    duplicates: int = 0
    rejected: int = 0
    vanished: int = 0
    failed: int = 0
    filed: int = 0

    def count(self, outcome: MailboxOutcome) -> None:
        """Count one handled message under its outcome."""
        name = {MailboxOutcome.DUPLICATE: "duplicates"}.get(outcome, outcome.value)
        setattr(self, name, getattr(self, name) + 1)

    def to_dict(self) -> dict[str, Any]:
        """The report as JSON-ready values."""
        return dict(self.__dict__)


@dataclass(frozen=True)
class _Fetched:
    uid: int
    size: int
    message_id: str | None
    sender: str | None
    subject: str | None


@dataclass(frozen=True)
class _Prior:
    document_id: int | None


class MailboxConnector:
    """Polls one IMAP folder; owns its connection and writes its own short transactions."""

    def __init__(
        self,
        config: MailboxConfig,
        *,
        session_factory: sessionmaker[Session],
        deliver: Deliver,
        client_factory: Callable[[MailboxConfig], IMAPClient] | None = None,
    ):
        self.config = config
        self._session_factory = session_factory
        self._deliver = deliver
        self._client_factory = client_factory or open_client
        self._client: IMAPClient | None = None

    # ------------------------------------------------------------------------------------------ the loop
    def run(
        self,
        *,
        interval: float,
        stop: threading.Event | None = None,
        backoff: Backoff | None = None,
        on_report: Callable[[PollReport], None] | None = None,
    ) -> None:
        """Poll every `interval` seconds until `stop` is set; a failed poll is retried with backoff."""
        stop = stop or threading.Event()
        backoff = backoff or Backoff()
        try:
            while not stop.is_set():
                try:
                    report = self.poll()
                except MailboxUnavailable as exc:
                    delay = backoff.next_delay()
                    log.warning("%s; reconnecting in %.1f s", exc.message, delay)
                    stop.wait(delay)
                    continue
                except Exception:  # the database is down, or a bug: keep the connector alive, try again later
                    delay = backoff.next_delay()
                    log.exception("poll of %s failed; retrying in %.1f s", self.config.mailbox, delay)
                    stop.wait(delay)
                    continue
                backoff.reset()
                if on_report is not None:
                    on_report(report)
                stop.wait(interval)
        finally:
            self.close()

    def poll(self) -> PollReport:
        """Take every new message once: deliver, record, file. Raises MailboxUnavailable on a broken connection."""
        report = PollReport(self.config.mailbox)
        try:
            client, uidvalidity = self._select()
            report.uidvalidity = uidvalidity
            self._file_pending(client, uidvalidity, report)
            for uid in self._uids_to_handle(client, uidvalidity):
                self._handle(client, uidvalidity, uid, report)
        except LoginError as exc:
            self._drop()
            raise MailboxLoginFailed(f"{self.config.mailbox}: login refused: {_text(exc)}") from exc
        except CONNECTION_ERRORS as exc:
            self._drop()
            raise MailboxUnavailable(
                f"{self.config.mailbox}: {type(exc).__name__}: {_text(exc)}", delivered_so_far=report.delivered
            ) from exc
        return report

    def close(self) -> None:
        """Log out politely; a dead connection is just dropped."""
        if self._client is None:
            return
        with contextlib.suppress(*CONNECTION_ERRORS):
            self._client.logout()
        self._drop()

    # ------------------------------------------------------------------------------------------ connection
    def _select(self) -> tuple[IMAPClient, int]:
        """Select the folder on the held connection; a connection that died while idle gets one fresh try."""
        for attempt in (1, 2):
            try:
                if self._client is None:
                    self._client = self._client_factory(self.config)
                    self._ensure_processed_folder(self._client)
                info = self._client.select_folder(self.config.folder)
                return self._client, int(info[b"UIDVALIDITY"])
            except (imaplib.IMAP4.abort, OSError, EOFError):
                self._drop()
                if attempt == 2:
                    raise
        raise AssertionError("unreachable")

    def _ensure_processed_folder(self, client: IMAPClient) -> None:
        folder = self.config.processed_folder
        if folder and not client.folder_exists(folder):
            client.create_folder(folder)

    def _drop(self) -> None:
        client, self._client = self._client, None
        if client is not None:
            with contextlib.suppress(*CONNECTION_ERRORS):
                client.shutdown()

    # ------------------------------------------------------------------------------------------ messages
    def _uids_to_handle(self, client: IMAPClient, uidvalidity: int) -> list[int]:
        """UIDs above the last recorded one, plus failed ones that may be retried."""
        mailbox = self.config.mailbox
        with unit_of_work(self._session_factory) as session:
            last = (
                session.scalar(
                    select(func.max(MailboxMessage.uid)).where(
                        MailboxMessage.mailbox == mailbox, MailboxMessage.uidvalidity == uidvalidity
                    )
                )
                or 0
            )
            retry = set(
                session.scalars(
                    select(MailboxMessage.uid).where(
                        MailboxMessage.mailbox == mailbox,
                        MailboxMessage.uidvalidity == uidvalidity,
                        MailboxMessage.outcome == MailboxOutcome.FAILED,
                        MailboxMessage.attempts < self.config.max_attempts,
                    )
                )
            )
        new = {uid for uid in client.search(["UID", f"{last + 1}:*"]) if uid > last}  # "n:*" always matches one
        return sorted(new | retry)

    def _handle(self, client: IMAPClient, uidvalidity: int, uid: int, report: PollReport) -> None:
        """Fetch one message, deliver it unless seen before, record what happened, then file it."""
        head = self._fetch_head(client, uid)
        if head is None:
            self._record(
                uidvalidity,
                uid,
                report,
                outcome=MailboxOutcome.VANISHED,
                error="the message left the folder before it could be fetched",
            )
            return
        facts = {"message_id": head.message_id, "sender": head.sender, "subject": head.subject, "size_bytes": head.size}
        limit = self.config.max_message_bytes
        if limit is not None and head.size > limit:
            self._reject(client, uidvalidity, uid, report, f"{head.size} bytes is over the {limit}-byte limit", **facts)
            return
        raw = client.fetch([uid], [b"BODY.PEEK[]"]).get(uid, {}).get(b"BODY[]")
        if raw is None:
            self._record(
                uidvalidity,
                uid,
                report,
                outcome=MailboxOutcome.VANISHED,
                error="the message left the folder before its body could be fetched",
                **facts,
            )
            return
        digest = hashlib.sha256(raw).hexdigest()
        facts["sha256"] = digest
        # the same message again is the same Message-ID *and* the same bytes; a reused Message-ID with other
        # bytes is a new arrival of a new document (logged: a sender's mail system reusing ids loses mail)
        if (prior := self._delivered_before(message_id=head.message_id, sha256=digest)) is not None:
            self._record(
                uidvalidity, uid, report, outcome=MailboxOutcome.DUPLICATE, document_id=prior.document_id, **facts
            )
            self._file(client, uidvalidity, [uid], report)
            return
        if not raw.strip():
            self._reject(client, uidvalidity, uid, report, "the message is empty", **facts)
            return
        source_key = self._source_key(head.message_id, digest)
        try:
            self._deliver(content=raw, filename=_filename(head.subject, uid), source_key=source_key, sender=head.sender)
        except O2CError as exc:  # intake refused it for good (too large, empty, unsupported): keep it, flagged
            self._reject(client, uidvalidity, uid, report, f"{exc.code}: {exc.message}", **facts)
            return
        except Exception as exc:  # a bug or a database outage: record it and retry on a later poll
            log.exception("delivering %s UID %s failed", self.config.mailbox, uid)
            attempts = self._record(
                uidvalidity, uid, report, outcome=MailboxOutcome.FAILED, error=f"{type(exc).__name__}: {exc}", **facts
            )
            if attempts >= self.config.max_attempts:
                client.add_flags([uid], [self.config.rejected_flag.encode()])
            return
        self._record(
            uidvalidity,
            uid,
            report,
            outcome=MailboxOutcome.DELIVERED,
            document_id=self._document_for(source_key),
            error=None,
            **facts,
        )
        self._file(client, uidvalidity, [uid], report)

    def _fetch_head(self, client: IMAPClient, uid: int) -> _Fetched | None:
        data = client.fetch([uid], [b"RFC822.SIZE", HEADER_FIELDS]).get(uid)
        if data is None:
            return None
        header_bytes = next((v for k, v in data.items() if k.startswith(b"BODY[HEADER")), b"") or b""
        headers = BytesHeaderParser(policy=compat32).parsebytes(header_bytes)
        message_id = (_decoded(headers.get("Message-ID")) or "").strip() or None
        sender = parseaddr(_decoded(headers.get("From")) or "")[1] or None
        subject = _decoded(headers.get("Subject"))
        return _Fetched(
            uid,
            int(data.get(b"RFC822.SIZE", 0)),
            message_id and message_id[:998],
            sender and sender[:320],
            subject and subject[:998],
        )

    def _reject(self, client: IMAPClient, uidvalidity: int, uid: int, report: PollReport, error: str, **facts) -> None:
        log.warning("%s UID %s rejected: %s", self.config.mailbox, uid, error)
        self._record(uidvalidity, uid, report, outcome=MailboxOutcome.REJECTED, error=error, **facts)
        client.add_flags([uid], [self.config.rejected_flag.encode()])

    def _file(self, client: IMAPClient, uidvalidity: int, uids: list[int], report: PollReport) -> None:
        """Move handled messages to the processed folder (or flag them), then mark their rows filed."""
        if not uids:
            return
        folder = self.config.processed_folder
        if folder:
            if client.has_capability("MOVE"):
                client.move(uids, folder)
            else:
                client.copy(uids, folder)
                client.delete_messages(uids)
                if client.has_capability("UIDPLUS"):
                    client.uid_expunge(uids)
                else:
                    client.expunge()
        else:
            client.add_flags(uids, [self.config.processed_flag.encode()])
        with unit_of_work(self._session_factory) as session:
            for row in session.scalars(
                select(MailboxMessage).where(
                    MailboxMessage.mailbox == self.config.mailbox,
                    MailboxMessage.uidvalidity == uidvalidity,
                    MailboxMessage.uid.in_(uids),
                )
            ):
                row.filed = True
        report.filed += len(uids)

    def _file_pending(self, client: IMAPClient, uidvalidity: int, report: PollReport) -> None:
        """Finish filing messages that were recorded but whose move or flag was cut short."""
        with unit_of_work(self._session_factory) as session:
            uids = list(
                session.scalars(
                    select(MailboxMessage.uid).where(
                        MailboxMessage.mailbox == self.config.mailbox,
                        MailboxMessage.uidvalidity == uidvalidity,
                        MailboxMessage.outcome.in_([MailboxOutcome.DELIVERED, MailboxOutcome.DUPLICATE]),
                        MailboxMessage.filed.is_(False),
                    )
                )
            )
        present = set(client.search(["UID", ",".join(map(str, uids))])) if uids else set()
        self._file(client, uidvalidity, sorted(present), report)
        gone = sorted(set(uids) - present)
        if gone:  # moved by someone else meanwhile: nothing left to file
            with unit_of_work(self._session_factory) as session:
                for row in session.scalars(
                    select(MailboxMessage).where(
                        MailboxMessage.mailbox == self.config.mailbox,
                        MailboxMessage.uidvalidity == uidvalidity,
                        MailboxMessage.uid.in_(gone),
                    )
                ):
                    row.filed = True

    # ------------------------------------------------------------------------------------------ records
    def _record(self, uidvalidity: int, uid: int, report: PollReport, *, outcome: MailboxOutcome, **fields) -> int:
        """Insert or update the message's row in its own transaction; returns its attempt count."""
        key = {"mailbox": self.config.mailbox, "uidvalidity": uidvalidity, "uid": uid}
        try:
            with unit_of_work(self._session_factory) as session:
                row = session.scalar(select(MailboxMessage).filter_by(**key))
                if row is None:
                    row = MailboxMessage(**key, outcome=outcome, attempts=1, **fields)
                    session.add(row)
                else:
                    row.attempts = (row.attempts or 0) + 1
                    row.outcome = outcome
                    for name, value in fields.items():
                        setattr(row, name, value)
                attempts = row.attempts
        except IntegrityError:  # another poller recorded it first; its record stands
            return 0
        report.count(outcome)
        return attempts

    def _delivered_before(self, *, message_id: str | None = None, sha256: str | None = None) -> _Prior | None:
        """An earlier delivery of the same message (by Message-ID, else by bytes) in this mailbox, or None."""
        if message_id is None and sha256 is None:
            return None
        with unit_of_work(self._session_factory) as session:
            rows = session.execute(
                select(MailboxMessage.document_id, MailboxMessage.sha256).where(
                    MailboxMessage.mailbox == self.config.mailbox,
                    MailboxMessage.message_id == message_id if message_id else MailboxMessage.sha256 == sha256,
                    MailboxMessage.outcome == MailboxOutcome.DELIVERED,
                )
            ).all()
        same = [row for row in rows if sha256 is None or row.sha256 in (sha256, None)]
        if rows and not same:
            log.warning(
                "Message-ID %r reused in %s with other content (sha256 %s): a new document",
                message_id,
                self.config.mailbox,
                sha256,
            )
        return _Prior(same[0].document_id) if same else None

    def _document_for(self, source_key: str) -> int | None:
        with unit_of_work(self._session_factory) as session:
            return session.scalar(
                select(Receipt.document_id).where(Receipt.channel == CHANNEL, Receipt.source_key == source_key)
            )

    def _source_key(self, message_id: str | None, digest: str) -> str:
        """Stable across UIDVALIDITY changes: the Message-ID and the bytes' hash (a reused id is another key)."""
        key = f"{self.config.mailbox}#{message_id + '#' if message_id else ''}sha256:{digest}"
        if len(key) > 512:
            key = f"{self.config.mailbox[:400]}#sha256:{hashlib.sha256(key.encode()).hexdigest()}"
        return key


def open_client(config: MailboxConfig) -> IMAPClient:
    """Connect and log in with XOAUTH2 when a token is set, else with the password."""
    client = IMAPClient(
        config.host,
        port=config.port,
        ssl=config.use_ssl,
        ssl_context=config.ssl_context or (ssl.create_default_context() if config.use_ssl else None),
        timeout=config.timeout_seconds,
    )
    try:
        if config.oauth2_token:
            try:
                client.oauth2_login(config.user, config.oauth2_token)
            except imaplib.IMAP4.abort:
                raise
            except imaplib.IMAP4.error as exc:  # imapclient reports a refused AUTHENTICATE as a plain error
                raise LoginError(str(exc)) from exc
        else:
            client.login(config.user, config.password)
    except BaseException:
        client.shutdown()
        raise
    return client


def _decoded(value: str | None) -> str | None:
    if value is None:
        return None
    try:
        return str(make_header(decode_header(value)))
    except (ValueError, LookupError, UnicodeError):
        return value


def _filename(subject: str | None, uid: int) -> str:
    stem = re.sub(r"[^\w.-]+", "_", subject or "", flags=re.UNICODE).strip("._")[:80]
    return f"{stem or 'message'}-{uid}.eml"


def _text(exc: BaseException) -> str:
    text = str(exc)
    return text[2:-1] if text.startswith(("b'", 'b"')) else text
