"""The procedural layout generator stays readable: a few TUNED families, every non-OCR channel, read right."""

from __future__ import annotations

import random
from decimal import Decimal

import pytest

from bench.generalization import GROUNDING, MD, build_cases, report
from bench.layoutgen import (
    WORDS,
    _spec,
    families,
    fmt_number,
    fresh_families,
    make_doc,
    make_family,
    read_split,
)
from bench.layoutgen_render import render_pdf
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


def test_fresh_families_are_deterministic_distinct_and_new():
    a, b = fresh_families(6, seed=11), fresh_families(6, seed=11)
    assert a == b
    assert fresh_families(3, seed=11) == a[:3]  # a larger n only appends
    assert fresh_families(6, seed=12) != a
    assert len({f.id for f in a}) == 6 and all(f.id.startswith("fresh-") for f in a)
    listed = families()
    specs = {_spec(f) for f in listed}
    assert len({_spec(f) for f in a}) == 6 and not specs & {_spec(f) for f in a}
    for fam in a:
        assert fam.words.keys() == WORDS[fam.lang].keys()
        assert all(fam.words[role] in WORDS[fam.lang][role] for role in fam.words)
        required = {"sku", "desc", "qty", "price", "amount"} if fam.kind == "po" else {"inv", "net"}
        assert required <= set(fam.columns)
    assert make_family(3, "po") == listed[3]  # the listed families are drawn as before


def test_a_fresh_family_document_renders_and_is_scored(capsys):
    fam = fresh_families(1)[0]
    cases = [c for c in build_cases(3, 1, scans=False, fams=[fam]) if c.channel == "digital_pdf"]
    assert len(cases) == 1 and cases[0].content.startswith(b"%PDF")
    case = cases[0]
    outputs = {case.name: ([e.to_contract() for e in extract_document(case.content, filename=case.name)], None)}
    headline = report(cases, outputs, {**read_split(), "fresh": [fam.id]}, misses=0)
    printed = capsys.readouterr().out
    assert "NEVER-SEEN F1" in printed and "family CI" in printed and "TUNED F1" not in printed
    assert set(headline["fresh"]) == {"digital_pdf", "ALL"} and headline["fresh"]["ALL"] > 0.5
    assert "tuned" not in headline["observations"] and headline["observations"]["fresh"]
