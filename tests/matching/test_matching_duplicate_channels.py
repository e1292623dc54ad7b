"""The same purchase order arriving twice with different bytes (another channel): a duplicate, not a posting."""

from __future__ import annotations

from o2c.core.db import unit_of_work
from o2c.ledger.masterdata import import_master_data
from o2c.pipeline.door import ingest


def test_same_po_and_total_again_is_a_duplicate_pointing_at_the_original(tmp_path, make_context, samples):
    ctx = make_context(f"sqlite:///{tmp_path / 'dup.sqlite3'}")
    with unit_of_work(ctx.session_factory) as session:
        for kind in ("customers", "products", "prices", "invoices"):
            import_master_data(session, kind, (samples / f"{kind}.csv").read_bytes())
    content = (samples / "po_acme_45810.pdf").read_bytes()
    (first,) = ingest(ctx, content=content, filename="po.pdf", channel="cli")
    assert first["status"] == "posted", first
    (again,) = ingest(ctx, content=content + b"\n% forwarded again\n", filename="fwd.pdf", channel="upload")
    assert again["status"] == "duplicate", again  # other bytes, same customer + PO number + total
    assert (again["order_id"], again["invoice_number"]) == (first["order_id"], first["invoice_number"])
    assert again["duplicate_of"] == first["document_id"] != again["document_id"]
