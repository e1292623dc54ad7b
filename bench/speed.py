"""Speed benchmark: every figure beside its floor or peer, measured in the same run, as a ratio.

    python -m bench.speed                         # everything except the 2x/4x cash scales (~3-4 min)
    python -m bench.speed --only cli,digital      # some sections: cli digital ingest ocr memory cash workers
    python -m bench.speed --cash-scales 1,2,4     # cash application at 1x, 2x and 4x (linearity)

Floors and ours are measured interleaved (floor, ours, floor, ours, ...) and reported as medians, because the
machine is shared: a burst of load then hits both sides. The timings are CPU time (this process's and its
children's: Tesseract, the CLI runs), which load does not inflate; `--clock wall` measures wall time instead.
Every row prints the ratio and its target; the header prints the core count. Nothing here is run by the test
suite.
"""

from __future__ import annotations

import sys
from pathlib import Path

_ROOT = Path(__file__).resolve().parents[1]
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != _ROOT / "bench"]
sys.path.insert(0, str(_ROOT))

import argparse  # noqa: E402
import importlib.util  # noqa: E402
import io  # noqa: E402
import os  # noqa: E402
import random  # noqa: E402
import resource  # noqa: E402
import shutil  # noqa: E402
import statistics  # noqa: E402
import subprocess  # noqa: E402
import tempfile  # noqa: E402
import time  # noqa: E402
from dataclasses import dataclass  # noqa: E402
from datetime import date, timedelta  # noqa: E402
from decimal import Decimal  # noqa: E402

import pdfplumber  # noqa: E402
import pypdfium2  # noqa: E402
import pytesseract  # noqa: E402
from sqlalchemy import create_engine, make_url, text  # noqa: E402

from bench import matching as bm  # noqa: E402
from bench.corpus import build_corpus, degrade, render_pages  # noqa: E402
from o2c.extraction.service import extract_document  # noqa: E402

os.environ.setdefault("OMP_THREAD_LIMIT", "1")

SECTIONS = ("cli", "digital", "ingest", "ocr", "memory", "cash", "workers")
_BIN = Path(sys.executable).parent
_SAMPLES = _ROOT / "tests" / "fixtures" / "samples"


@dataclass
class Row:
    """One line of the report: our figure, its floor or peer, and the target for ours / floor."""

    what: str
    ours: float
    floor_what: str
    floor: float | None
    unit: str
    target: str
    ok: bool | None = None

    @property
    def ratio(self) -> float | None:
        return self.ours / self.floor if self.floor else None


def cpu_seconds() -> float:
    """CPU time of this process and of its finished children (Tesseract, a CLI run): what a run costs the
    machine, which a shared machine's load does not inflate the way it inflates wall time."""
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    return time.process_time() + children.ru_utime + children.ru_stime


CLOCK = {"cpu": cpu_seconds, "wall": time.perf_counter}
_clock = cpu_seconds  # --clock


def _interleaved(floor_fn, ours_fn, repeat: int) -> tuple[float, float]:
    """Medians of floor and ours, timed alternately (CPU time unless --clock wall)."""
    floors, ours = [], []
    for _ in range(repeat):
        t0 = _clock()
        floor_fn()
        floors.append(_clock() - t0)
        t0 = _clock()
        ours_fn()
        ours.append(_clock() - t0)
    return statistics.median(floors), statistics.median(ours)


def _run(argv: list[str], env: dict[str, str] | None = None, **kw) -> subprocess.CompletedProcess:
    out = subprocess.run(argv, capture_output=True, text=True, env=env, **kw)
    if out.returncode not in (0, 1):
        raise RuntimeError(f"{argv[:4]} failed ({out.returncode}): {out.stderr[-600:]}")
    return out


def _env(data_dir: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("O2C_")}
    env.update(O2C_DATA_DIR=str(data_dir), OMP_THREAD_LIMIT="1", O2C_BUSINESS_DATE="2026-03-31")
    return env


