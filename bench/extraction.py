"""Extraction benchmark: field P/R/F1 per field and channel, line-item cells, calibration, speed and memory.

    python -m bench.extraction --seed 1 --jobs 2              # whole benchmark (a few minutes, OCR included)
    python -m bench.extraction --seed 1 --no-ocr --quick      # digital and email only, no speed/memory runs

The corpus (bench/corpus.py) is generated from the seed in memory; nothing is written unless --keep DIR.
"""

from __future__ import annotations

import sys
from pathlib import Path

_ROOT = Path(__file__).resolve().parents[1]
# run as a script, bench/ would come first on sys.path and this file would shadow the extraction package
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != _ROOT / "bench"]
sys.path.insert(0, str(_ROOT))

import argparse  # noqa: E402
import io  # noqa: E402
import json  # noqa: E402
import os  # noqa: E402
import resource  # noqa: E402
import statistics  # noqa: E402
import subprocess  # noqa: E402
import tempfile  # noqa: E402
import time  # noqa: E402
from collections import defaultdict  # noqa: E402
from concurrent.futures import ProcessPoolExecutor  # noqa: E402

os.environ.setdefault("OMP_THREAD_LIMIT", "1")

import pdfplumber  # noqa: E402
import pypdfium2  # noqa: E402
import pytesseract  # noqa: E402
from PIL import Image  # noqa: E402

from bench.corpus import CHANNELS, Case, build_corpus, render_pages  # noqa: E402
from bench.scoring import Tally, score_document  # noqa: E402
from o2c.extraction import nlp  # noqa: E402
from o2c.extraction.service import extract_document  # noqa: E402


def _run_case(case: Case) -> tuple[str, list[dict], float, str | None]:
    start = time.process_time() + _children_cpu()
    try:
        results = [e.to_contract() for e in extract_document(case.content, filename=case.name)]
        error = None
    except Exception as exc:  # the benchmark records a crash as a miss, it does not stop
        results, error = [], f"{type(exc).__name__}: {exc}"
    return case.name, results, time.process_time() + _children_cpu() - start, error


def _children_cpu() -> float:
    """CPU seconds of finished child processes (Tesseract runs as one)."""
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def run_corpus(cases: list[Case], jobs: int) -> dict[str, tuple[list[dict], float, str | None]]:
    """Extract every case (in jobs processes), keyed by file name: (contracts, CPU seconds, error)."""
    nlp.pipeline()  # spaCy loads on first use now; build it before the clock runs, as its import used to be
    if jobs <= 1:
        outputs = map(_run_case, cases)
    else:
        pool = ProcessPoolExecutor(jobs)
        outputs = pool.map(_run_case, cases, chunksize=1)
    return {name: (results, seconds, error) for name, results, seconds, error in outputs}


