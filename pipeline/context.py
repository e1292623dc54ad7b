"""What the document's steps need, built once at a composition root (the CLI, the API, the worker) from Settings."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date

from sqlalchemy.orm import Session, sessionmaker

from o2c.core.db import make_engine, make_session_factory
from o2c.core.queue import JobQueue
from o2c.core.settings import Settings
from o2c.extraction.service import ExtractionLimits
from o2c.intake.storage import BlobStore
from o2c.ledger.policy import LedgerPolicy
from o2c.matching.grounding import GroundingCache
from o2c.matching.policy import MatchingPolicy
from o2c.migrations.runner import upgrade_database


@dataclass(frozen=True)
class PipelineContext:
    """What the steps need, built once at a composition root from Settings."""

    session_factory: sessionmaker[Session]
    store: BlobStore
    limits: ExtractionLimits
    matching: MatchingPolicy
    ledger: LedgerPolicy
    max_upload_bytes: int
    queue: JobQueue | None = None
    business_date: date | None = None
    today: Callable[[], date] = field(default=date.today)
    # connector allow-list: advices arriving through these channels count as from an authenticated sender
    trusted_advice_channels: frozenset[str] = frozenset()
    # master data as extraction's grounding, read again only when master data changed
    grounding: GroundingCache = field(default_factory=GroundingCache)

    def posting_date(self) -> date:
        """The date postings carry (a fixed business date in demos and tests)."""
        return self.business_date or self.today()


def build_context(settings: Settings, *, migrate: bool | None = None) -> PipelineContext:
    """Engine, blob store, policies and queue from settings; the embedded default migrates itself."""
    url = settings.effective_database_url
    if url.startswith("sqlite"):
        settings.data_dir.mkdir(parents=True, exist_ok=True)
    if migrate if migrate is not None else settings.is_embedded:
        upgrade_database(url)
    engine = make_engine(url)
    return PipelineContext(
        session_factory=make_session_factory(engine),
        store=BlobStore(settings.effective_storage_dir),
        limits=ExtractionLimits.from_settings(settings),
        matching=MatchingPolicy.from_settings(settings),
        ledger=LedgerPolicy.from_settings(settings),
        max_upload_bytes=settings.max_upload_bytes,
        queue=JobQueue(settings.redis_url, settings.queue_name) if settings.redis_url else None,
        business_date=settings.business_date,
        trusted_advice_channels=frozenset(c.strip() for c in settings.trusted_advice_channels.split(",") if c.strip()),
    )
