"""Reviewer resolutions: record the decision, then put the business document back on the road exactly where an
automatic decision would have taken it, so the same ledger rules judge it."""

from __future__ import annotations

from typing import Any

from core.db import unit_of_work
from extraction.models import BusinessDocumentStatus, ExtractionRecord
from pipeline import PipelineContext, decide_business_document, document_outcomes
from review import service as review


def resolve_exception(ctx: PipelineContext, exception_id: int, resolution: review.Resolution, *,
                      reviewer: str) -> dict[str, Any]:
    """Record a reviewer's decision and put the document back on the road exactly where automation would."""
    with unit_of_work(ctx.session_factory) as session:
        item = review.record_resolution(session, exception_id, resolution, reviewer=reviewer)
        extraction_id = item.extraction_id
        if extraction_id is not None:
            record = session.get(ExtractionRecord, extraction_id, with_for_update=True)
            if resolution.action == "correct":
                corrected = merge_corrections(record.payload, resolution.changes or {})
                # a reviewer's value is certain
                corrected["confidence"] = {**corrected.get("confidence", {}),
                                           **{path: 1.0 for path in _paths(resolution.changes or {})}}
                record.payload = corrected
                record.status = BusinessDocumentStatus.EXTRACTED
            elif resolution.action == "dismiss":
                record.status = BusinessDocumentStatus.OTHER
                record.outcome = {"status": "rejected", "reasons": ["unsupported_document"]}
            else:
                record.status = BusinessDocumentStatus.REJECTED
                record.outcome = {"status": "rejected", "reasons": item.reasons}
        document_id = item.document_id
    if extraction_id is not None and resolution.action == "correct":
        decide_business_document(ctx, extraction_id, actor=reviewer)
    outcomes = document_outcomes(ctx, document_id)
    return next((o for o in outcomes if o.get("extraction_id") == extraction_id), outcomes[0] if outcomes else {})


def merge_corrections(payload: dict[str, Any], changes: dict[str, Any]) -> dict[str, Any]:
    """Deep-merge a reviewer's corrected fields into an extraction's JSON (lists are replaced whole)."""
    merged = dict(payload)
    for key, value in changes.items():
        if isinstance(value, dict) and isinstance(merged.get(key), dict):
            merged[key] = merge_corrections(merged[key], value)
        else:
            merged[key] = value
    return merged


def _paths(changes: dict[str, Any], prefix: str = "") -> list[str]:
    paths: list[str] = []
    for key, value in changes.items():
        path = f"{prefix}{key}"
        if isinstance(value, dict):
            paths += _paths(value, path + ".")
        elif isinstance(value, list):
            for i, entry in enumerate(value):
                paths += _paths(entry, f"{path}[{i}].") if isinstance(entry, dict) else [f"{path}[{i}]"]
        else:
            paths.append(path)
    return paths
