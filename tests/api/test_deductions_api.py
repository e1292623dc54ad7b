"""Deductions through the JSON API and the CLI: list, settle with a reason code, refused twice, audited."""

from __future__ import annotations

from decimal import Decimal

from typer.testing import CliRunner

from o2c.cli.main import app
from tests.api.conftest import headers
from tests.api.day_documents import short_pay_remittance

REV = headers("reviewer")


def _short_pay(client) -> dict:
    r = client.post(
        "/documents",
        files={"file": ("short.pdf", short_pay_remittance(), "application/pdf")},
        headers=headers("connector"),
    )
    assert r.status_code == 201 and r.json()["outcomes"][0]["status"] == "posted", r.text
    (deduction,) = client.get("/deductions", headers=headers("erp")).json()["items"]
    return deduction


def test_settle_a_short_pay_by_rebilling_it(loaded_client):
    deduction = _short_pay(loaded_client)
    assert (deduction["invoice_number"], Decimal(deduction["amount"]), deduction["reason_code"]) == (
        "INV-10005",
        Decimal("310.80"),
        "short_payment",
    )
    url = f"/deductions/{deduction['id']}/resolve"
    assert (
        loaded_client.post(url, json={"outcome": "forgive", "reason_code": "pricing"}, headers=REV).status_code == 422
    )
    assert (
        loaded_client.post(
            url, json={"outcome": "rebill", "reason_code": "pricing"}, headers=headers("erp")
        ).status_code
        == 403
    )
    r = loaded_client.post(
        url, json={"outcome": "rebill", "reason_code": "shortage", "note": "2 cases missing"}, headers=REV
    )
    assert r.status_code == 200, r.text
    assert (r.json()["status"], r.json()["rebill_invoice_number"]) == ("rebilled", "RB-000001")
    again = loaded_client.post(url, json={"outcome": "write_off", "reason_code": "pricing"}, headers=REV)
    assert again.status_code == 409 and again.json()["error"] == "deduction_already_settled" and again.json()["rule"]
    invoices = {
        i["invoice_number"]: i
        for i in loaded_client.get("/invoices", params={"limit": 500}, headers=headers("erp")).json()["items"]
    }
    assert Decimal(invoices["INV-10005"]["open_amount"]) == 0
    assert Decimal(invoices["RB-000001"]["open_amount"]) == Decimal("310.80")
    assert loaded_client.get("/deductions", headers=REV).json()["items"] == []
    (event,) = loaded_client.get(f"/deductions/{deduction['id']}/audit", headers=REV).json()["events"]
    assert event["kind"] == "deduction.settled" and event["actor"].startswith("reviewer:")
    assert event["payload"]["note"] == "2 cases missing" and event["payload"]["outcome"] == "rebill"


def _o2c(*args: str, data_dir):
    """The CLI in this process (fast); its settings come from the environment it is given."""
    env = {
        "O2C_DATA_DIR": str(data_dir),
        "O2C_BUSINESS_DATE": "2026-03-20",
        "O2C_DATABASE_URL": None,
        "O2C_REDIS_URL": None,
        "O2C_TRUSTED_ADVICE_CHANNELS": "cli",
    }  # the CLI is an allow-listed connector
    return CliRunner().invoke(app, list(args), env=env)


def test_cli_lists_and_settles_deductions(tmp_path, samples):
    for kind in ("customers", "products", "prices", "invoices"):
        assert _o2c("import", kind, str(samples / f"{kind}.csv"), data_dir=tmp_path).exit_code == 0
    (tmp_path / "short.pdf").write_bytes(short_pay_remittance())
    assert _o2c("ingest", str(tmp_path / "short.pdf"), data_dir=tmp_path).exit_code == 0
    listed = _o2c("deductions", "list", data_dir=tmp_path)
    assert listed.exit_code == 0 and '"INV-10005"' in listed.stdout and len(listed.stdout.splitlines()) == 1
    settled = _o2c(
        "deductions",
        "resolve",
        "1",
        "--outcome",
        "credit_memo",
        "--reason-code",
        "pricing",
        "--note",
        "price agreed",
        "--actor",
        "ana",
        data_dir=tmp_path,
    )
    assert settled.exit_code == 0 and '"status": "credit_memo"' in settled.stdout.replace('":"', '": "'), settled
    refused = _o2c(
        "deductions", "resolve", "1", "--outcome", "write_off", "--reason-code", "pricing", data_dir=tmp_path
    )
    assert refused.exit_code == 1 and "deduction_already_settled" in refused.output
    assert _o2c("deductions", "list", data_dir=tmp_path).stdout.strip() == ""
