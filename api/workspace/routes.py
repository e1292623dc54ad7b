"""The workspace's pages and forms. Each route is a thin shell: read the form, call the service the JSON API
calls (review, resolutions), render or redirect. Every route needs a signed-in reviewer or admin."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal, InvalidOperation
from pathlib import Path
from urllib.parse import quote, urlencode

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.templating import Jinja2Templates

from o2c.api.routes.pages import render_document_page
from o2c.api.workspace import views
from o2c.api.workspace.session import COOKIE, Reviewer, check_csrf
from o2c.core.db import unit_of_work
from o2c.core.errors import O2CError
from o2c.ledger import deductions as deduction_ledger
from o2c.pipeline.resolutions import resolve_exception, settle_deduction
from o2c.review import service as review

HERE = Path(__file__).resolve().parent
templates = Jinja2Templates(directory=str(HERE / "templates"))
router = APIRouter(prefix="/review", include_in_schema=False)
SORTS = ("priority", "amount", "age", "due")
# which workspace actions post money (or may post an order): they ask for a confirmation first
POSTS_MONEY = {
    "apply_cash",
    "on_account",
    "return",
    "approve_price",
    "choose_product",
    "choose_customer",
    "choose_invoice",
}
# route (method, path) -> the roles it admits; the role test checks every route is here
ROLES = {
    ("GET", "/review/sign-in"): "public",
    ("POST", "/review/sign-in"): "public",
    ("POST", "/review/sign-out"): "reviewer",
    ("GET", "/review"): "reviewer",
    ("GET", "/review/deductions"): "reviewer",
    ("POST", "/review/deductions/{deduction_id}/resolve"): "reviewer",
    ("GET", "/review/{exception_id}"): "reviewer",
    ("GET", "/review/{exception_id}/pages/{number}.png"): "reviewer",
    ("POST", "/review/{exception_id}/claim"): "reviewer",
    ("POST", "/review/{exception_id}/release"): "reviewer",
    ("POST", "/review/{exception_id}/resolve"): "reviewer",
}


def signed_in(request: Request) -> Reviewer:
    """The signed-in reviewer (or admin); raises SignInRequired, which the app turns into the sign-in page."""
    return request.app.state.workspace_signer.reviewer(request)


def _render(request: Request, name: str, context: dict, status: int = 200) -> HTMLResponse:
    response = templates.TemplateResponse(request, name, context, status_code=status)
    response.headers["Cache-Control"] = "no-store"
    return response


def _cookie_secure(request: Request) -> bool:
    return request.url.scheme == "https"


@router.get("/sign-in", response_class=HTMLResponse)
def sign_in_form(request: Request, next: str = "/review") -> HTMLResponse:
    """The sign-in form: one field, the API key."""
    signer = request.app.state.workspace_signer
    return _render(request, "sign_in.html", {"csrf": signer.sign_in_token(), "next": _safe_next(next), "error": None})


@router.post("/sign-in", response_class=HTMLResponse)
async def sign_in(request: Request) -> Response:
    """Check the key: a reviewer or admin key opens a session; anything else sees the form again with why."""
    form = await request.form()
    signer = request.app.state.workspace_signer
    next_url = _safe_next(str(form.get("next") or "/review"))
    if not signer.check_sign_in_token(str(form.get("csrf") or "")):
        return _render(
            request,
            "sign_in.html",
            {"csrf": signer.sign_in_token(), "next": next_url, "error": "The form expired. Please sign in again."},
            403,
        )
    reviewer, cookie = signer.open_session(str(form.get("api_key") or "").strip(), request.app.state.api_keys)
    if reviewer is None:
        return _render(
            request, "sign_in.html", {"csrf": signer.sign_in_token(), "next": next_url, "error": cookie}, 401
        )
    response = RedirectResponse(next_url, status_code=303)
    response.set_cookie(
        COOKIE,
        cookie,
        max_age=signer.max_age,
        httponly=True,
        samesite="strict",
        secure=_cookie_secure(request),
        path="/review",
    )
    return response


@router.post("/sign-out")
async def sign_out(request: Request, reviewer: Reviewer = Depends(signed_in)) -> Response:
    """End the session (the cookie is deleted)."""
    check_csrf(reviewer, (await request.form()).get("csrf"))
    response = RedirectResponse("/review/sign-in", status_code=303)
    response.delete_cookie(COOKIE, path="/review", httponly=True, samesite="strict")
    return response


@router.get("", response_class=HTMLResponse)
def queue(
    request: Request,
    reason: str = "",
    customer_id: str = "",
    min_amount: str = "",
    older_than: str = "",
    sort: str = "priority",
    page: int = 1,
    reviewer: Reviewer = Depends(signed_in),
) -> HTMLResponse:
    """The open queue, filtered and sorted, 50 a page."""
    sort = sort if sort in SORTS else "priority"
    errors, minimum, older = [], None, None
    if min_amount.strip():
        try:
            minimum = Decimal(min_amount.strip())
        except InvalidOperation:
            errors.append(f"Minimum amount '{min_amount}' is not a number.")
    if older_than.strip():
        if older_than.strip().isdigit():
            older = timedelta(minutes=int(older_than.strip()))
        else:
            errors.append(f"'Older than' must be whole minutes, not '{older_than}'.")
    page = max(1, min(page, 100_000))
    with unit_of_work(request.app.state.ctx.session_factory) as session:
        result = views.queue_page(
            session,
            reason=reason.strip() or None,
            customer_id=customer_id.strip() or None,
            min_amount=minimum,
            older_than=older,
            sort=sort,
            page=page,
        )
    filters = {
        "reason": reason,
        "customer_id": customer_id,
        "min_amount": min_amount,
        "older_than": older_than,
        "sort": sort,
    }
    return _render(
        request,
        "queue.html",
        {
            "reviewer": reviewer,
            "filters": filters,
            "errors": errors,
            **result,
            "sorts": SORTS,
            "reasons": sorted(views.REASON_TEXT),
            "page_url": lambda p: "/review?" + urlencode({**filters, "page": p}),
        },
    )


@router.get("/deductions", response_class=HTMLResponse)
def deductions(request: Request, notice: str = "", reviewer: Reviewer = Depends(signed_in)) -> HTMLResponse:
    """Open and disputed deductions, each with a settle form."""
    with unit_of_work(request.app.state.ctx.session_factory) as session:
        rows = deduction_ledger.list_deductions(session, status="open", limit=500)
        settled = deduction_ledger.list_deductions(session, status=None, limit=500)
    return _render(
        request,
        "deductions.html",
        {
            "reviewer": reviewer,
            "rows": rows,
            "settled": [d for d in settled if d["status"] not in ("open", "disputed")],
            "outcomes": deduction_ledger.OUTCOMES,
            "reason_codes": sorted(deduction_ledger.REASON_CODES),
            "notice": notice,
            "error": None,
        },
    )


@router.post("/deductions/{deduction_id}/resolve", response_class=HTMLResponse)
async def settle(request: Request, deduction_id: int, reviewer: Reviewer = Depends(signed_in)) -> Response:
    """Settle one deduction through resolutions.settle_deduction; a broken rule is shown by name."""
    form = await request.form()
    check_csrf(reviewer, form.get("csrf"))
    try:
        result = settle_deduction(
            request.app.state.ctx,
            deduction_id,
            outcome=str(form.get("outcome") or ""),
            reason_code=str(form.get("reason_code") or ""),
            note=str(form.get("note") or "") or None,
            reviewer=reviewer.name,
        )
    except O2CError as exc:
        with unit_of_work(request.app.state.ctx.session_factory) as session:
            rows = deduction_ledger.list_deductions(session, status="open", limit=500)
        return _render(
            request,
            "deductions.html",
            {
                "reviewer": reviewer,
                "rows": rows,
                "settled": [],
                "outcomes": deduction_ledger.OUTCOMES,
                "reason_codes": sorted(deduction_ledger.REASON_CODES),
                "notice": "",
                "error": _rule(exc),
            },
            exc.status,
        )
    notice = f"Deduction {deduction_id} on {result['invoice_number']}: {result['status'].replace('_', ' ')}"
    if result.get("rebill_invoice_number"):
        notice += f" as {result['rebill_invoice_number']}"
    return RedirectResponse("/review/deductions?" + urlencode({"notice": notice}), status_code=303)


@router.get("/{exception_id:int}", response_class=HTMLResponse)
def exception(
    request: Request, exception_id: int, done: str = "", reviewer: Reviewer = Depends(signed_in)
) -> HTMLResponse:
    """The exception page: the document beside its fields, the evidence, the choices, the audit trail."""
    return _exception_page(request, exception_id, reviewer, notice=done)


@router.get("/{exception_id:int}/pages/{number:int}.png")
def page(
    request: Request, exception_id: int, number: int, highlight: str = "", reviewer: Reviewer = Depends(signed_in)
) -> Response:
    """A page of the exception's document with every field's box drawn and the chosen fields highlighted."""
    with unit_of_work(request.app.state.ctx.session_factory) as session:
        item = review.get_exception(session, exception_id)
        document_id = item.document_id
        flagged = {e.get("field") for e in item.evidence or [] if e.get("field")}
    wanted = frozenset(filter(None, highlight.split(","))) or frozenset(flagged)
    png, drawn = render_document_page(request.app.state.ctx, document_id, number, highlight=wanted)
    return Response(
        png, media_type="image/png", headers={"X-O2C-Fields": str(drawn), "Cache-Control": "private, max-age=60"}
    )


@router.post("/{exception_id:int}/claim")
async def claim(request: Request, exception_id: int, reviewer: Reviewer = Depends(signed_in)) -> Response:
    """Claim for 30 minutes (someone else's live claim is shown as the error it is)."""
    return await _queue_action(request, exception_id, reviewer, review.claim_exception)


@router.post("/{exception_id:int}/release")
async def release(request: Request, exception_id: int, reviewer: Reviewer = Depends(signed_in)) -> Response:
    """Give the claim back."""
    return await _queue_action(request, exception_id, reviewer, review.release_exception)


@router.post("/{exception_id:int}/resolve", response_class=HTMLResponse)
async def resolve(request: Request, exception_id: int, reviewer: Reviewer = Depends(signed_in)) -> Response:
    """Turn the form into a Resolution and hand it to resolutions.resolve_exception, like the JSON API."""
    form = {k: str(v) for k, v in (await request.form()).items()}
    check_csrf(reviewer, form.get("csrf"))
    action = form.get("action", "")
    try:
        resolution = _resolution(request, exception_id, action, form)
        outcome = resolve_exception(request.app.state.ctx, exception_id, resolution, reviewer=reviewer.name)
    except O2CError as exc:
        return _exception_page(request, exception_id, reviewer, error=_rule(exc), status=exc.status)
    status = outcome.get("status") or "resolved"
    return RedirectResponse(f"/review/{exception_id}?" + urlencode({"done": f"{action}: {status}"}), status_code=303)


def _resolution(request: Request, exception_id: int, action: str, form: dict[str, str]) -> review.Resolution:
    note = form.get("note", "").strip() or None
    customer_id = form.get("customer_id", "").strip() or None
    if action == "correct":
        with unit_of_work(request.app.state.ctx.session_factory) as session:
            item = review.get_exception(session, exception_id)
            record = session.get(views.ExtractionRecord, item.extraction_id) if item.extraction_id else None
            changes = views.changes_from_form(record, form) if record is not None else {}
        return review.Resolution(action=action, changes=changes, note=note)
    if action == "apply_cash":
        return review.Resolution(
            action=action, applications=views.applications_from_form(form), customer_id=customer_id, note=note
        )
    line = form.get("line", "")
    item_index = form.get("item", "")
    return review.Resolution(
        action=action,
        customer_id=customer_id,
        sku=form.get("sku", "").strip() or None,
        line=int(line) if line.isdigit() else None,
        item=int(item_index) if item_index.isdigit() else None,
        invoice_number=form.get("invoice_number", "").strip() or None,
        note=note,
    )


async def _queue_action(request: Request, exception_id: int, reviewer: Reviewer, service) -> Response:
    form = await request.form()
    check_csrf(reviewer, form.get("csrf"))
    try:
        with unit_of_work(request.app.state.ctx.session_factory) as session:
            service(session, exception_id, reviewer=reviewer.name)
    except O2CError as exc:
        return _exception_page(request, exception_id, reviewer, error=_rule(exc), status=exc.status)
    return RedirectResponse(f"/review/{exception_id}", status_code=303)


def _exception_page(
    request: Request,
    exception_id: int,
    reviewer: Reviewer,
    *,
    notice: str = "",
    error: dict | None = None,
    status: int = 200,
) -> HTMLResponse:
    ctx = request.app.state.ctx
    with unit_of_work(ctx.session_factory) as session:
        page_data = views.exception_page(ctx, session, exception_id)
        claimed_by_me = page_data["item"]["claimed_by"] == reviewer.name
        next_id = _neighbour(session, exception_id)
    return _render(
        request,
        "exception.html",
        {
            **page_data,
            "reviewer": reviewer,
            "notice": notice,
            "error": error,
            "claimed_by_me": claimed_by_me,
            "posts_money": POSTS_MONEY,
            "next_id": next_id,
        },
        status,
    )


def _neighbour(session, exception_id: int) -> int | None:
    """The next open exception in priority order after this one (for 'next in queue')."""
    items = review.list_exceptions(session, status="open", sort="priority", limit=200)
    ids = [i.id for i in items if i.id != exception_id]
    return ids[0] if ids else None


def _rule(exc: O2CError) -> dict:
    """A refused action as the page shows it: the rule in words, its code, and what was refused."""
    rule = (type(exc).__doc__ or "").strip().splitlines()[0] if type(exc).__doc__ else exc.code
    return {"code": exc.code, "rule": rule, "message": exc.message}


def _safe_next(target: str) -> str:
    """Only our own workspace pages as a redirect target (no open redirect)."""
    return target if target.startswith("/review") and "//" not in target else "/review"


def sign_in_redirect(request: Request) -> Response:
    """Where an unauthenticated request goes: GET to the sign-in form (coming back after), anything else 401."""
    if request.method == "GET":
        target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        return RedirectResponse(f"/review/sign-in?next={quote(target)}", status_code=303)
    return HTMLResponse(
        "<h1>Signed out</h1><p>Your session has ended. <a href='/review/sign-in'>Sign in</a>.</p>", status_code=401
    )
