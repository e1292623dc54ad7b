"""Connectors push documents here; anyone with a role may look one up."""

from __future__ import annotations

from email.message import Message
from email.parser import BytesHeaderParser
from email.utils import parseaddr
from typing import Any

from fastapi import APIRouter, Depends, File, Form, Path, Request, UploadFile, status
from fastapi.responses import JSONResponse
from sqlalchemy import select
from starlette.concurrency import run_in_threadpool

from o2c.api.auth import require
from o2c.api.schemas import MAX_ID, DocumentView, ErrorBody, IngestResponse, Responses
from o2c.core.db import unit_of_work
from o2c.core.errors import NotFound
from o2c.extraction.models import ExtractionRecord
from o2c.intake.errors import DocumentTooLarge
from o2c.intake.models import Document
from o2c.intake.service import mail_source_key
from o2c.pipeline.documents import document_outcomes, reprocess
from o2c.pipeline.door import accept

router = APIRouter(tags=["documents"])
ERRORS: Responses = {401: {"model": ErrorBody}, 403: {"model": ErrorBody}}
CHUNK = 1024 * 1024


def _read_limited(upload: UploadFile, limit: int) -> bytes:
    chunks, size = [], 0
    while chunk := upload.file.read(CHUNK):
        size += len(chunk)
        if size > limit:
            raise DocumentTooLarge(f"{upload.filename}: over the {limit}-byte upload limit")
        chunks.append(chunk)
    return b"".join(chunks)


def _accept(
    request: Request, *, content: bytes, filename: str, channel: str, source_key: str | None, sender: str | None
) -> JSONResponse:
    """The one door (gateway.accept) does the work; this only says it in HTTP."""
    result = accept(
        request.app.state.ctx, content=content, filename=filename, channel=channel, source_key=source_key, sender=sender
    )
    body: dict[str, Any] = {
        "document_id": result.document_id,
        "duplicate": result.duplicate,
        "outcomes": result.outcomes,
    }
    if result.reprocessable:  # seen before and rejected: say it can be read again
        body.update(duplicate=False, reprocessable=True, error="rejected_before", message=result.outcomes[0]["message"])
        return JSONResponse(body, status_code=status.HTTP_202_ACCEPTED if result.queued else 422)
    if result.queued:
        return JSONResponse(body, status_code=status.HTTP_202_ACCEPTED)
    if not result.supported:
        body.update(
            error="unsupported_media_type",
            message=f"{filename}: {result.media_type} is not a document type o2c reads; it was stored and rejected",
        )
        return JSONResponse(body, status_code=status.HTTP_415_UNSUPPORTED_MEDIA_TYPE)
    rejected = [o for o in result.outcomes if o["status"] == "rejected" and (o.get("error") or o.get("message"))]
    if result.outcomes and len(rejected) == len(result.outcomes):
        body.update(error="unreadable", message=rejected[0].get("error") or rejected[0].get("message"))
        return JSONResponse(body, status_code=422)
    return JSONResponse(body, status_code=status.HTTP_200_OK if result.duplicate else status.HTTP_201_CREATED)


@router.post(
    "/documents",
    response_model=IngestResponse,
    status_code=201,
    summary="Upload a document",
    responses={
        **ERRORS,
        202: {"model": IngestResponse, "description": "Queued for a worker"},
        200: {"model": IngestResponse, "description": "Duplicate of a stored document"},
        413: {"model": ErrorBody},
        415: {"description": "Stored and rejected: unsupported type"},
        422: {"description": "Stored and rejected: unreadable (corrupt, encrypted, empty...)"},
    },
)
def upload_document(
    request: Request,
    file: UploadFile = File(..., description="PDF, image, .eml or text"),
    source_key: str | None = Form(
        None, description="The connector's own id for this item; a retry with the same key is answered as before"
    ),
    caller: str = Depends(require("connector")),
) -> JSONResponse:
    """Store the file first, then process it (inline) or queue it (with Redis). Duplicates point at the original."""
    declared = request.headers.get("content-length")
    limit = request.app.state.ctx.max_upload_bytes
    if declared and declared.isdigit() and int(declared) > limit + 64 * 1024:
        raise DocumentTooLarge(f"upload of {declared} bytes is over the {limit}-byte limit")
    content = _read_limited(file, limit)
    return _accept(
        request,
        content=content,
        filename=file.filename or "upload",
        channel="upload",
        source_key=source_key,
        sender=None,
    )


