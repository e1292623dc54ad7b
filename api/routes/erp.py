"""The ERP's side: pull posted results with a cursor, push master data."""

from __future__ import annotations

from fastapi import APIRouter, Depends, File, Path, Query, Request, UploadFile

from api.auth import require
from api.schemas import ErrorBody, ImportResult, Page
from core.db import unit_of_work
from feeds import read_feed
from ledger.masterdata import import_master_data

router = APIRouter(tags=["erp"])
ERRORS = {401: {"model": ErrorBody}, 403: {"model": ErrorBody}, 422: {"model": ErrorBody}}


def _feed(name: str):
    def pull(request: Request, cursor: str | None = Query(None, description="next_cursor from the previous page"),
             limit: int = Query(100, ge=1, le=1000), caller: str = Depends(require("erp"))) -> dict:
        with unit_of_work(request.app.state.ctx.session_factory) as session:
            return read_feed(session, name, cursor=cursor, limit=limit)

    pull.__doc__ = f"Posted {name} in a stable order; follow next_cursor until items is empty."
    return pull


for _name in ("orders", "invoices", "payments", "applications"):
    router.add_api_route(f"/{_name}", _feed(_name), methods=["GET"], response_model=Page, responses=ERRORS,
                         summary=f"Pull {_name}", name=f"pull_{_name}")


@router.post("/master-data/{kind}", response_model=ImportResult, responses=ERRORS,
             summary="Upsert master data from a CSV (all rows or none)")
def upsert_master_data(request: Request,
                       kind: str = Path(..., pattern="^(customers|products|prices|invoices)$",
                                        description="customers | products | prices | invoices (open AR)"),
                       file: UploadFile = File(..., description="CSV with the contract's columns"),
                       caller: str = Depends(require("erp"))) -> dict:
    """Validate every row; a bad file is refused whole with the row errors (422), nothing applied."""
    content = file.file.read(request.app.state.ctx.max_upload_bytes + 1)
    with unit_of_work(request.app.state.ctx.session_factory) as session:
        report = import_master_data(session, kind, content)
    return {"kind": kind, "report": str(report)}
