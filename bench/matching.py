"""Matching benchmark: cash application at scale, the combination search's worst case, the seeded-problem corpus.

    python bench/matching.py                      # 1x: 10,000 remittance lines vs 100,000 open invoices, + 2x, 4x
    python bench/matching.py --scales 1 --corpus  # one scale and the seeded-problem corpus (bench/matching_corpus.py)

Runs on one core against an SQLite file (--postgres [URL], or O2C_BENCH_DATABASE_URL, for PostgreSQL).
Everything is generated
from a fixed seed; each remittance line knows the invoice it truly pays, so wrong applications are counted."""

from __future__ import annotations

import argparse
import gc
import hashlib
import os
import random
import sys
import tempfile
import time
import weakref
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path

from sqlalchemy import event, insert, select, text
from sqlalchemy.orm import Session

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.matching_corpus import run_corpus  # noqa: E402
from o2c.core.db import Base, make_engine  # noqa: E402
from o2c.core.events import Event  # noqa: E402
from o2c.core.money import decimal_str, quantize  # noqa: E402
from o2c.extraction.schema import REMITTANCE_ADVICE, ExtractedRemittance, Extraction, RemittanceItem  # noqa: E402
from o2c.ledger import models as lm  # noqa: E402
from o2c.ledger.cash import post_payments  # noqa: E402
from o2c.ledger.check import check_ledger  # noqa: E402
from o2c.ledger.journal import AR, OPENING, NewEntry, credit, debit, post_new_entries  # noqa: E402
from o2c.ledger.masterdata import import_master_data  # noqa: E402
from o2c.ledger.policy import LedgerPolicy  # noqa: E402
from o2c.ledger.references import normalize_reference, ocr_key  # noqa: E402
from o2c.ledger.terms import allowed_discount, parse_terms  # noqa: E402
from o2c.matching.open_items import find_combinations  # noqa: E402
from o2c.matching.policy import MatchingPolicy  # noqa: E402
from o2c.matching.remittances import decide_remittance, decide_remittances  # noqa: E402

TODAY = date(2024, 6, 30)
TERMS = "2/10 Net 30"
CENT = Decimal("0.01")
TABLES = [
    m.__table__
    for m in (
        lm.Customer,
        lm.CustomerAlias,
        lm.Product,
        lm.ContractPrice,
        lm.CustomerPartNumber,
        lm.Order,
        lm.OrderLineRow,
        lm.NumberSequence,
        lm.Invoice,
        lm.Payment,
        lm.RemittanceLine,
        lm.CashApplication,
        lm.Deduction,
        lm.JournalEntry,
        lm.JournalLine,
        Event,
    )
]
MATCHING, LEDGER = MatchingPolicy(), LedgerPolicy()
BACKEND_PIDS: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()  # engine -> its PostgreSQL server pids


def fresh_database(label: str):
    """An empty database with the ledger tables (SQLite file in a temp dir, or O2C_BENCH_DATABASE_URL)."""
    url = os.environ.get("O2C_BENCH_DATABASE_URL")
    if url is None:
        url = f"sqlite:///{tempfile.mkdtemp(prefix=f'o2c-bench-{label}-')}/bench.sqlite3"
    engine = make_engine(url)
    if engine.dialect.name == "postgresql":
        pids = BACKEND_PIDS[engine] = []

        @event.listens_for(engine, "connect")
        def _backend_pid(dbapi_conn, _record):  # the server process behind each pooled connection
            with dbapi_conn.cursor() as cur:
                cur.execute("SELECT pg_backend_pid()")
                pids.append(cur.fetchone()[0])
            dbapi_conn.commit()

    Base.metadata.drop_all(engine, tables=TABLES)
    Base.metadata.create_all(engine, tables=TABLES)
    return engine


