"""The FastAPI application: a thin shell over the pipeline, review and ledger services."""

from __future__ import annotations

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, JSONResponse
from fastapi.staticfiles import StaticFiles
from sqlalchemy import text
from starlette.exceptions import HTTPException as StarletteHTTPException

from o2c.api.auth import hash_keys, role_of, route_roles
from o2c.api.limits import BodyLimitMiddleware
from o2c.api.routes import ar, deductions, documents, erp, exceptions, ledger, metrics, pages, webhooks
from o2c.api.workspace import routes as workspace
from o2c.api.workspace.session import CsrfRejected, SessionSigner, SignInRequired
from o2c.core.errors import O2CError
from o2c.core.settings import Settings, load_settings
from o2c.pipeline.documents import build_context

DESCRIPTION = """
o2c reads purchase orders and remittance advices, checks them against your master data, posts what it is sure
of and queues the rest for review.

**Authentication**: send `X-API-Key: <key>`. Keys are configured with `O2C_API_KEYS="key:role,..."`; roles are
`connector` (push documents), `reviewer` (exception queue), `erp` (pull results, push master data) and `admin`.
"""

# The X-API-Key routers, in the order they are included; their routes (and the roles each admits) are also the
# table the body-limit middleware checks a caller's role against before reading a body.
API_ROUTERS = [
    documents.router,
    exceptions.router,
    erp.router,
    ar.router,
    pages.router,
    metrics.router,
    webhooks.router,
    ledger.router,
    deductions.router,
]
ROLE_TABLE = [route for router in API_ROUTERS for route in router.routes]


def create_app(settings: Settings | None = None) -> FastAPI:
    """Build the app from settings (the environment when none are given)."""
    settings = settings or load_settings()
    settings.check_secrets()  # unsafe settings refuse to start
    app = FastAPI(
        title="o2c",
        version="0.1.0",
        description=DESCRIPTION,
        openapi_tags=[
            {"name": "documents", "description": "Push documents in (connectors)."},
            {"name": "exceptions", "description": "The review queue (reviewers)."},
            {"name": "erp", "description": "Pull results, push master data (ERP)."},
            {"name": "operations", "description": "Summary and Prometheus metrics."},
            {"name": "webhooks", "description": "The webhook outbox (admin)."},
        ],
    )
    app.state.ctx = build_context(settings)
    app.state.settings = settings
    app.state.api_keys = hash_keys(settings.api_key_roles())  # only digests are kept
    app.add_middleware(
        BodyLimitMiddleware,
        max_body=lambda: app.state.ctx.max_upload_bytes,
        role_of_key=lambda key: role_of(app.state.api_keys, key),
        roles_for=lambda scope: route_roles(ROLE_TABLE, scope),
    )
    app.state.workspace_signer = SessionSigner(settings.workspace_secret, settings.workspace_session_minutes * 60)

    @app.exception_handler(O2CError)
    def _o2c_error(_request: Request, exc: O2CError) -> JSONResponse:
        body = exc.to_json()
        if exc.status == 409:  # name the broken rule: each named error's docstring states it
            body["rule"] = (type(exc).__doc__ or "").strip().splitlines()[0]
        return JSONResponse(body, status_code=exc.status)

    @app.exception_handler(StarletteHTTPException)
    def _http_error(_request: Request, exc: StarletteHTTPException) -> JSONResponse:
        code = {
            401: "unauthorized",
            403: "forbidden",
            404: "not_found",
            405: "method_not_allowed",
            413: "document_too_large",
        }.get(exc.status_code, "http_error")
        return JSONResponse(
            {"error": code, "message": str(exc.detail)},
            status_code=exc.status_code,
            headers=getattr(exc, "headers", None),
        )

    @app.exception_handler(RequestValidationError)
    def _validation_error(_request: Request, exc: RequestValidationError) -> JSONResponse:
        fields = [{"field": ".".join(str(p) for p in e["loc"]), "message": e["msg"]} for e in exc.errors()]
        return JSONResponse(
            {"error": "invalid_request", "message": "the request is malformed", "detail": {"fields": fields}},
            status_code=422,
        )

    @app.exception_handler(SignInRequired)
    def _sign_in(request: Request, _exc: SignInRequired):
        return workspace.sign_in_redirect(request)

    @app.exception_handler(CsrfRejected)
    def _csrf(_request: Request, _exc: CsrfRejected) -> HTMLResponse:
        return HTMLResponse(
            "<h1>Form refused</h1><p>This form did not carry your session's token. Reload the page and try again.</p>",
            status_code=403,
        )

    @app.get("/health", tags=["documents"], summary="Liveness: the database answers")
    def health() -> dict:
        with app.state.ctx.session_factory() as session:
            session.execute(text("SELECT 1"))
        return {"status": "ok", "queue": "redis" if app.state.ctx.queue else "inline"}

    for router in API_ROUTERS:
        app.include_router(router)
    app.mount("/review/static", StaticFiles(directory=str(workspace.HERE / "static")), name="workspace-static")
    app.include_router(workspace.router)
    return app