def report(cases: list[Case], outputs, *, show_misses: int) -> dict:
    """Score, print the tables, return the headline numbers."""
    by_channel: dict[str, Tally] = defaultdict(Tally)
    overall = Tally()
    seconds: dict[str, list[float]] = defaultdict(list)
    misses: list[str] = []
    for case in cases:
        results, cpu, error = outputs[case.name]
        if error:
            misses.append(f"{case.name}: CRASH {error}")
        seconds[case.channel].append(cpu / max(case.pages, 1))
        for truth in case.expected:
            got = next((r for r in results if r["source"] == truth["source"]), results[0] if results else None)
            for tally in (by_channel[case.channel], overall):
                score_document(tally, truth, got, misses=misses if tally is overall else None, name=case.name)
    print(
        f"\nDocuments: {len(cases)} files; layouts: "
        f"{len({c.layout for c in cases if not c.layout.startswith('email')})} "
        f"(PO {len({c.layout for c in cases if c.expected[0]['order']})}, remittance "
        f"{len({c.layout for c in cases if c.expected[0]['remittance']})}, incl. email bodies)"
    )
    print(
        "\nPer channel" + " " * 14 + "docs  type-acc  field-P  field-R  field-F1  cell-acc  conf>=0.9 (n)   s/page"
        "  (CPU incl. Tesseract)"
    )
    for channel in CHANNELS:
        if channel not in by_channel:
            continue
        t = by_channel[channel]
        p, r, f = t.prf()
        acc, n = t.calibration(0.9)
        print(
            f"  {channel:<22}{t.docs:>5}  {t.type_accuracy():>8.3f}  {p:>7.3f}  {r:>7.3f}  {f:>8.3f}  "
            f"{t.cell_accuracy():>8.3f}  {acc:>9.4f} ({n:>4})  {statistics.mean(seconds[channel]):>7.2f}"
        )
    p, r, f = overall.prf()
    acc, n = overall.calibration(0.9)
    print(
        f"  {'ALL':<22}{overall.docs:>5}  {overall.type_accuracy():>8.3f}  {p:>7.3f}  {r:>7.3f}  {f:>8.3f}  "
        f"{overall.cell_accuracy():>8.3f}  {acc:>9.4f} ({n:>4})"
    )
    print("\nPer field" + " " * 30 + "P        R        F1      n")
    for field_name, (fp, fr, ff, count) in sorted(overall.per_field().items()):
        print(f"  {field_name:<34}{fp:>7.3f}  {fr:>7.3f}  {ff:>7.3f}  {count:>5}")
    print("\nCalibration (all fields with a confidence)")
    for lo, hi, acc_b, n_b in overall.calibration_table():
        print(f"  [{lo:.2f}, {hi:.2f})  n={n_b:>5}  accuracy={acc_b:.4f}")
    if misses and show_misses:
        print(f"\nMisses ({len(misses)}, first {show_misses}):")
        for line in misses[:show_misses]:
            print("  " + line)
    return {
        "field_f1": f,
        "calibration": acc,
        "calibrated_n": n,
        "channels": {c: by_channel[c].prf()[2] for c in by_channel},
    }


# --- speed and memory ------------------------------------------------------------------------------------


def _best_of(fn, repeat: int) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return min(times)


def speed(cases: list[Case]) -> None:
    """1-page digital PO vs pdfplumber's words alone; a scanned image vs Tesseract's own time on it."""
    digital = next((c for c in cases if c.channel == "digital" and c.pages == 1), None)
    if digital is None:
        print("\nSpeed: no 1-page digital PO in this run; skipped")
        return

    def plumber_words():
        with pdfplumber.open(io.BytesIO(digital.content)) as pdf:
            for page in pdf.pages:
                page.extract_words()

    ours = _best_of(lambda: extract_document(digital.content, filename=digital.name), 7)
    base = _best_of(plumber_words, 7)
    print(
        f"\nSpeed (one process, OMP_THREAD_LIMIT=1)\n  digital 1-page PO: o2c {ours * 1000:.1f} ms, "
        f"pdfplumber extract_words {base * 1000:.1f} ms, ratio {ours / base:.2f}x (target <= 2x)"
    )
    for channel in ("scan300", "scan200"):
        scan = next((c for c in cases if c.channel == channel and c.name.endswith((".png", ".jpg"))), None)
        if scan is None:
            print(f"  {channel}: no PNG or JPEG page in this run; skipped")
            continue
        image = Image.open(io.BytesIO(scan.content))
        dpi = int(round(image.info.get("dpi", (300, 300))[0]))
        path = Path(tempfile.gettempdir()) / scan.name
        path.write_bytes(scan.content)  # Tesseract reads the file itself, with the page mode o2c uses
        tess = _best_of(
            lambda path=path, dpi=dpi: pytesseract.image_to_data(str(path), config=f"--psm 4 --dpi {dpi}"), 3
        )
        ours = _best_of(lambda scan=scan: extract_document(scan.content, filename=scan.name), 3)
        print(
            f"  {channel} page ({scan.name}): o2c {ours:.2f} s, tesseract image_to_data {tess:.2f} s, "
            f"ratio {ours / tess:.2f}x (target <= 1.2x)"
        )


_MEMORY_CHILD = """
import io, resource, sys, time
sys.path.insert(0, {root!r})
from o2c.extraction.service import extract_document
data = open({path!r}, 'rb').read()
start = time.perf_counter()
try:
    out = extract_document(data, filename={name!r})
    what = [(e.document_type, len(e.order.lines) if e.order else None) for e in out]
except Exception as exc:
    what = repr(exc)
print(what, round(time.perf_counter() - start, 1), resource.getrusage(resource.RUSAGE_SELF).ru_maxrss,
      resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)
"""


