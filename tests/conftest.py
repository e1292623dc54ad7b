"""Shared test fixtures: backends (SQLite, a fresh PostgreSQL database), Redis, the sample set.

Server-backed tests skip with a clear message when the server is absent — unless O2C_REQUIRE_SERVICES=1
(CI sets it), in which case a missing server fails the run instead of silently skipping."""

from __future__ import annotations

import os
import uuid
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

os.environ.setdefault("OMP_THREAD_LIMIT", "1")

ROOT = Path(__file__).resolve().parents[1]
SAMPLES = ROOT / "tests" / "fixtures" / "samples"
SHARED = ROOT.parent / "shared"
POSTGRES_URL = os.environ.get("O2C_TEST_POSTGRES_URL")
REDIS_URL = os.environ.get("O2C_TEST_REDIS_URL")
REQUIRE_SERVICES = os.environ.get("O2C_REQUIRE_SERVICES") == "1"


def _unavailable(what: str, why: str):
    message = f"{what} not available ({why}); set it up or unset O2C_REQUIRE_SERVICES"
    if REQUIRE_SERVICES:
        pytest.fail(message, pytrace=False)
    pytest.skip(message)


def shared_missing(what: str):
    """Skip a test that needs ../shared (a fresh clone has none), saying why; under O2C_REQUIRE_SERVICES=1 fail."""
    message = f"{what} is not present: ../shared is not beside this checkout"
    if REQUIRE_SERVICES:
        pytest.fail(message + " (O2C_REQUIRE_SERVICES=1 needs it)", pytrace=False)
    pytest.skip(message)


def pytest_runtest_makereport(item, call):
    """Under CI (O2C_REQUIRE_SERVICES=1) a test skipped because ../shared is absent fails instead."""
    if not (
        REQUIRE_SERVICES
        and call.excinfo is not None
        and call.excinfo.errisinstance(pytest.skip.Exception)
        and "../shared" in str(call.excinfo.value)
    ):
        return None
    reason = f"{call.excinfo.value} (O2C_REQUIRE_SERVICES=1 needs ../shared)"
    failing = pytest.CallInfo.from_call(lambda: pytest.fail(reason, pytrace=False), when=call.when)
    return pytest.TestReport.from_item_and_call(item, failing)


@pytest.fixture(scope="session")
def postgres_server_url() -> str:
    """The URL of a reachable PostgreSQL server (from O2C_TEST_POSTGRES_URL)."""
    if not POSTGRES_URL:
        _unavailable("PostgreSQL", "O2C_TEST_POSTGRES_URL is not set")
    try:
        engine = create_engine(POSTGRES_URL)
        with engine.connect() as conn:
            conn.execute(text("SELECT 1"))
        engine.dispose()
    except Exception as exc:  # noqa: BLE001 - any failure to connect means "absent"
        _unavailable("PostgreSQL", f"cannot connect: {exc.__class__.__name__}")
    return POSTGRES_URL


@pytest.fixture
def fresh_postgres_url(postgres_server_url):
    """A brand-new, empty PostgreSQL database for one test, dropped afterwards."""
    name = f"o2c_t_{uuid.uuid4().hex[:12]}"
    admin = create_engine(postgres_server_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    url = make_url(postgres_server_url).set(database=name).render_as_string(hide_password=False)
    yield url
    with admin.connect() as conn:
        conn.execute(text(f"SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '{name}'"))
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}"'))
    admin.dispose()


@pytest.fixture
def redis_url() -> str:
    """The URL of a reachable Redis (from O2C_TEST_REDIS_URL), flushed of o2c's queue keys."""
    if not REDIS_URL:
        _unavailable("Redis", "O2C_TEST_REDIS_URL is not set")
    from redis import Redis

    try:
        Redis.from_url(REDIS_URL).ping()
    except Exception as exc:  # noqa: BLE001
        _unavailable("Redis", f"cannot connect: {exc.__class__.__name__}")
    return REDIS_URL


@pytest.fixture(params=["sqlite", "postgres"])
def database_url(request, tmp_path) -> str:
    """Each backend in turn: an embedded SQLite file, then a fresh PostgreSQL database."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'o2c.sqlite3'}"
    return request.getfixturevalue("fresh_postgres_url")


@pytest.fixture
def samples() -> Path:
    """The committed sample set (regenerate with tests/fixtures/generate.py)."""
    if not SAMPLES.is_dir():
        pytest.fail("tests/fixtures/samples is missing: run python tests/fixtures/generate.py")
    return SAMPLES


@pytest.fixture
def make_context(tmp_path):
    """Build a pipeline context on a database URL (migrated), with blobs in tmp and a fixed business date."""
    from datetime import date

    from o2c.core.settings import Settings
    from o2c.pipeline.documents import build_context

    def build(database_url: str, **overrides):
        # the sample set's connectors are allow-listed (its customers trust advices; docs/cash-model.md)
        overrides.setdefault("trusted_advice_channels", "cli,upload")
        settings = Settings(
            data_dir=tmp_path / "data",
            database_url=database_url,
            storage_dir=tmp_path / "blobs",
            business_date=date(2026, 3, 20),
            **overrides,
        )
        return build_context(settings, migrate=True)

    return build


@pytest.fixture(scope="session")
def demo_database(tmp_path_factory) -> Path:
    """The embedded SQLite file `o2c demo` fills (master data, the samples ingested: orders, invoices, payments,
    applications, exceptions, the journal), built once per run; tests only read it."""
    from o2c.cli.demo import run_demo

    data_dir = tmp_path_factory.mktemp("demo")
    run_demo(data_dir=data_dir, samples=SAMPLES)
    return data_dir / "o2c.sqlite3"
