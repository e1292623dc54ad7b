"""Fuzz: malformed PDFs, images, mails, XML, CSV, XLSX and EDI, each read in its own process under a memory
limit — 0 crashes, 0 unhandled errors, a clear error for each refusal. The larger run:
`python -m tests.hardening.fuzzing --cases 400` (figures in docs/reliability.md)."""

from __future__ import annotations

import random

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.hardening.fuzzing import Case, FuzzServer, bases, corpus, crafted, summarize

IN_SUITE_CASES = 40


@pytest.fixture(scope="module")
def server():
    running = FuzzServer()
    yield running
    running.close()


def test_the_generated_corpus_gives_a_clear_answer_for_every_case(server):
    verdicts = [server.read(case) for case in corpus(seed=12, count=IN_SUITE_CASES)]
    summary = summarize(verdicts)
    assert summary["cases"] == IN_SUITE_CASES
    assert summary["findings"] == [], summary["findings"]
    by_name = {v["name"]: v for v in verdicts}
    assert by_name["poster.pdf"]["code"] == "unreadable" and "14400 x 14400" in by_name["poster.pdf"]["message"]
    assert by_name["bomb.png"]["result"] == "error" and by_name["bomb.xlsx"]["result"] == "error"
    assert {c.name for c in crafted()} <= set(by_name)


def test_a_process_that_blows_the_memory_limit_is_reported_as_a_crash():
    small = FuzzServer(memory_limit=0)  # the limit is real: no memory beyond what is mapped kills the reader
    # a reading that must map fresh memory (an 8 MB text is decoded into a new string: one large mmap), so the
    # verdict never depends on how much the allocator happened to keep free from the warm-up
    big = b"Purchase Order PO-1\nQty 1 Widget 1.00\n" * 220_000
    try:
        verdict = small.read(Case("po.txt", big))
    finally:
        small.close()
    assert verdict["result"] in ("crash", "unhandled"), verdict


PIECES = [case for case in bases() if not case.name.endswith((".png", ".jpg", ".tif"))]  # no OCR: keep it fast


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(base=st.sampled_from(PIECES), seed=st.integers(0, 2**32 - 1), damage=st.binary(max_size=64))
def test_hypothesis_damaged_inputs_never_crash(server_for_hypothesis, base, seed, damage):
    rng = random.Random(seed)
    content = bytearray(base.content)
    at = rng.randrange(len(content) + 1)
    content[at : at + len(damage)] = damage
    verdict = server_for_hypothesis.read(Case(base.name, bytes(content[: rng.randrange(1, len(content) + 1)])))
    assert verdict["result"] in ("read", "error"), verdict


@pytest.fixture(scope="module")
def server_for_hypothesis(server):
    return server
