"""Finance's side: AR views (open items, aging, DSO, unapplied cash) and an invoice as PDF or UBL 2.1 XML."""

from __future__ import annotations

from datetime import date

from fastapi import APIRouter, Depends, Path, Query, Request
from fastapi.responses import Response

from o2c.api.auth import require
from o2c.api.schemas import ErrorBody, Responses
from o2c.core.db import unit_of_work
from o2c.ledger.ar import aging_summary, customer_open_items, dso, open_items_summary, unapplied_cash
from o2c.ledger.invoice_documents import (
    load_invoice,
    render_facturx_pdf,
    render_facturx_xml,
    render_pdf,
    render_ubl,
)

router = APIRouter(tags=["ar"])
ERRORS: Responses = {401: {"model": ErrorBody}, 403: {"model": ErrorBody}, 404: {"model": ErrorBody}}
READERS = ("erp", "reviewer")


def _as_of(request: Request, as_of: date | None) -> date:
    return as_of or request.app.state.ctx.posting_date()


@router.get("/ar/open-items", responses=ERRORS, summary="Open items: per customer, or one customer's invoices")
def get_open_items(
    request: Request,
    customer_id: str | None = Query(None, description="one customer's items"),
    caller: str = Depends(require(*READERS)),
) -> dict:
    """Without customer_id: count and open amount per customer; with it: the open invoices and deductions."""
    with unit_of_work(request.app.state.ctx.session_factory) as session:
        if customer_id:
            return customer_open_items(session, customer_id)
        return {"customers": open_items_summary(session)}


@router.get("/ar/aging", responses=ERRORS, summary="Aging buckets: current, 1-30, 31-60, 61-90, 90+")
def get_aging(
    request: Request,
    as_of: date | None = Query(None),
    customer_id: str | None = Query(None),
    caller: str = Depends(require(*READERS)),
) -> dict:
    """Open AR per currency by days past due on as_of (default: the posting date)."""
    with unit_of_work(request.app.state.ctx.session_factory) as session:
        day = _as_of(request, as_of)
        return {"as_of": day.isoformat(), "buckets": aging_summary(session, as_of=day, customer_id=customer_id)}


@router.get("/ar/dso", responses=ERRORS, summary="Days sales outstanding per currency")
def get_dso(
    request: Request,
    as_of: date | None = Query(None),
    days: int = Query(90, ge=1, le=366),
    customer_id: str | None = Query(None),
    caller: str = Depends(require(*READERS)),
) -> dict:
    """Open AR / sales invoiced in the last `days` days x days."""
    with unit_of_work(request.app.state.ctx.session_factory) as session:
        day = _as_of(request, as_of)
        return {"as_of": day.isoformat(), "dso": dso(session, as_of=day, days=days, customer_id=customer_id)}


@router.get("/ar/unapplied", responses=ERRORS, summary="Unapplied cash on account")
def get_unapplied(
    request: Request, customer_id: str | None = Query(None), caller: str = Depends(require(*READERS))
) -> dict:
    """Payments with an unapplied remainder, and the totals per currency."""
    with unit_of_work(request.app.state.ctx.session_factory) as session:
        return unapplied_cash(session, customer_id=customer_id)


@router.get(
    "/invoices/{number}/pdf",
    responses={**ERRORS, 200: {"content": {"application/pdf": {}}}},
    response_class=Response,
    summary="The invoice as PDF",
)
def get_invoice_pdf(
    request: Request,
    number: str = Path(...),
    facturx: bool = Query(False, description="embed the Factur-X XML (PDF/A-3)"),
    caller: str = Depends(require("erp")),
) -> Response:
    """Render the invoice (404 when unknown)."""
    with unit_of_work(request.app.state.ctx.session_factory) as session:
        view = load_invoice(session, number)
    body = render_facturx_pdf(view) if facturx else render_pdf(view)
    return Response(
        body, media_type="application/pdf", headers={"Content-Disposition": f'inline; filename="{number}.pdf"'}
    )


@router.get(
    "/invoices/{number}/xml",
    responses={**ERRORS, 200: {"content": {"application/xml": {}}}},
    response_class=Response,
    summary="The invoice as UBL 2.1 or Factur-X (CII) XML",
)
def get_invoice_xml(
    request: Request,
    number: str = Path(...),
    format: str = Query("ubl", pattern="^(ubl|facturx)$", description="ubl | facturx"),
    caller: str = Depends(require("erp")),
) -> Response:
    """UBL 2.1 Invoice, or Factur-X BASIC WL CII XML (404 when unknown)."""
    with unit_of_work(request.app.state.ctx.session_factory) as session:
        view = load_invoice(session, number)
    body = render_facturx_xml(view) if format == "facturx" else render_ubl(view)
    return Response(body, media_type="application/xml")
