"""`o2c reprocess` (read a document again) and `o2c doctor` (is everything o2c needs here?)."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import typer
from redis import Redis
from sqlalchemy import create_engine, text

from o2c.cli.output import emit, err
from o2c.core.errors import EngineMissing, O2CError
from o2c.core.settings import Settings, load_settings
from o2c.extraction.ocr import engine_status
from o2c.pipeline.documents import build_context, reprocess

MIN_FREE_BYTES = 1024 * 1024 * 1024  # below 1 GiB free the blob store is about to fill


def reprocess_command(document_ids: list[int] = typer.Argument(..., help="Document ids.")) -> None:
    """Run rejected documents (or ones a fault left unfinished) through the pipeline again."""
    ctx = build_context(load_settings())
    failed = 0
    for document_id in document_ids:
        try:
            for outcome in reprocess(ctx, document_id, actor="cli"):
                emit(outcome)
        except O2CError as exc:
            failed += 1
            err.print(f"[red]document {document_id}: {exc.message}")
    raise typer.Exit(1 if failed else 0)


def check_engines(settings: Settings) -> dict:
    """Tesseract and its configured languages."""
    try:
        status = engine_status(settings.ocr_languages)
    except EngineMissing as exc:
        return {"check": "ocr", "ok": False, "problem": exc.message, "fix": "apt-get install tesseract-ocr"}
    if status["missing"]:
        packs = " ".join(f"tesseract-ocr-{lang}" for lang in status["missing"])
        return {
            "check": "ocr",
            "ok": False,
            "version": status["version"],
            "problem": f"languages missing: {', '.join(status['missing'])}",
            "fix": f"apt-get install {packs}",
        }
    return {"check": "ocr", "ok": True, "version": status["version"], "languages": settings.ocr_languages}


def check_database(settings: Settings) -> dict:
    """The database answers (and has the schema)."""
    url = settings.effective_database_url
    if settings.is_embedded and not Path(url.removeprefix("sqlite:///")).exists():
        return {"check": "database", "ok": True, "note": "embedded SQLite, created on first use"}
    engine = create_engine(url, connect_args={"connect_timeout": 5} if url.startswith("postgresql") else {})
    try:
        with engine.connect() as conn:
            conn.execute(text("SELECT 1"))
            revision = conn.execute(text("SELECT version_num FROM alembic_version")).scalar()
        return {"check": "database", "ok": True, "revision": revision}
    except Exception as exc:  # noqa: BLE001 - any failure is the answer
        return {
            "check": "database",
            "ok": False,
            "problem": f"{type(exc).__name__}: {str(exc).splitlines()[0]}",
            "fix": "start the database, check O2C_DATABASE_URL, run `o2c db upgrade`",
        }
    finally:
        engine.dispose()


def check_redis(settings: Settings) -> dict:
    """Redis answers when a queue is configured."""
    if not settings.redis_url:
        return {"check": "redis", "ok": True, "note": "O2C_REDIS_URL unset: documents are processed inline"}
    try:
        Redis.from_url(settings.redis_url, socket_connect_timeout=5, socket_timeout=5).ping()
        return {"check": "redis", "ok": True}
    except Exception as exc:  # noqa: BLE001
        return {
            "check": "redis",
            "ok": False,
            "problem": f"{type(exc).__name__}: {exc}",
            "fix": "start Redis or check O2C_REDIS_URL",
        }


def check_disk(settings: Settings) -> dict:
    """The blob store's folder is writable and has room."""
    folder = settings.effective_storage_dir
    probe = folder if folder.exists() else next((p for p in folder.parents if p.exists()), Path("."))
    free = shutil.disk_usage(probe).free
    writable = os.access(probe, os.W_OK)
    ok = writable and free >= MIN_FREE_BYTES
    result = {"check": "disk", "ok": ok, "path": str(folder), "free_bytes": free}
    if not ok:
        result.update(
            problem="not writable" if not writable else f"only {free // 2**20} MiB free",
            fix="free space or point O2C_STORAGE_DIR elsewhere",
        )
    return result


def doctor() -> None:
    """Check the OCR engine and languages, the database, Redis and the disk; say what is missing."""
    settings = load_settings()
    results = [check(settings) for check in (check_engines, check_database, check_redis, check_disk)]
    for result in results:
        emit(result)
        if not result["ok"]:
            err.print(f"[red]{result['check']}: {result['problem']} — {result['fix']}")
    raise typer.Exit(0 if all(r["ok"] for r in results) else 1)
