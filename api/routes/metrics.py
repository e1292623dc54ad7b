"""Operations: GET /summary (JSON) and GET /metrics (Prometheus text format)."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Gauge, generate_latest

from o2c.api.auth import require
from o2c.api.schemas import ErrorBody, Responses
from o2c.core.db import unit_of_work
from o2c.review.summary import build_summary

router = APIRouter(tags=["operations"])
ERRORS: Responses = {401: {"model": ErrorBody}, 403: {"model": ErrorBody}}


@router.get("/summary", responses=ERRORS, summary="Throughput, touchless and auto-match rates, exception ages")
def summary(request: Request, caller: str = Depends(require("reviewer", "erp"))) -> dict:
    """Documents by status, touchless rate, auto-match rate (payment and invoice level), open exceptions by
    reason and age, and processing-time percentiles in seconds."""
    with unit_of_work(request.app.state.ctx.session_factory) as session:
        return build_summary(session)


def render_metrics(data: dict) -> bytes:
    """The summary as Prometheus gauges (a fresh registry per scrape: values come from the database)."""
    registry = CollectorRegistry()

    def gauge(name: str, doc: str, labels: tuple[str, ...] = ()) -> Gauge:
        return Gauge(f"o2c_{name}", doc, labels, registry=registry)

    documents = gauge("documents", "Received files by status", ("status",))
    for status, count in data["documents_by_status"].items():
        documents.labels(status).set(count)
    business = gauge("business_documents", "Business documents by status", ("status",))
    for status, count in data["business_documents_by_status"].items():
        business.labels(status).set(count)
    rates = gauge("rate", "Touchless and auto-match rates (0..1)", ("kind",))
    for kind, value in (
        ("touchless", data["touchless_rate"]),
        ("auto_match_payment", data["auto_match_rate"]["payment_level"]),
        ("auto_match_invoice", data["auto_match_rate"]["invoice_level"]),
    ):
        if value is not None:
            rates.labels(kind).set(value)
    by_reason = gauge("open_exceptions_by_reason", "Open exceptions by reason code", ("reason",))
    for reason, count in data["open_exceptions_by_reason"].items():
        by_reason.labels(reason).set(count)
    by_age = gauge("open_exceptions_by_age", "Open exceptions by age bucket", ("age",))
    for bucket, count in data["open_exceptions_by_age"].items():
        by_age.labels(bucket).set(count)
    seconds = gauge("processing_seconds", "Receipt to decision, percentiles", ("quantile",))
    for name, value in data["processing_seconds"].items():
        if value is not None:
            seconds.labels(f"0.{name[1:]}").set(value)
    return generate_latest(registry)


@router.get(
    "/metrics",
    response_class=Response,
    responses={**ERRORS, 200: {"content": {"text/plain": {}}, "description": "Prometheus text exposition format"}},
    summary="Prometheus metrics",
)
def metrics(request: Request, caller: str = Depends(require("erp", "reviewer"))) -> Response:
    """The summary as gauges, for a Prometheus scrape with an API key."""
    with unit_of_work(request.app.state.ctx.session_factory) as session:
        data = build_summary(session)
    return Response(render_metrics(data), media_type=CONTENT_TYPE_LATEST)
