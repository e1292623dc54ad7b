"""The CLI as a person runs it: real processes, JSON Lines checked by the shared contract checker."""

from __future__ import annotations

import gc
import json
import os
import re
import subprocess
import sys
from email.message import EmailMessage
from pathlib import Path

from o2c.cli import documents
from o2c.cli.demo import sample_documents
from o2c.core.collector import INGEST_BATCH
from tests.conftest import SHARED, shared_missing

CHECK = SHARED / "contract" / "check.py"


def o2c(*args: str, data_dir: Path, stdin: str | None = None, **env: str) -> subprocess.CompletedProcess:
    environment = {
        **os.environ,
        "O2C_DATA_DIR": str(data_dir),
        "O2C_BUSINESS_DATE": "2026-03-20",
        "OMP_THREAD_LIMIT": "1",
        "O2C_TRUSTED_ADVICE_CHANNELS": "cli",
        **env,
    }
    environment.pop("O2C_DATABASE_URL", None)
    environment.pop("O2C_REDIS_URL", None)
    return subprocess.run(
        [sys.executable, "-m", "o2c.cli.main", *args],
        capture_output=True,
        text=True,
        env=environment,
        input=stdin,
        timeout=600,
    )


def _check(mode: str, jsonl: str) -> subprocess.CompletedProcess:
    if not CHECK.exists():
        shared_missing(f"the contract checker {CHECK}")
    return subprocess.run([sys.executable, str(CHECK), mode], input=jsonl, capture_output=True, text=True)


def test_help_on_every_command(tmp_path):
    for command in (
        [],
        ["extract"],
        ["import"],
        ["ingest"],
        ["export"],
        ["serve"],
        ["worker"],
        ["demo"],
        ["db", "upgrade"],
    ):
        run = o2c(*command, "--help", data_dir=tmp_path)
        assert run.returncode == 0 and "Usage" in run.stdout, (command, run.stderr)


def test_extract_and_ingest_follow_the_contract(tmp_path, samples):
    digital = [p for p in sample_documents(samples) if p.name != "scan_po.pdf"]
    extracted = o2c("extract", *map(str, digital), data_dir=tmp_path)
    assert extracted.returncode == 0, extracted.stderr
    assert not (tmp_path / "o2c.sqlite3").exists(), "extract needs no database"
    check = _check("extract", extracted.stdout)
    assert check.returncode == 0, check.stdout
    lines = [json.loads(line) for line in extracted.stdout.splitlines()]
    assert {"purchase_order", "remittance_advice"} <= {line["document_type"] for line in lines}

    for kind in ("customers", "products", "prices", "invoices"):
        run = o2c("import", kind, str(samples / f"{kind}.csv"), data_dir=tmp_path)
        assert run.returncode == 0, run.stderr
    ingested = o2c("ingest", *map(str, digital), data_dir=tmp_path)
    assert ingested.returncode == 0, ingested.stderr
    summary = ingested.stderr.strip().splitlines()[-1]
    assert re.fullmatch(rf"ingested {len(digital)} files in [\d.]+ s: [\d.]+ documents/s \(.*posted \d+.*\)", summary)
    check = _check("ingest", ingested.stdout)
    assert check.returncode == 0, check.stdout
    statuses = {json.loads(line)["status"] for line in ingested.stdout.splitlines()}
    assert {"posted", "exception"} <= statuses

    exported = o2c("export", "invoices", "--format", "csv", data_dir=tmp_path)
    assert exported.returncode == 0 and exported.stdout.startswith("id,invoice_number")
    orders = o2c("export", "orders", data_dir=tmp_path)
    assert all(json.loads(line)["po_number"] for line in orders.stdout.splitlines())