def database_cpu(engine) -> float | None:
    """CPU seconds (user + system) the PostgreSQL server processes behind this engine's connections have used,
    when the server runs on this machine (/proc readable); None for SQLite (in-process) or a remote server."""
    pids = BACKEND_PIDS.get(engine)
    if not pids:
        return None
    total = 0.0
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            return None
        total += (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")  # utime, stime
    return total


def customer_name(i: int) -> str:
    """A generated company name; legal forms vary so normalization is exercised."""
    forms = ("Inc.", "GmbH", "Ltd", "LLC", "Corporation", "S.A.")
    return f"{('Nordic', 'Atlas', 'Vertex', 'Summit', 'Harbor', 'Pioneer')[i % 6]} Supply {i:05d} {forms[i % 6]}"


def seed_customers(session: Session, count: int, *, credit_limit: str = "") -> None:
    """Customers through the master-data import (which also writes their CustomerAlias keys)."""
    rows = ["customer_id,name,aliases,email_domains,address,credit_limit,currency,payment_terms"]
    for i in range(count):
        rows.append(
            f'C{i:05d},{customer_name(i)},C{i:05d} AP,c{i:05d}.example,"{i} Main St",{credit_limit},USD,{TERMS}'
        )
    import_master_data(session, "customers", "\n".join(rows) + "\n")


def money(rng: random.Random, low: int = 100, high: int = 9_999) -> Decimal:
    """A random amount with cents."""
    return Decimal(rng.randint(low * 100, high * 100)) / 100


def seed_invoices(session: Session, rng: random.Random, customers: int, count: int) -> list[dict]:
    """Open invoices, bulk-inserted (lookup keys written explicitly: bulk inserts skip ORM validators)."""
    rows = []
    for i in range(count):
        number, po = f"INV-{i + 1:07d}", f"PO-{i + 1:07d}"
        amount = money(rng)
        rows.append(
            {
                "invoice_number": number,
                "reference_key": normalize_reference(number),
                "ocr_key": ocr_key(number),
                "customer_id": f"C{rng.randrange(customers):05d}",
                "invoice_date": TODAY - timedelta(days=rng.randint(1, 60)),
                "due_date": None,
                "amount": amount,
                "tax_amount": Decimal("0"),
                "open_amount": amount,
                "currency": "USD",
                "po_number": po,
                "po_key": normalize_reference(po),
                "payment_terms": TERMS,
                "origin": "imported",
                "version": 1,
            }
        )
    for start in range(0, len(rows), 20_000):
        session.execute(insert(lm.Invoice), rows[start : start + 20_000])
    total = sum((row["open_amount"] for row in rows), Decimal("0"))  # the AR the ERP handed over: one entry
    opening = [debit(AR, total, "USD"), credit(OPENING, total, "USD")]
    post_new_entries(session, [NewEntry("opening_balance", "bench:opening", TODAY, opening, memo="bench AR")])
    ids = dict(session.execute(select(lm.Invoice.invoice_number, lm.Invoice.id)).all())
    for row in rows:
        row["id"] = ids[row["invoice_number"]]
    return rows


@dataclass
class Payment:
    """A generated remittance and the truth: which invoices each line pays (amount-only: the whole set)."""

    extraction: Extraction
    truth: set[int]
    kind: str
    lines: int = 1
    deductions: int = 0
    notes: list[str] = field(default_factory=list)


def _garble(number: str, rng: random.Random) -> str:
    digits = number[4:]
    swaps = {"0": "O", "1": "I", "5": "S", "8": "B"}
    spots = [k for k, ch in enumerate(digits) if ch in swaps]
    if not spots:
        return "INV " + digits
    k = rng.choice(spots)
    return "INV-" + digits[:k] + swaps[digits[k]] + digits[k + 1 :]


def _variant(inv: dict, kind: str, rng: random.Random) -> RemittanceItem:
    number, amount = inv["invoice_number"], inv["open_amount"]
    if kind == "exact":
        return RemittanceItem(number, amount)
    if kind == "normalized":
        digits = number[4:]
        return RemittanceItem(
            rng.choice([f"Inv. No. {digits}", f"inv {int(digits)}", f"RI-{digits}", f"INV/{digits}"]), amount
        )
    if kind == "ocr":
        return RemittanceItem(_garble(number, rng), amount, invoice_amount=inv["amount"])
    if kind == "po":
        return RemittanceItem(None, amount, po_number=inv["po_number"])
    if kind == "discount":
        allowed = allowed_discount(
            parse_terms(TERMS), invoice_date=inv["invoice_date"], invoice_amount=inv["amount"], payment_date=TODAY
        )
        return RemittanceItem(number, amount - allowed, discount=allowed or None)
    if kind == "short":
        return RemittanceItem(number, amount - (amount * Decimal("0.05")).quantize(CENT))
    raise ValueError(kind)


KINDS = [("exact", 55), ("normalized", 15), ("ocr", 5), ("po", 5), ("discount", 7), ("short", 5), ("amount", 8)]


def generate_payments(rng: random.Random, invoices: list[dict], lines: int) -> list[Payment]:
    """Remittances of 1-4 lines of one payer (distinct invoices) until `lines` lines exist."""
    by_customer: dict[str, list[dict]] = {}
    for inv in invoices:
        by_customer.setdefault(inv["customer_id"], []).append(inv)
    for pool in by_customer.values():
        rng.shuffle(pool)
    payers = sorted(by_customer)
    kinds, weights = zip(*KINDS, strict=True)
    payments, made = [], 0
    while made < lines:
        payer = rng.choice(payers)
        pool = by_customer[payer]
        kind = rng.choices(kinds, weights)[0]
        if kind == "discount":
            pool_recent = [inv for inv in pool if (TODAY - inv["invoice_date"]).days <= 10]
            if not pool_recent:
                continue
            chosen = pool_recent[:1]
        else:
            chosen = pool[: min(len(pool), rng.randint(1, 4) if kind in ("exact", "normalized") else 1)]
        if not chosen:
            continue
        for inv in chosen:
            pool.remove(inv)
        name = customer_name(int(payer[1:])) if rng.random() < 0.8 else None
        if kind == "amount":
            items, amount = [], sum((inv["open_amount"] for inv in chosen), Decimal("0"))
        else:
            items = [_variant(inv, kind, rng) for inv in chosen]
            amount = sum((i.amount_paid for i in items), Decimal("0"))
        remittance = ExtractedRemittance(
            payer_name=name,
            payment_date=TODAY,
            payment_reference=f"PAY{made}",
            currency="USD",
            amount=amount,
            items=items,
            customer_id=None if name else payer,
        )
        extraction = Extraction(
            source=f"rem-{made}",
            document_type=REMITTANCE_ADVICE,
            remittance=remittance,
            confidence={"document_type": 0.99},
        )
        payments.append(Payment(extraction, {inv["id"] for inv in chosen}, kind, lines=len(chosen)))
        made += len(chosen)
    return payments


def apply_all(engine, payments: list[Payment], *, batch: int = 2_500, one_by_one: bool = False) -> dict:
    """Decide the payments a batch at a time (decide_remittances: set-based reads; or decide_remittance per
    payment with one_by_one), post each batch's postable ones with one post_payments call and commit (one
    transaction per batch, as a lockbox import would), and count matches and wrong applications."""
    stats = {
        "payments": len(payments),
        "posted": 0,
        "lines": 0,
        "lines_applied": 0,
        "wrong": 0,
        "deductions": 0,
        "match_s": 0.0,
        "post_s": 0.0,
        "reasons": {},
    }
    session = Session(engine, expire_on_commit=False)
    for start in range(0, len(payments), batch):
        chunk = payments[start : start + batch]
        t0 = time.perf_counter()
        extractions = [p.extraction for p in chunk]
        if one_by_one:
            decisions = [decide_remittance(session, e, matching=MATCHING, ledger=LEDGER) for e in extractions]
        else:
            decisions = decide_remittances(session, extractions, matching=MATCHING, ledger=LEDGER)
        stats["match_s"] += time.perf_counter() - t0
        pending = []
        for n, (payment, decision) in enumerate(zip(chunk, decisions, strict=True)):
            stats["lines"] += payment.lines
            if decision.postable:
                pending.append((decision.draft, start + n + 1, payment))
            else:
                for reason in decision.reasons:
                    stats["reasons"][reason] = stats["reasons"].get(reason, 0) + 1
        t0 = time.perf_counter()
        post_payments(session, [(draft, source) for draft, source, _ in pending], today=TODAY)
        session.commit()
        stats["post_s"] += time.perf_counter() - t0
        for draft, _source, payment in pending:
            applied = {a.invoice_id for a in draft.applications}
            stats["posted"] += 1
            stats["deductions"] += len(draft.deductions)
            stats["lines_applied"] += len(applied & payment.truth)
            stats["wrong"] += len(applied - payment.truth)
    session.close()
    return stats


def run_scale(scale: int, *, seed: int = 7, one_by_one: bool = False) -> dict:
    """One scale: 10,000 x scale remittance lines against 100,000 x scale open invoices."""
    rng = random.Random(seed + scale)
    engine = fresh_database(f"x{scale}")
    customers, invoices_n, lines = 5_000 * scale, 100_000 * scale, 10_000 * scale
    t0 = time.perf_counter()
    with Session(engine) as session:
        seed_customers(session, customers)
        invoices = seed_invoices(session, rng, customers, invoices_n)
        session.commit()
    if engine.dialect.name == "postgresql":  # a live AR table is vacuumed and has planner statistics; after a bulk
        # load autovacuum would do both while the batches are timed
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
            connection.execute(
                text("VACUUM ANALYZE customers, customer_aliases, invoices, journal_entries, journal_lines")
            )
    payments = generate_payments(rng, invoices, lines)
    setup = time.perf_counter() - t0
    gc.collect()
    gc.freeze()  # the generated truth (hundreds of thousands of objects) is the bench's heap, not the product's:
    # the collector need not rescan it on every full collection while the batches run
    t1, c1, d1 = time.perf_counter(), time.process_time(), database_cpu(engine)
    stats = apply_all(engine, payments, one_by_one=one_by_one)
    elapsed, cpu, d2 = time.perf_counter() - t1, time.process_time() - c1, database_cpu(engine)
    gc.unfreeze()
    with Session(engine) as session:  # `o2c ledger check` on the result, and what was written (not timed)
        stats["violations"] = sorted({v.rule for v in check_ledger(session)})
        stats["checksum"] = ledger_checksum(session)
    stats.update(
        scale=scale,
        invoices=invoices_n,
        customers=customers,
        setup_s=setup,
        total_s=elapsed,
        cpu_s=cpu,
        db_cpu_s=None if d1 is None or d2 is None else d2 - d1,
    )
    engine.dispose()
    return stats


_CHECKSUMMED = (
    (lm.Payment, ("id", "customer_id", "payment_reference", "business_key", "amount", "unapplied_amount")),
    (lm.RemittanceLine, ("payment_id", "line_no", "invoice_reference", "amount_paid", "discount")),
    (lm.CashApplication, ("payment_id", "invoice_id", "amount", "discount", "rule", "idempotency_key")),
    (lm.Deduction, ("payment_id", "invoice_id", "amount", "reason_code", "note", "status", "idempotency_key")),
    (lm.Invoice, ("id", "open_amount", "version")),
    (lm.JournalEntry, ("id", "kind", "idempotency_key", "entry_date", "memo")),
    (lm.JournalLine, ("entry_id", "account", "customer_id", "debit", "credit", "currency")),
    (Event, ("kind", "subject_type", "subject_id", "payload")),
)


def ledger_checksum(session: Session) -> str:
    """A digest of every row the cash run wrote (payments, lines, applications, deductions, open amounts, the
    journal, events), money as quantized strings: equal across backends and across changes that keep the
    decisions and postings identical."""
    digest = hashlib.sha256()
    for model, names in _CHECKSUMMED:
        table = model.__table__
        columns = [table.c[name] for name in names]
        rows = sorted(
            "|".join(decimal_str(quantize(v)) if isinstance(v, Decimal) else str(v) for v in row)
            for row in session.execute(select(*columns))
        )  # sorted here: PostgreSQL cannot order by a JSON column
        digest.update(f"{table.name}:{len(rows)}\n".encode())
        digest.update("\n".join(rows).encode())
    return digest.hexdigest()[:16]


def combination_worst_case(policy: LedgerPolicy = LEDGER) -> dict:
    """The amount-only search at its bound: max_combination_candidates items, max size, and no solution."""
    rng = random.Random(3)
    n = policy.max_combination_candidates
    items = [(i, Decimal(rng.randint(10_000, 99_999)) * 2 / 100) for i in range(n)]  # even cents only
    amount = (
        sum((a for _, a in sorted(items, key=lambda p: p[1])[-policy.max_invoices_per_payment :]), Decimal("0")) - CENT
    )  # odd cents: no subset can hit it, every branch is explored
    t0 = time.perf_counter()
    result = find_combinations(amount, items, max_size=policy.max_invoices_per_payment, max_candidates=n)
    elapsed = time.perf_counter() - t0
    same = [(i, Decimal("100.00")) for i in range(n)]  # all equal: many solutions, the search stops at 2
    t1 = time.perf_counter()
    ambiguous = find_combinations(Decimal("200.00"), same, max_size=policy.max_invoices_per_payment, max_candidates=n)
    return {
        "candidates": n,
        "max_size": policy.max_invoices_per_payment,
        "no_solution_s": elapsed,
        "solutions": len(result.solutions),
        "equal_amounts_s": time.perf_counter() - t1,
        "equal_amounts_solutions": len(ambiguous.solutions),
    }


def report_scale(stats: dict) -> None:
    """Print one scale's numbers."""
    pay_rate = stats["posted"] / stats["payments"]
    line_rate = stats["lines_applied"] / stats["lines"]
    print(
        f"  {stats['scale']}x: {stats['lines']:>6} lines / {stats['payments']:>5} payments vs "
        f"{stats['invoices']:>7} open invoices ({stats['customers']} customers)"
    )
    print(
        f"      auto-match: payments {pay_rate:6.1%}   invoice lines {line_rate:6.1%}   "
        f"wrong applications {stats['wrong']}   deductions opened {stats['deductions']}"
    )
    print(f"      ledger check: {', '.join(stats['violations']) or 'clean'}   checksum {stats['checksum']}")
    print(
        f"      time: match {stats['match_s']:.2f} s + post {stats['post_s']:.2f} s = {stats['total_s']:.2f} s "
        f"({stats['lines'] / stats['total_s']:,.0f} lines/s; this process's CPU {stats['cpu_s']:.2f} s"
        + (f", database server's CPU {stats['db_cpu_s']:.2f} s; " if stats.get("db_cpu_s") is not None else "; ")
        + f"setup {stats['setup_s']:.1f} s)   "
        f"review reasons {dict(sorted(stats['reasons'].items()))}"
    )


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark and print the report."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scales", default="1,2,4", help="comma-separated multiples of 10k lines / 100k invoices")
    parser.add_argument("--corpus", action="store_true", help="also run the seeded-problem corpus")
    parser.add_argument("--corpus-only", action="store_true")
    parser.add_argument(
        "--postgres",
        metavar="URL",
        nargs="?",
        const=os.environ.get("O2C_BENCH_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"),
        help="run on PostgreSQL (default URL: $O2C_BENCH_POSTGRES_URL); sets O2C_BENCH_DATABASE_URL",
    )
    parser.add_argument("--one-by-one", action="store_true", help="decide each payment alone (the old path)")
    args = parser.parse_args(argv)
    if args.postgres:
        os.environ["O2C_BENCH_DATABASE_URL"] = args.postgres
    backend = "PostgreSQL" if "postgres" in os.environ.get("O2C_BENCH_DATABASE_URL", "") else "SQLite"
    failed = False
    if not args.corpus_only:
        path = "one by one" if args.one_by_one else "batch"
        print(f"cash application (one core, decide + post, {backend}, {path}):")
        results = []
        for scale in (int(s) for s in args.scales.split(",")):
            results.append(run_scale(scale, one_by_one=args.one_by_one))
            report_scale(results[-1])
        if results:
            base = results[0]["total_s"] / results[0]["scale"]
            cpu = results[0]["cpu_s"] / results[0]["scale"]
            print(
                "  scaling (time per 1x): "
                + ", ".join(f"{r['scale']}x {r['total_s'] / r['scale'] / base:.2f}" for r in results)
                + "; CPU per 1x: "
                + ", ".join(f"{r['scale']}x {r['cpu_s'] / r['scale'] / cpu:.2f}" for r in results)
            )
            failed |= any(r["wrong"] or r["violations"] for r in results)
        worst = combination_worst_case()
        print(
            f"combination search worst case: {worst['candidates']} candidates, sets of <= {worst['max_size']}: "
            f"no solution {worst['no_solution_s'] * 1000:.1f} ms; all-equal amounts "
            f"{worst['equal_amounts_s'] * 1000:.2f} ms ({worst['equal_amounts_solutions']} solutions -> ambiguous)"
        )
    if args.corpus or args.corpus_only:
        failed |= not run_corpus()
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
