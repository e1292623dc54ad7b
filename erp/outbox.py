"""The webhook outbox: events worth telling the ERP are copied from the event log (written in the same
transaction as the change), then POSTed HMAC-signed with an idempotency key, retried with backoff."""

from __future__ import annotations

import hashlib
import hmac
import json
import urllib.error
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from o2c.core.db import unit_of_work, utcnow
from o2c.core.errors import NotFound
from o2c.core.events import Event
from o2c.review.models import WebhookDelivery

PUBLISHED = (
    "order.posted",
    "payment.posted",
    "exception.opened",
    "exception.resolved",
    "document.rejected",
    "alias.learned",
    "alias.retired",
)
SIGNATURE_HEADER = "X-O2C-Signature"
IDEMPOTENCY_HEADER = "Idempotency-Key"


@dataclass(frozen=True)
class WebhookPolicy:
    """Where to send, the shared secret, and how often to retry (seconds before attempt 2, 3, ...)."""

    url: str
    secret: str = field(repr=False)  # never in a log line or a traceback
    backoff: tuple[int, ...] = (5, 30, 120, 600, 1800)
    timeout: float = 10.0

    @classmethod
    def from_settings(cls, settings) -> WebhookPolicy | None:
        """The policy from O2C_WEBHOOK_* settings; None when no webhook URL is configured."""
        if not getattr(settings, "webhook_url", None):
            return None
        settings.check_secrets()  # a URL without a secret refuses to start
        secret = settings.webhook_secret
        secret = secret.get_secret_value() if hasattr(secret, "get_secret_value") else str(secret)
        backoff = tuple(int(s) for s in str(settings.webhook_backoff).split(",") if s.strip())
        return cls(url=settings.webhook_url, secret=secret, backoff=backoff or cls.backoff)

    @property
    def max_attempts(self) -> int:
        """The first try plus one per backoff step; after that a delivery is dead."""
        return len(self.backoff) + 1


def sign(secret: str, timestamp: int, body: bytes) -> str:
    """The signature header value: 't=<unix time>,v1=<hex HMAC-SHA256 of "<t>.<body>">'."""
    digest = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()
    return f"t={timestamp},v1={digest}"


def verify(secret: str, header: str, body: bytes, *, tolerance: int = 300, now: int | None = None) -> bool:
    """True when a signature header matches the body and is recent (for receivers and tests)."""
    parts = dict(p.split("=", 1) for p in header.split(",") if "=" in p)
    try:
        timestamp = int(parts["t"])
    except (KeyError, ValueError):
        return False
    fresh = abs((now if now is not None else int(utcnow().timestamp())) - timestamp) <= tolerance
    return fresh and hmac.compare_digest(sign(secret, timestamp, body), header)


def stage_events(
    session: Session, kinds: tuple[str, ...] = PUBLISHED, *, now: datetime | None = None, batch: int = 5000
) -> int:
    """Copy every published event not yet in the outbox into it (one row per event: the key is unique).

    An anti-join, not a look-back window: an event committed late by a long transaction, with an id far below
    the newest staged one, is still found (a window of the last N ids would skip it for good)."""
    events = list(
        session.scalars(
            select(Event)
            .outerjoin(WebhookDelivery, WebhookDelivery.event_id == Event.id)
            .where(WebhookDelivery.id.is_(None), Event.kind.in_(kinds))
            .order_by(Event.id)
            .limit(batch)
        )
    )
    for event in events:
        session.add(
            WebhookDelivery(
                event_id=event.id,
                kind=event.kind,
                idempotency_key=f"o2c-event-{event.id}",
                next_attempt_at=now or utcnow(),
                payload={
                    "id": f"o2c-event-{event.id}",
                    "type": event.kind,
                    "occurred_at": event.at.isoformat(),
                    "subject": {"type": event.subject_type, "id": event.subject_id},
                    "actor": event.actor,
                    "data": event.payload,
                },
            )
        )
    session.flush()
    return len(events)


Sender = Callable[[str, bytes, dict[str, str], float], int]


def http_post(url: str, body: bytes, headers: dict[str, str], timeout: float) -> int:
    """POST with the standard library; the status code, or raises OSError on a network failure."""
    request = urllib.request.Request(url, data=body, headers=headers, method="POST")
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:  # noqa: S310 - the configured URL
            return response.status
    except urllib.error.HTTPError as exc:
        return exc.code


def deliver_due(
    factory: sessionmaker[Session],
    policy: WebhookPolicy,
    *,
    now: datetime | None = None,
    send: Sender = http_post,
    limit: int = 100,
) -> dict[str, int]:
    """Stage new events, then POST every due delivery once; 2xx = delivered, else retry later or give up."""
    now = now or utcnow()
    with unit_of_work(factory) as session:
        stage_events(session, now=now)
        due = [
            (d.id, d.idempotency_key, d.kind, d.payload)
            for d in session.scalars(
                select(WebhookDelivery)
                .where(WebhookDelivery.status == "pending", WebhookDelivery.next_attempt_at <= now)
                .order_by(WebhookDelivery.id)
                .limit(limit)
            )
        ]
    counts = {"delivered": 0, "retrying": 0, "dead": 0}
    for delivery_id, key, kind, payload in due:  # the HTTP call runs outside any transaction
        body = json.dumps(payload, sort_keys=True).encode()
        headers = {
            "Content-Type": "application/json",
            IDEMPOTENCY_HEADER: key,
            "X-O2C-Event": kind,
            SIGNATURE_HEADER: sign(policy.secret, int(now.timestamp()), body),
        }
        try:
            status, error = send(policy.url, body, headers, policy.timeout), None
        except OSError as exc:
            status, error = 0, f"{type(exc).__name__}: {exc}"
        with unit_of_work(factory) as session:
            row = session.get(WebhookDelivery, delivery_id)
            if row is None:  # outbox rows are never deleted
                raise NotFound(f"outbox delivery {delivery_id} does not exist")
            row.attempts += 1
            if 200 <= status < 300:
                row.status, row.delivered_at, row.last_error = "delivered", now, None
            else:
                row.last_error = error or f"HTTP {status}"
                if row.attempts >= policy.max_attempts:
                    row.status = "dead"
                else:
                    row.next_attempt_at = now + timedelta(seconds=policy.backoff[row.attempts - 1])
            counts[{"delivered": "delivered", "dead": "dead"}.get(row.status, "retrying")] += 1
    return counts


def outbox_to_dict(row: WebhookDelivery) -> dict:
    """One outbox row as the API shows it."""
    return {
        "id": row.id,
        "event_id": row.event_id,
        "kind": row.kind,
        "idempotency_key": row.idempotency_key,
        "status": row.status,
        "attempts": row.attempts,
        "next_attempt_at": row.next_attempt_at.isoformat(),
        "last_error": row.last_error,
        "delivered_at": row.delivered_at.isoformat() if row.delivered_at else None,
    }