def bytecode_status() -> tuple[int, int]:
    """(modules with current bytecode, modules) of the installed o2c package. An editable install leaves its
    tree uncompiled (pip compiles only what it copies into site-packages) and PYTHONDONTWRITEBYTECODE keeps
    Python from caching what it compiles, so every CLI start would compile o2c's own modules again:
    scripts/install runs compileall, the Dockerfile's wheel install compiles. Current = the .pyc exists and its
    header names the source's mtime and size, as Python's own timestamp check requires."""
    import o2c

    root = Path(o2c.__file__).resolve().parent
    skip = {".venv", "tests", "bench", "docs", "scripts", "build", "__pycache__"}
    current = total = 0
    for source in root.rglob("*.py"):
        if skip & set(source.relative_to(root).parts[:-1]):
            continue
        total += 1
        stat = source.stat()
        try:
            header = Path(importlib.util.cache_from_source(str(source))).read_bytes()[:16]
        except OSError:
            continue
        flags = int.from_bytes(header[4:8], "little")
        mtime, size = int.from_bytes(header[8:12], "little"), int.from_bytes(header[12:16], "little")
        if header[:4] == importlib.util.MAGIC_NUMBER and (
            flags or (mtime == int(stat.st_mtime) & 0xFFFFFFFF and size == stat.st_size & 0xFFFFFFFF)
        ):
            current += 1
    return current, total


# --- CLI start --------------------------------------------------------------------------------------------


def bench_cli(repeat: int) -> list[Row]:
    """`o2c --help` and commands that read no document, against `python -c pass`."""
    data_dir = Path(tempfile.mkdtemp(prefix="o2c-speed-cli-"))
    env = _env(data_dir)
    o2c = str(_BIN / "o2c")
    _run([o2c, "db", "upgrade"], env=env)
    bare = [sys.executable, "-c", "pass"]
    rows = []
    for label, argv in (
        ("o2c --help", [o2c, "--help"]),
        ("o2c ar --help", [o2c, "ar", "--help"]),
        ("o2c export orders (empty db)", [o2c, "export", "orders"]),
        ("o2c summary (empty db)", [o2c, "summary"]),
    ):
        floor, ours = _interleaved(lambda: _run(bare, env=env), lambda argv=argv: _run(argv, env=env), repeat)
        row = Row(label, ours * 1000, "python -c pass", floor * 1000, "ms", "<= 8x")
        row.ok = row.ratio <= 8
        rows.append(row)
    shutil.rmtree(data_dir, ignore_errors=True)
    return rows


# --- digital pages ----------------------------------------------------------------------------------------


def _digital_cases(per_layout: int):

    return [c for c in build_corpus(1, per_layout, scans=False) if c.channel == "digital"]


def pdfium_floor(content: bytes) -> int:
    """What pypdfium2 itself costs: open, every page's text and every character's box."""

    pdf = pypdfium2.PdfDocument(content)
    n = 0
    try:
        for index in range(len(pdf)):
            page = pdf[index]
            textpage = page.get_textpage()
            count = textpage.count_chars()
            textpage.get_text_range(0, count)
            for i in range(count):
                textpage.get_charbox(i)
            n += count
            textpage.close()
            page.close()
    finally:
        pdf.close()
    return n


