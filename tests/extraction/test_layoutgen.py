"""The procedural layout generator stays readable: a few TUNED families, every non-OCR channel, read right."""

from __future__ import annotations

import random
from decimal import Decimal

import pytest

from bench.generalization import GROUNDING, MD, build_cases
from bench.layoutgen import fmt_number, make_doc, make_family, read_split, render_pdf
from bench.scoring import Tally, same, score_document
from o2c.extraction.service import extract_document

TUNED = read_split()["tuned"]


def test_codes_are_compared_as_strings_and_amounts_as_decimals():
    assert not same("045810", "45810", "order.lines.sku")
    assert same("1200", "1200.00", "order.lines.amount")
    assert fmt_number(Decimal("1234.5"), "eu") == "1.234,50"


def test_families_are_deterministic():
    a, b = make_family(3, "po"), make_family(3, "po")
    assert a == b
    assert render_pdf(make_doc(a, MD, random.Random(1))) == render_pdf(make_doc(b, MD, random.Random(1)))


@pytest.mark.parametrize("family", [f for f in TUNED if f in ("po-02", "po-05", "remit-01", "remit-07")])
def test_tuned_family_reads_in_every_channel_without_ocr(family):
    cases = build_cases(3, 1, scans=False, only=family)
    assert {c.channel for c in cases} >= {"digital_pdf", "emailed_pdf", "html_body", "text_body"}
    tally = Tally()
    for case in cases:
        results = [e.to_contract() for e in extract_document(case.content, filename=case.name, grounding=GROUNDING)]
        got = next((r for r in results if r["source"] == case.source), None)
        score_document(tally, case.truth, got, misses=None, name=case.name)
    assert tally.type_accuracy() == 1.0
    assert tally.prf()[2] >= 0.95
