"""A real uvicorn process on a free port, and schemathesis against its /openapi.json: no 5xx anywhere."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest
from hypothesis import HealthCheck, Phase, given, settings

from tests.api.conftest import KEYS

ROOT = Path(__file__).resolve().parents[2]


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture(scope="module")
def live_server(tmp_path_factory):
    data = tmp_path_factory.mktemp("live")
    port = _free_port()
    env = {
        **os.environ,
        "O2C_DATA_DIR": str(data),
        "O2C_BUSINESS_DATE": "2026-03-20",
        "O2C_API_KEYS": ",".join(f"{k}:{r}" for r, k in KEYS.items() if k),
    }
    env.pop("O2C_DATABASE_URL", None)
    env.pop("O2C_REDIS_URL", None)
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "uvicorn",
            "o2c.api.app:create_app",
            "--factory",
            "--port",
            str(port),
            "--host",
            "127.0.0.1",
            "--log-level",
            "warning",
        ],
        cwd=ROOT,
        env=env,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(150):
            try:
                if httpx.get(f"{base}/health", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                time.sleep(0.1)
        else:
            pytest.fail("uvicorn did not start")
        yield base
    finally:
        process.terminate()
        process.wait(timeout=10)


def test_real_server_answers_roles_and_reviewer_queue(live_server):
    assert httpx.get(f"{live_server}/exceptions").status_code == 401
    assert httpx.get(f"{live_server}/orders", headers={"X-API-Key": KEYS["reviewer"]}).status_code == 403
    r = httpx.get(f"{live_server}/exceptions", params={"sort": "age"}, headers={"X-API-Key": KEYS["reviewer"]})
    assert r.status_code == 200 and r.json()["items"] == []
    assert httpx.get(f"{live_server}/metrics", headers={"X-API-Key": KEYS["erp"]}).status_code == 200


def test_schemathesis_finds_no_server_errors(live_server):
    """A few generated requests per operation (as admin, so they reach the handlers), bounded to ~50 s."""
    schemathesis = pytest.importorskip("schemathesis")

    @schemathesis.serializer("message/rfc822")
    def _raw_email(_ctx, value):  # the email route takes raw bytes
        return value if isinstance(value, bytes) else str(value).encode()

    schema = schemathesis.openapi.from_url(f"{live_server}/openapi.json")
    deadline = time.monotonic() + 50
    failures: list[str] = []
    calls: list[str] = []
    for result in schema.get_all_operations():
        if time.monotonic() > deadline:
            break
        operation = result.ok()

        @given(case=operation.as_strategy())
        @settings(
            max_examples=3,
            deadline=None,
            phases=[Phase.generate],
            suppress_health_check=list(HealthCheck),
            database=None,
        )
        def call(case):
            response = case.call(headers={"X-API-Key": KEYS["admin"]}, timeout=10)
            calls.append(f"{case.method} {case.path}")
            if response.status_code >= 500:
                failures.append(f"{case.method} {case.formatted_path}: {response.status_code} {response.text[:200]}")

        call()
    assert not failures, failures
    assert len(set(calls)) >= 20, f"too few operations exercised: {sorted(set(calls))}"


def test_schemathesis_with_every_role_finds_no_server_errors(live_server, capsys):
    """Every operation, with each role's valid key and with none (401/403 paths too): 0 5xx, bounded to ~60 s."""
    schemathesis = pytest.importorskip("schemathesis")

    @schemathesis.serializer("message/rfc822")
    def _raw_email(_ctx, value):
        return value if isinstance(value, bytes) else str(value).encode()

    schema = schemathesis.openapi.from_url(f"{live_server}/openapi.json")
    deadline = time.monotonic() + 60
    failures: list[str] = []
    tried: dict[str, int] = {}
    roles = [role for role, key in KEYS.items() if key] + ["stranger"]
    for result in schema.get_all_operations():
        if time.monotonic() > deadline:
            break
        operation = result.ok()

        @given(case=operation.as_strategy())
        @settings(
            max_examples=2,
            deadline=None,
            phases=[Phase.generate],
            suppress_health_check=list(HealthCheck),
            database=None,
        )
        def call(case):
            for role in roles:
                headers = {"X-API-Key": KEYS[role]} if KEYS.get(role) else {}
                response = case.call(headers=headers, timeout=15)
                tried[role] = tried.get(role, 0) + 1
                if response.status_code >= 500:
                    failures.append(
                        f"{role} {case.method} {case.formatted_path}: {response.status_code} {response.text[:200]}"
                    )

        call()
    with capsys.disabled():
        print(f"\nschemathesis per role: {sum(tried.values())} calls {tried}, {len(failures)} 5xx")
    assert not failures, failures
    assert set(tried) == set(roles) and sum(tried.values()) >= 5 * 20