def bench_digital(repeat: int, cases) -> list[Row]:
    """A 1-page digital PO (and a multi-page one) through extract_document, against the pypdfium2 floor."""

    rows = []
    one = next(c for c in cases if c.pages == 1)
    multi = next((c for c in cases if c.pages > 1), None)
    for case in (one, multi):
        if case is None:
            continue
        extract_document(case.content, filename=case.name)  # warm caches (spaCy, regexes) once

        def plumber(content=case.content):
            with pdfplumber.open(io.BytesIO(content)) as pdf:
                for page in pdf.pages:
                    page.extract_words()

        floor, ours = _interleaved(
            lambda c=case: pdfium_floor(c.content), lambda c=case: extract_document(c.content, filename=c.name), repeat
        )
        _, peer = _interleaved(lambda: None, plumber, max(3, repeat // 2))
        per = case.pages
        row = Row(
            f"digital PO page ({per}-page file) via extract_document",
            ours * 1000 / per,
            "pypdfium2 text + every char box",
            floor * 1000 / per,
            "ms/page",
            "<= 3x",
        )
        row.ok = row.ratio <= 3
        rows.append(row)
        rows.append(
            Row(
                f"  (peer) pdfplumber extract_words, {per}-page file",
                peer * 1000 / per,
                "pypdfium2 floor",
                floor * 1000 / per,
                "ms/page",
                "info",
            )
        )
    return rows


# --- batch ingest -----------------------------------------------------------------------------------------


def bench_ingest(cases, count: int) -> list[Row]:
    """`o2c ingest DIR` of `count` digital documents in one process: documents/s per core (CPU time)."""

    work = Path(tempfile.mkdtemp(prefix="o2c-speed-ingest-"))
    folder = work / "docs"
    folder.mkdir()
    # distinct documents (a repeated PO would stop early as a business duplicate): a corpus big enough
    per_layout = max(2, -(-count // max(1, len({c.layout for c in cases}))))
    unique = [c for c in build_corpus(2, per_layout, scans=False) if c.channel == "digital"]
    chosen = (unique * (count // max(1, len(unique)) + 1))[:count]
    written = []
    for n, case in enumerate(chosen):
        path = folder / f"{n:04d}-{case.name}"
        # the same bytes twice would be a duplicate: make each copy unique without touching its text
        path.write_bytes(case.content + f"\n%o2c-bench {n}\n".encode())
        written.append(path)
    env = _env(work / "data")
    o2c = str(_BIN / "o2c")
    _run([o2c, "db", "upgrade"], env=env)
    for kind in ("customers", "products", "prices", "invoices"):
        _run([o2c, "import", kind, str(_SAMPLES / f"{kind}.csv")], env=env)
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t0 = time.perf_counter()
    out = _run([o2c, "ingest", str(folder)], env=env)
    wall = time.perf_counter() - t0
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    lines = [line for line in out.stdout.splitlines() if line.strip()]
    t1 = time.process_time()
    for path in written:
        extract_document(path.read_bytes(), filename=path.name)
    extract_cpu = time.process_time() - t1
    summary = next((line for line in out.stderr.splitlines() if "documents/s" in line), "")
    shutil.rmtree(work, ignore_errors=True)
    rate = count / cpu
    row = Row(
        f"o2c ingest DIR, {count} digital docs ({len(lines)} outcomes, wall {wall:.1f} s)",
        rate,
        "extract_document alone, same docs",
        count / extract_cpu,
        "docs/CPU-s",
        ">= 50 docs/s/core",
    )
    row.ok = rate >= 50
    rows = [row]
    if summary:
        rows.append(Row(f"  CLI summary: {summary.strip()[:80]}", count / wall, "", None, "docs/s wall", "info"))
    return rows


# --- OCR --------------------------------------------------------------------------------------------------


def bench_ocr(repeat: int, cases) -> list[Row]:
    """A scanned 300 dpi PNG page through extract_document against pytesseract.image_to_data on the same file."""
    case = next(c for c in cases if c.pages == 1)
    image = degrade(render_pages(case.content, 300)[0], random.Random(5), noise=6, blur=0.4, jpeg=None)
    buf = io.BytesIO()
    image.save(buf, format="PNG", dpi=(300, 300))
    content = buf.getvalue()
    path = Path(tempfile.gettempdir()) / f"o2c-speed-{os.getpid()}.png"
    path.write_bytes(content)
    try:
        floor, ours = _interleaved(
            lambda: pytesseract.image_to_data(str(path), config="--psm 4 --dpi 300"),
            lambda: extract_document(content, filename="scan.png"),
            repeat,
        )
    finally:
        path.unlink(missing_ok=True)
    row = Row(
        "scanned 300 dpi page (PNG) via extract_document",
        ours,
        "tesseract image_to_data, same file",
        floor,
        "s/page",
        "<= 1.1x",
    )
    row.ok = row.ratio <= 1.1
    return [row]


# --- memory -----------------------------------------------------------------------------------------------

# VmHWM, not ru_maxrss: Linux carries ru_maxrss over fork and exec, so a child would report this process's peak
_MEMORY_CHILD = """
import sys
sys.path.insert(0, {root!r})
{body}
print(next(line.split()[1] for line in open('/proc/self/status') if line.startswith('VmHWM:')))
"""
_OURS = """from extraction.service import extract_document
out = extract_document(open({path!r}, 'rb').read(), filename={name!r})
assert out, 'nothing extracted'"""
_PDF_FLOOR = """import pypdfium2
pdf = pypdfium2.PdfDocument(open({path!r}, 'rb').read())
for page in pdf:
    tp = page.get_textpage()
    tp.get_text_range(0, tp.count_chars())
    boxes = [tp.get_charbox(i) for i in range(tp.count_chars())]"""
_CSV_FLOOR = """import csv, io
rows = list(csv.reader(io.StringIO(open({path!r}, 'rb').read().decode())))"""


def _peak_rss_mib(body: str) -> float:
    out = _run([sys.executable, "-c", _MEMORY_CHILD.format(root=str(_ROOT), body=body)], timeout=900)
    return int(out.stdout.strip().splitlines()[-1]) / 1024


def remittance_csv(lines: int) -> bytes:
    """A lockbox-style remittance file: one payment, `lines` invoice lines."""
    rng = random.Random(11)
    rows = ["Payment Reference,Payment Date,Payer,Invoice Number,Invoice Amount,Amount Paid,Currency"]
    day = date(2026, 3, 1)
    for i in range(lines):
        amount = Decimal(rng.randint(10_000, 999_999)) / 100
        rows.append(
            f"PAY-777,{(day + timedelta(days=i % 20)).isoformat()},Acme Industrial Supply Inc.,"
            f"INV-{i + 1:07d},{amount},{amount},USD"
        )
    return ("\n".join(rows) + "\n").encode()


def bench_memory(cases) -> list[Row]:
    """Peak RSS of a fresh process: a 50-page digital PDF, a 10,000-line remittance CSV."""

    work = Path(tempfile.mkdtemp(prefix="o2c-speed-mem-"))
    multi = next((c for c in cases if c.layout == "multipage"), cases[0])
    src = pypdfium2.PdfDocument(multi.content)
    doc = pypdfium2.PdfDocument.new()
    while len(doc) < 50:
        doc.import_pages(src)
    while len(doc) > 50:
        doc.del_page(len(doc) - 1)
    pdf_path = work / "fifty.pdf"
    doc.save(str(pdf_path))
    pages = len(pypdfium2.PdfDocument(str(pdf_path)))
    csv_path = work / "remittance.csv"
    csv_path.write_bytes(remittance_csv(10_000))
    rows = []
    for label, path, floor_body, floor_label, target in (
        (f"{pages}-page digital PDF", pdf_path, _PDF_FLOOR, "pypdfium2 floor process", 400),
        ("10,000-line remittance CSV", csv_path, _CSV_FLOOR, "csv.reader process", 300),
    ):
        floor = _peak_rss_mib(floor_body.format(path=str(path)))
        ours = _peak_rss_mib(_OURS.format(path=str(path), name=path.name))
        rows.append(Row(f"peak RSS, {label}", ours, floor_label, floor, "MiB", f"<= {target} MiB", ours <= target))
    shutil.rmtree(work, ignore_errors=True)
    return rows


# --- cash application -------------------------------------------------------------------------------------


def bench_cash(scales: list[int]) -> list[Row]:
    """bench.matching's cash application (decide + post, database included) against an in-memory dict index. CPU
    time: this process's plus, on PostgreSQL, its server processes' (read from /proc), so the database is in the
    figure on both backends (O2C_BENCH_DATABASE_URL's; SQLite when unset). --clock wall: the batches' wall time."""
    rows, per_1x = [], None
    backend = "PostgreSQL" if "postgres" in os.environ.get("O2C_BENCH_DATABASE_URL", "") else "SQLite"
    for scale in scales:
        stats = bm.run_scale(scale)
        floor = _cash_floor(scale)
        if _clock is cpu_seconds:
            ours = stats["cpu_s"] + (stats["db_cpu_s"] or 0.0)
            server = "" if stats["db_cpu_s"] is None else f", server {stats['db_cpu_s']:.2f} s of it"
        else:
            ours, server = stats["total_s"], ""
        if per_1x is None:
            per_1x = ours / scale
        linear = ours / scale / per_1x
        target = 2.0 * scale
        rows.append(
            Row(
                f"cash application {scale}x, {backend} ({stats['lines']} lines vs {stats['invoices']} invoices; "
                f"{linear:.2f}x per 1x; wrong {stats['wrong']}{server})",
                ours,
                "dict index + capped subset sum",
                floor,
                "s",
                f"<= {target:.0f} s",
                ours <= target,
            )
        )
    return rows


def _cash_floor(scale: int) -> float:
    """The in-memory floor: index the open invoices by number and look every line up (same generator)."""

    rng = random.Random(7 + scale)
    invoices = [
        {
            "invoice_number": f"INV-{i + 1:07d}",
            "open_amount": bm.money(rng),
            "customer_id": f"C{rng.randrange(5_000 * scale):05d}",
        }
        for i in range(100_000 * scale)
    ]
    lines = 10_000 * scale
    t0 = _clock()
    index = {inv["invoice_number"]: inv for inv in invoices}
    applied = Decimal("0")
    for n in range(lines):
        inv = index[f"INV-{(n * 7919) % len(invoices) + 1:07d}"]
        applied += min(inv["open_amount"], inv["open_amount"])
    return _clock() - t0


# --- RQ workers -------------------------------------------------------------------------------------------


def _scanned_pngs(cases, count: int, offset: int) -> list[tuple[str, bytes]]:
    out = []
    for n, case in enumerate(c for c in cases[offset:] if c.pages == 1):
        if len(out) == count:
            break
        image = degrade(render_pages(case.content, 300)[0], random.Random(n), noise=6, blur=0.4, jpeg=None)
        buf = io.BytesIO()
        image.save(buf, format="PNG", dpi=(300, 300))
        out.append((f"scan-{offset + n:03d}.png", buf.getvalue()))
    return out


def bench_workers(cases, docs: int) -> list[Row]:
    """Scanned documents queued to RQ on PostgreSQL, drained by 1 and then by 2 `o2c worker --burst` processes
    (distinct documents each round). Needs O2C_BENCH_POSTGRES_URL (a server URL whose user may create
    databases) and O2C_BENCH_REDIS_URL."""
    server, redis_url = os.environ.get("O2C_BENCH_POSTGRES_URL"), os.environ.get("O2C_BENCH_REDIS_URL")
    if not server or not redis_url:
        print("  workers: set O2C_BENCH_POSTGRES_URL and O2C_BENCH_REDIS_URL to measure; skipped")
        return []
    name = f"o2c_speed_{os.getpid()}"
    admin = create_engine(server, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    work = Path(tempfile.mkdtemp(prefix="o2c-speed-workers-"))
    env = _env(work / "data")
    env.update(
        O2C_DATABASE_URL=make_url(server).set(database=name).render_as_string(hide_password=False),
        O2C_REDIS_URL=redis_url,
        O2C_QUEUE_NAME=f"o2c-speed-{os.getpid()}",
    )
    o2c = str(_BIN / "o2c")
    rates = {}
    try:
        _run([o2c, "db", "upgrade"], env=env)
        for kind in ("customers", "products", "prices", "invoices"):
            _run([o2c, "import", kind, str(_SAMPLES / f"{kind}.csv")], env=env)
        for round_no, workers in enumerate((1, 2)):
            folder = work / f"round{round_no}"
            folder.mkdir()
            for fname, content in _scanned_pngs(cases, docs, offset=round_no * docs):
                (folder / fname).write_bytes(content)
            _run([o2c, "ingest", str(folder)], env=env)  # queued: the workers do the work
            t0 = time.perf_counter()
            procs = [
                subprocess.Popen(
                    [o2c, "worker", "--burst"], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
                )
                for _ in range(workers)
            ]
            for proc in procs:
                proc.wait(timeout=1800)
            rates[workers] = docs / (time.perf_counter() - t0)
    finally:
        with admin.connect() as conn:
            conn.execute(text(f"SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '{name}'"))
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}"'))
        admin.dispose()
        shutil.rmtree(work, ignore_errors=True)
    row = Row(
        f"2 RQ workers on PostgreSQL, {docs} scanned docs each round",
        rates[2],
        "1 worker, same kind of docs",
        rates[1],
        "docs/s",
        ">= 1.8x",
    )
    row.ok = row.ratio >= 1.8
    return [row]


# --- report -----------------------------------------------------------------------------------------------


def _print(rows: list[Row]) -> None:
    for r in rows:
        ratio = f"{r.ratio:6.2f}x" if r.ratio is not None else "   -   "
        floor = f"{r.floor:10.2f}" if r.floor is not None else " " * 10
        mark = {True: "ok", False: "MISS", None: ""}[r.ok]
        print(
            f"  {r.what:<74} {r.ours:10.2f} {r.unit:<12} | {r.floor_what:<34} {floor} | {ratio}  {r.target:<18} {mark}",
            flush=True,
        )


def main(argv: list[str] | None = None) -> int:
    """Run the chosen sections and print the table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--only",
        default=",".join(s for s in SECTIONS if s != "workers"),
        help=f"comma-separated sections of {', '.join(SECTIONS)}",
    )
    parser.add_argument("--repeat", type=int, default=9, help="interleaved repeats for the fast timings")
    parser.add_argument("--ingest-docs", type=int, default=120)
    parser.add_argument("--cash-scales", default="1")
    parser.add_argument("--worker-docs", type=int, default=12, help="scanned documents per worker round")
    parser.add_argument(
        "--clock",
        choices=sorted(CLOCK),
        default="cpu",
        help="what the interleaved timings measure: CPU time (default; a shared machine's load inflates wall "
        "time) or wall time. Batch ingest is CPU time and the workers' throughput wall time either way.",
    )
    args = parser.parse_args(argv)
    global _clock
    _clock = CLOCK[args.clock]
    only = [s.strip() for s in args.only.split(",") if s.strip()]
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    print(
        f"o2c speed: {cores} cores, load {os.getloadavg()[0]:.1f}, python {sys.version.split()[0]}, "
        f"medians of {args.repeat} interleaved runs, {args.clock} time"
    )
    compiled, modules = bytecode_status()
    print(
        f"o2c bytecode: {compiled} of {modules} modules compiled"
        + ("" if compiled == modules else " (the rest compile on every start: run scripts/install)")
        + (", PYTHONDONTWRITEBYTECODE set" if os.environ.get("PYTHONDONTWRITEBYTECODE") else "")
    )
    print(f"  {'what':<74} {'ours':>10} {'unit':<12} | {'floor or peer':<34} {'floor':>10} | ratio    target")
    cases = _digital_cases(2) if {"digital", "ingest", "ocr", "memory", "workers"} & set(only) else []
    rows: list[Row] = []
    for section in only:
        if section == "cli":
            new = bench_cli(args.repeat)
        elif section == "digital":
            new = bench_digital(args.repeat, cases)
        elif section == "ingest":
            new = bench_ingest(cases, args.ingest_docs)
        elif section == "ocr":
            new = bench_ocr(max(3, args.repeat // 3), cases)
        elif section == "memory":
            new = bench_memory(cases)
        elif section == "cash":
            new = bench_cash([int(s) for s in args.cash_scales.split(",")])
        elif section == "workers":
            new = bench_workers(cases, args.worker_docs)
        else:
            parser.error(f"unknown section {section!r}")
        _print(new)
        rows += new
    missed = [r for r in rows if r.ok is False]
    print(
        f"\n{sum(r.ok is True for r in rows)} of {sum(r.ok is not None for r in rows)} targets met"
        + (": missed " + "; ".join(r.what.strip() for r in missed) if missed else "")
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
