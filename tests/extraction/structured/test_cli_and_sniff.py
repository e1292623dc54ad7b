"""End to end: `o2c extract` over every shared purchase order follows the contract; EDI and XML are sniffed."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from email.message import EmailMessage

import pytest

from o2c.extraction.service import extract_document
from o2c.intake.sniff import EDIFACT, X12, is_supported, sniff_media_type
from tests.conftest import ROOT, SHARED, shared_missing
from tests.extraction.structured.generators import edifact, orders_body, remadv_body, x12, x12_820_body

PURCHASE_ORDERS = SHARED / "external" / "purchase_orders"
CHECK = SHARED / "contract" / "check.py"
EXPECTED_VALUES = {".json"}  # the folder's expected-value files are not documents


def _extract(*paths, tmp_path) -> subprocess.CompletedProcess:
    env = {**os.environ, "O2C_DATA_DIR": str(tmp_path), "OMP_THREAD_LIMIT": "1"}
    env.pop("O2C_DATABASE_URL", None)
    env.pop("O2C_REDIS_URL", None)
    return subprocess.run(
        [sys.executable, "-m", "o2c.cli.main", "extract", *map(str, paths)],
        capture_output=True,
        text=True,
        env=env,
        cwd=ROOT,
        timeout=600,
    )


@pytest.mark.skipif(not PURCHASE_ORDERS.is_dir() or not CHECK.exists(), reason="../shared is not present")
def test_extract_every_shared_purchase_order_follows_the_contract(tmp_path):
    files = sorted(p for p in PURCHASE_ORDERS.rglob("*") if p.is_file())
    run = _extract(*files, tmp_path=tmp_path)
    check = subprocess.run([sys.executable, str(CHECK), "extract"], input=run.stdout, capture_output=True, text=True)
    assert check.returncode == 0, check.stdout
    lines = [json.loads(line) for line in run.stdout.splitlines()]
    documents = [p for p in files if p.suffix.lower() not in EXPECTED_VALUES]
    sources = {line["source"] for line in lines}
    assert all(any(s.endswith(p.name) for s in sources) for p in documents), (sources, run.stderr)
    structured = [line for line in lines if line["channel"] == "structured"]
    assert len(structured) == len([p for p in documents if p.suffix in (".edi", ".xml") or "order_x" in p.parts])
    assert {line["document_type"] for line in structured} == {"purchase_order", "other"}  # the 855 is other


def test_generated_files_through_the_cli(tmp_path):
    (tmp_path / "pay.x12").write_bytes(x12([x12_820_body()]))
    (tmp_path / "orders.txt").write_bytes(edifact([orders_body(), remadv_body()]))
    run = _extract(tmp_path / "pay.x12", tmp_path / "orders.txt", tmp_path=tmp_path)
    assert run.returncode == 0, run.stderr
    types = [json.loads(line)["document_type"] for line in run.stdout.splitlines()]
    assert types == ["remittance_advice", "purchase_order", "remittance_advice"]
    if CHECK.exists():
        check = subprocess.run(
            [sys.executable, str(CHECK), "extract"], input=run.stdout, capture_output=True, text=True
        )
        assert check.returncode == 0, check.stdout


def test_sniffing():
    assert sniff_media_type(x12([x12_820_body()]), "payment.dat") == X12
    assert sniff_media_type(b"\xef\xbb\xbf" + edifact([remadv_body()], una=False), "") == EDIFACT
    assert sniff_media_type(edifact([remadv_body()]), "remadv.pdf") == EDIFACT
    assert sniff_media_type(b'\xef\xbb\xbf\n<?xml version="1.0"?><Order/>', "") == "application/xml"
    assert sniff_media_type(b"ISAAC NEWTON wrote this letter", "letter.txt") == "text/plain"
    assert all(is_supported(t) for t in (X12, EDIFACT, "application/xml"))


def test_an_edi_file_attached_to_an_email_is_read_as_structured():
    """A mailed EDI order is read by the X12 reader, named after its part, with the mail's sender."""
    source = SHARED / "external" / "purchase_orders" / "x12_850" / "nodex12_850.edi"
    if not source.exists():
        shared_missing(str(source))
    content = source.read_bytes()
    message = EmailMessage()
    message["From"], message["To"], message["Subject"] = "edi@acme-mfg.example", "orders@northwind.example", "PO"
    message.set_content("Attached our order.")
    message.add_attachment(content, maintype="application", subtype="edi-x12", filename="order.edi")
    (extraction,) = extract_document(bytes(message), filename="mail.eml")
    assert extraction.source == "mail.eml#order.edi" and extraction.document_type == "purchase_order"
    assert extraction.channel == "structured" and extraction.sender == "edi@acme-mfg.example"
    assert extraction.order.po_number and extraction.confidence["order.po_number"] == 1.0
