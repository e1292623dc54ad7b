"""Matching tests reuse the ledger's database fixtures (SQLite always, PostgreSQL with O2C_TEST_POSTGRES_URL).

tests/ is not a package (a tests/ledger package would shadow the real `ledger`), so the ledger conftest is
loaded by path; move these fixtures to tests/conftest.py if more packages need them."""

from __future__ import annotations

import importlib.util
from pathlib import Path

_spec = importlib.util.spec_from_file_location(
    "_ledger_db_fixtures", Path(__file__).parents[1] / "ledger" / "conftest.py"
)
_fixtures = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(_fixtures)

TODAY = _fixtures.TODAY
seed_master_data = _fixtures.seed_master_data
pg_engine = _fixtures.pg_engine
open_session = _fixtures.open_session
session = _fixtures.session
seeded = _fixtures.seeded