def test_bad_inputs_give_a_message_and_non_zero_exit_but_the_batch_goes_on(tmp_path, samples):
    bad_pdf = tmp_path / "bad.pdf"
    bad_pdf.write_bytes(b"%PDF-1.4 this is not a pdf")
    good = samples / "po_acme_45810.pdf"
    run = o2c("extract", str(bad_pdf), str(good), data_dir=tmp_path)
    assert run.returncode == 1 and "bad.pdf" in run.stderr
    assert json.loads(run.stdout.splitlines()[-1])["source"] == "po_acme_45810.pdf"

    bad_csv = tmp_path / "customers.csv"
    bad_csv.write_text("customer_id,name\nC-9,Nobody\n")
    run = o2c("import", "customers", str(bad_csv), data_dir=tmp_path)
    assert run.returncode != 0 and "currency" in run.stderr

    run = o2c("ingest", str(bad_pdf), str(good), data_dir=tmp_path)
    outcomes = [json.loads(line) for line in run.stdout.splitlines()]
    assert run.returncode == 1 and [o["status"] for o in outcomes][0] == "rejected"
    assert len(outcomes) == 2, "the batch goes on past a bad file"


def test_demo_runs_on_the_embedded_default(tmp_path):
    run = o2c("demo", "--data-dir", str(tmp_path / "demo"), data_dir=tmp_path, COLUMNS="200")
    assert run.returncode == 0, run.stderr[-2000:]
    assert "Posted orders" in run.stdout and "Exception queue" in run.stdout
    assert "credit_hold" in run.stdout and "price_mismatch" in run.stdout
    assert "http://127.0.0.1:8000/review" in run.stdout and "reviewer key: demo-reviewer-" in run.stdout


def test_bank_statements_take_the_cash_road_through_ingest(tmp_path):
    """`o2c ingest` sends a bank statement to banking; its credits come out in the ingest contract's shape."""
    statement = SHARED / "external" / "bank_statements" / "mt940_wolph" / "cmxl_mt940.sta"
    if not statement.exists():
        shared_missing(str(statement))
    run = o2c("ingest", str(statement), data_dir=tmp_path)
    assert run.returncode == 0, run.stderr
    outcomes = [json.loads(line) for line in run.stdout.splitlines()]
    assert outcomes and all(o["document_type"] == "bank_credit" and o["bank_status"] for o in outcomes)
    assert _check("ingest", run.stdout).returncode == 0


def test_a_statement_mailed_as_an_attachment_takes_the_cash_road(tmp_path):
    """The mail's statement attachment is imported by banking; the mail itself is kept and reported."""
    statement = SHARED / "external" / "bank_statements" / "mt940_wolph" / "cmxl_mt940.sta"
    if not statement.exists():
        shared_missing(str(statement))
    message = EmailMessage()
    message["From"], message["To"], message["Subject"] = "bank@example.com", "ar@northwind.example", "Statement"
    message["Message-ID"] = "<stmt-1@example.com>"
    message.set_content("Your daily statement is attached.")
    message.add_attachment(
        statement.read_bytes(), maintype="application", subtype="octet-stream", filename="statement.sta"
    )
    mail = tmp_path / "statement.eml"
    mail.write_bytes(bytes(message))
    run = o2c("ingest", str(mail), data_dir=tmp_path)
    assert run.returncode == 0, run.stderr
    outcomes = [json.loads(line) for line in run.stdout.splitlines()]
    credits = [o for o in outcomes if o["document_type"] == "bank_credit"]
    assert credits and all(o["source"] == "statement.eml#statement.sta" for o in credits)
    assert _check("ingest", run.stdout).returncode == 0
    again = o2c("ingest", str(mail), data_dir=tmp_path)
    repeated = [o for o in map(json.loads, again.stdout.splitlines()) if o["document_type"] == "bank_credit"]
    assert len(repeated) == len(credits) and not any(o["new"] for o in repeated), "nothing is recorded twice"


def test_a_batch_collects_garbage_less_often_and_puts_the_collector_back():
    # the young generation collected every 700 allocations walked the long-lived heap again and again: about a
    # tenth of a batch's CPU time; the batch tunes the collector for its loop only
    before = gc.get_threshold()
    seen = []
    with documents.batch_collector():
        seen.append(gc.get_threshold())
        assert gc.get_freeze_count() > 0  # what existed before the batch is not walked again
    assert seen == [INGEST_BATCH] and gc.get_threshold() == before
    try:
        with documents.batch_collector():
            raise RuntimeError("a batch that fails")
    except RuntimeError:
        pass
    assert gc.get_threshold() == before