@router.post(
    "/documents/email",
    response_model=IngestResponse,
    status_code=201,
    summary="Push a raw email",
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {"message/rfc822": {"schema": {"type": "string", "format": "binary"}}},
        }
    },
    responses={**ERRORS, 202: {"model": IngestResponse}, 413: {"model": ErrorBody}},
)
async def push_email(request: Request, caller: str = Depends(require("connector"))) -> JSONResponse:
    """Post the raw RFC 822 message as the body. Each attachment or body document becomes its own outcome."""
    limit = request.app.state.ctx.max_upload_bytes
    content = b""
    async for chunk in request.stream():
        content += chunk
        if len(content) > limit:
            raise DocumentTooLarge(f"email over the {limit}-byte limit")
    headers: Message | dict[str, str] = BytesHeaderParser().parsebytes(content) if content else {}
    message_id = (headers.get("Message-ID") or "").strip() or None
    sender = parseaddr(headers.get("From") or "")[1] or None
    subject = (headers.get("Subject") or "email").strip()[:80] or "email"
    filename = "".join(c if c.isalnum() or c in "-_ ." else "_" for c in subject) + ".eml"
    return await run_in_threadpool(
        _accept,
        request,
        content=content,
        filename=filename,
        channel="email",
        source_key=mail_source_key(message_id, content),
        sender=sender,
    )


@router.post(
    "/documents/{document_id}/reprocess",
    response_model=IngestResponse,
    summary="Read a document again",
    responses={**ERRORS, 404: {"model": ErrorBody}, 409: {"model": ErrorBody}},
)
def reprocess_document(
    request: Request, document_id: int = Path(..., ge=1, le=MAX_ID), caller: str = Depends(require("admin"))
) -> dict:
    """Run a rejected document (or one a fault left unfinished) through the pipeline again, like `o2c reprocess`."""
    outcomes = reprocess(request.app.state.ctx, document_id, actor=caller)
    return {"document_id": document_id, "duplicate": False, "outcomes": outcomes}


@router.get(
    "/documents/{document_id}",
    response_model=DocumentView,
    summary="A document, its extraction and outcome",
    responses={**ERRORS, 404: {"model": ErrorBody}},
)
def get_document(
    request: Request,
    document_id: int = Path(..., ge=1, le=MAX_ID),
    caller: str = Depends(require("connector", "reviewer", "erp")),
) -> dict:
    """Status, every arrival, what was read (with confidence and provenance) and what became of it."""
    ctx = request.app.state.ctx
    with unit_of_work(ctx.session_factory) as session:
        document = session.get(Document, document_id)
        if document is None:
            raise NotFound(f"document {document_id} does not exist")
        records = session.scalars(
            select(ExtractionRecord)
            .where(ExtractionRecord.document_id == document_id)
            .order_by(ExtractionRecord.part_index)
        )
        view = {
            "id": document.id,
            "filename": document.filename,
            "media_type": document.media_type,
            "sha256": document.sha256,
            "channel": document.channel,
            "status": document.status.value,
            "error": document.error,
            "received_at": document.received_at.isoformat(),
            "receipts": [
                {
                    "channel": r.channel,
                    "source_key": r.source_key,
                    "filename": r.filename,
                    "duplicate": r.is_duplicate,
                    "received_at": r.received_at.isoformat(),
                }
                for r in document.receipts
            ],
            "extractions": [{"id": r.id, "status": r.status.value, **r.payload} for r in records],
        }
    view["outcomes"] = document_outcomes(ctx, document_id)
    return view
