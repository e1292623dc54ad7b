"""The ERP's side: pull posted results with a cursor, push master data."""

from __future__ import annotations

from fastapi import APIRouter, Depends, File, Path, Query, Request, UploadFile
from fastapi.responses import PlainTextResponse

from o2c.api.auth import require
from o2c.api.schemas import AckRequest, AckResult, ErrorBody, Export, ImportResult, Page, Responses
from o2c.core.db import unit_of_work
from o2c.erp.feeds import FEEDS, acknowledge, export_feed, read_feed, read_master_data_changes, to_csv
from o2c.intake.errors import DocumentTooLarge
from o2c.ledger.masterdata import import_master_data

router = APIRouter(tags=["erp"])
ERRORS: Responses = {
    401: {"model": ErrorBody},
    403: {"model": ErrorBody},
    413: {"model": ErrorBody},
    422: {"model": ErrorBody},
}


def _feed(name: str):
    def pull(
        request: Request,
        cursor: str | None = Query(None, description="next_cursor from the previous page"),
        limit: int = Query(100, ge=1, le=1000),
        caller: str = Depends(require("erp")),
    ) -> dict:
        with unit_of_work(request.app.state.ctx.session_factory) as session:
            return read_feed(session, name, cursor=cursor, limit=limit)

    pull.__doc__ = f"Posted {name} in a stable order; follow next_cursor until items is empty."
    return pull


for _name in ("orders", "invoices", "payments", "applications"):
    router.add_api_route(
        f"/{_name}",
        _feed(_name),
        methods=["GET"],
        response_model=Page,
        responses=ERRORS,
        summary=f"Pull {_name}",
        name=f"pull_{_name}",
    )


@router.post(
    "/master-data/{kind}",
    response_model=ImportResult,
    responses=ERRORS,
    summary="Upsert master data from a CSV (all rows or none)",
)
def upsert_master_data(
    request: Request,
    kind: str = Path(
        ...,
        pattern="^(customers|products|prices|invoices)$",
        description="customers | products | prices | invoices (open AR)",
    ),
    file: UploadFile = File(..., description="CSV with the contract's columns"),
    caller: str = Depends(require("erp")),
) -> dict:
    """Validate every row; a bad file is refused whole (422) with `detail.errors` per row, nothing applied."""
    limit = request.app.state.ctx.max_upload_bytes
    content = file.file.read(limit + 1)
    if len(content) > limit:  # never parse a cut file: refuse it whole, nothing applied
        raise DocumentTooLarge(f"{file.filename}: over the {limit}-byte upload limit; nothing was applied")
    with unit_of_work(request.app.state.ctx.session_factory) as session:
        report = import_master_data(session, kind, content)
    return {"kind": kind, "report": str(report)}


@router.get(
    "/erp/export",
    response_model=Export,
    responses={
        **ERRORS,
        200: {"content": {"text/csv": {}}, "description": "JSON, or CSV with format=csv (the ids are in X-O2C-Ids)"},
    },
    summary="Export records not yet acknowledged",
)
def export(
    request: Request,
    feed: str = Query(..., pattern=f"^({'|'.join(FEEDS)})$", examples=["orders"]),
    limit: int = Query(100, ge=1, le=1000),
    format: str = Query("json", pattern="^(json|csv)$"),
    caller: str = Depends(require("erp")),
):
    """At-least-once delivery: the same records come back until POST /erp/ack acknowledges them."""
    with unit_of_work(request.app.state.ctx.session_factory) as session:
        page = export_feed(session, feed, limit=limit)
    if format == "csv":
        return PlainTextResponse(
            to_csv(page["items"]),
            media_type="text/csv",
            headers={"X-O2C-Ids": ",".join(map(str, page["ids"])), "X-O2C-Cursor": page["cursor"] or ""},
        )
    return page


@router.post("/erp/ack", response_model=AckResult, responses=ERRORS, summary="Acknowledge exported records")
def ack(body: AckRequest, request: Request, caller: str = Depends(require("erp"))) -> dict:
    """Each record is acknowledged once; a replayed acknowledgement changes nothing."""
    with unit_of_work(request.app.state.ctx.session_factory) as session:
        return acknowledge(session, body.feed, ids=body.ids, cursor=body.cursor, actor=caller)


@router.get("/master-data/changes", response_model=Page, responses=ERRORS, summary="Pull master-data changes")
def master_data_changes(
    request: Request,
    cursor: str | None = Query(None, max_length=512, description="next_cursor of the last page"),
    limit: int = Query(100, ge=1, le=1000),
    caller: str = Depends(require("erp")),
) -> dict:
    """Customers and products in the order they changed; a row changed again comes again."""
    with unit_of_work(request.app.state.ctx.session_factory) as session:
        return read_master_data_changes(session, cursor=cursor, limit=limit)