def memory(cases: list[Case], workdir: Path) -> None:
    """Peak RSS of a fresh process extracting a 50-page PDF and a 20-megapixel image."""
    workdir.mkdir(parents=True, exist_ok=True)
    multipage = next((c for c in cases if c.channel == "digital" and c.layout == "multipage"), None)
    classic = next((c for c in cases if c.channel == "digital" and c.layout == "classic"), None)
    if multipage is None or classic is None:
        print("\nMemory: needs the classic and multipage layouts in the run; skipped")
        return
    src = pypdfium2.PdfDocument(multipage.content)
    pypdfium_doc = pypdfium2.PdfDocument.new()
    while len(pypdfium_doc) < 50:
        pypdfium_doc.import_pages(src)
    big_pdf = workdir / "fifty_pages.pdf"
    pypdfium_doc.save(str(big_pdf))
    page = render_pages(classic.content, 600)[0]  # 5100 x 6600 = 33.7 MP; shrink to 20 MP
    scale = (20_000_000 / (page.width * page.height)) ** 0.5
    page = page.resize((int(page.width * scale), int(page.height * scale)))
    big_png = workdir / "twenty_mp.png"
    page.save(big_png, dpi=(int(600 * scale), int(600 * scale)))
    print("\nMemory (fresh process, peak RSS; goal <= 1 GiB)")
    for path, what in (
        (big_pdf, "50-page digital PDF"),
        (big_png, f"{page.width}x{page.height} image ({page.width * page.height / 1e6:.1f} MP)"),
    ):
        child = _MEMORY_CHILD.format(root=str(_ROOT), path=str(path), name=path.name)
        out = subprocess.run([sys.executable, "-c", child], capture_output=True, text=True, timeout=600)
        if out.returncode:
            print(f"  {what}: FAILED {out.stderr[-300:]}")
            continue
        result, secs, rss_kb, child_kb = out.stdout.strip().rsplit(" ", 3)
        print(
            f"  {what}: {int(rss_kb) / 1024:.0f} MiB peak RSS (largest Tesseract child {int(child_kb) / 1024:.0f}"
            f" MiB), {secs} s -> {result[:60]}"
        )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--per-layout", type=int, default=2, help="digital documents per layout")
    parser.add_argument("--jobs", type=int, default=1)
    parser.add_argument("--no-ocr", action="store_true", help="skip the scanned channels")
    parser.add_argument("--quick", action="store_true", help="skip the speed and memory runs")
    parser.add_argument("--misses", type=int, default=40, help="how many wrong fields to list")
    parser.add_argument("--only", default="", help="only layouts whose name contains this")
    parser.add_argument("--keep", type=Path, default=None, help="write the corpus and results here")
    parser.add_argument("--json", type=Path, default=None, help="write the headline numbers here")
    args = parser.parse_args(argv)
    started = time.perf_counter()
    cases = build_corpus(args.seed, args.per_layout, scans=not args.no_ocr, only=args.only)
    if args.no_ocr:
        cases = [c for c in cases if not c.channel.startswith("scan")]
    if args.only:
        cases = [c for c in cases if args.only in c.layout]
    print(f"corpus: {len(cases)} files built in {time.perf_counter() - started:.1f} s (seed {args.seed})")
    outputs = run_corpus(cases, args.jobs)
    if args.keep:
        args.keep.mkdir(parents=True, exist_ok=True)
        for case in cases:
            (args.keep / case.name).write_bytes(case.content)
            (args.keep / f"{case.name}.expected.json").write_text(json.dumps(case.expected, indent=1))
            (args.keep / f"{case.name}.got.json").write_text(json.dumps(outputs[case.name][0], indent=1))
    headline = report(cases, outputs, show_misses=args.misses)
    if not args.quick:
        speed(cases)
        memory(cases, args.keep or Path("/tmp/o2c-bench"))
    print(
        f"\nwall time {time.perf_counter() - started:.0f} s; CPU (children) "
        f"{resource.getrusage(resource.RUSAGE_CHILDREN).ru_utime:.0f} s"
    )
    if args.json:
        args.json.write_text(json.dumps(headline, indent=1))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
