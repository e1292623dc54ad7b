"""Generalization benchmark: procedurally generated layout families, tuned and held-out side by side.

    python -m bench.generalization --jobs 2                 # every family and channel (OCR included)
    python -m bench.generalization --no-ocr --jobs 2        # without the scanned channels
    python -m bench.generalization --fit-calibration        # refit extraction/calibration.json on TUNED only
    python -m bench.generalization --no-ocr --jobs 2 --fresh-families 36 --only fresh   # never-seen families

Families come from bench/layoutgen.py; the split is bench/families.json (frozen). Only held-out figures are
reported; tuned figures are printed beside them to show the gap. Codes are compared as strings.
--fresh-families N adds a third split, NEVER SEEN: N families drawn at random from the generator's choices
with --family-seed (fixed; never pick it by its results), reported in tables of their own.
"""

from __future__ import annotations

import sys
from pathlib import Path

_ROOT = Path(__file__).resolve().parents[1]
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != _ROOT / "bench"]
sys.path.insert(0, str(_ROOT))

import argparse  # noqa: E402
import json  # noqa: E402
import math  # noqa: E402
import os  # noqa: E402
import random  # noqa: E402
import time  # noqa: E402
from collections import defaultdict  # noqa: E402
from concurrent.futures import ProcessPoolExecutor  # noqa: E402
from dataclasses import dataclass  # noqa: E402

os.environ.setdefault("OMP_THREAD_LIMIT", "1")

from bench import touchless  # noqa: E402
from bench.corpus import degrade, render_pages, save_scan  # noqa: E402
from bench.layoutgen import (  # noqa: E402
    CHANNELS,
    FRESH_SEED,
    Family,
    families,
    fresh_families,
    make_doc,
    master_data,
    read_split,
)
from bench.layoutgen_render import build_mail, csv_remittance, html_body, render_pdf, text_body  # noqa: E402
from bench.scoring import _PATH, Tally, _value, same, score_document  # noqa: E402
from o2c.extraction.calibration import CALIBRATION_FILE, field_kind, fit_isotonic  # noqa: E402
from o2c.extraction.grounding import Grounding  # noqa: E402
from o2c.extraction.service import extract_document  # noqa: E402

MD = master_data()
GROUNDING = Grounding(
    skus=frozenset(p.sku for p in MD.products),
    customer_part_numbers=frozenset(MD.part_numbers.values()),
    customer_names=frozenset(c.name for c in MD.customers),
    addresses=frozenset("\n".join(c.address) for c in MD.customers),
    domains=frozenset(c.domain for c in MD.customers),
)


@dataclass
class Case:
    """One file: name, bytes, family, channel, the contract expected, and its source inside the file."""

    name: str
    content: bytes
    family: str
    channel: str
    truth: dict
    source: str


def _scan(pdf: bytes, rng: random.Random) -> tuple[bytes, str]:
    dpi = rng.choice((150, 200, 300))
    strong = rng.random() < 0.5
    images = [
        degrade(
            img,
            rng,
            noise=50 if strong else 25,
            blur=rng.uniform(0.4, 0.9) if strong else 0.4,
            jpeg=rng.randint(40, 70) if strong else None,
        )
        for img in render_pages(pdf, dpi)
    ]
    fmt = rng.choice(("png", "jpeg", "tiff", "pdf")) if len(images) == 1 else rng.choice(("tiff", "pdf"))
    return save_scan(images, fmt, dpi), {"jpeg": "jpg", "tiff": "tif"}.get(fmt, fmt)


def build_cases(
    seed: int,
    per_channel: int,
    *,
    scans: bool,
    only: str = "",
    fams: list[Family] | None = None,
    channels: frozenset[str] = frozenset(),
    family_ids: frozenset[str] = frozenset(),
) -> list[Case]:
    """per_channel documents per family and channel (CSV only for remittances); fams defaults to families().

    channels / family_ids narrow the run (empty: all); a family's documents are the same as in a full run,
    since every channel is still drawn from the family's generator and only then dropped.
    """
    cases = []
    for fam in families() if fams is None else fams:
        if only and only not in fam.id:
            continue
        if family_ids and fam.id not in family_ids:
            continue
        rng = random.Random(f"{seed}-{fam.id}")
        for channel in CHANNELS:
            if channel == "csv" and fam.kind != "remit":
                continue
            if channel in ("scan", "emailed_scan") and not scans:
                continue
            for k in range(per_channel):
                doc = make_doc(fam, MD, rng)
                stem = f"{fam.id}_{channel}_{k}"
                truth = doc.truth
                if channel in ("html_body", "text_body") and truth["order"]:  # bodies print no address blocks
                    truth = {**truth, "order": {**truth["order"], "ship_to": None, "bill_to": None}}
                if channel == "csv":  # the sheet has no method column and prints bare amounts
                    truth = {**truth, "remittance": {**truth["remittance"], "payment_method": None, "currency": None}}
                if channel == "digital_pdf":
                    cases.append(Case(f"{stem}.pdf", render_pdf(doc), fam.id, channel, truth, f"{stem}.pdf"))
                elif channel == "scan":
                    content, ext = _scan(render_pdf(doc), rng)
                    cases.append(Case(f"{stem}.{ext}", content, fam.id, channel, truth, f"{stem}.{ext}"))
                elif channel in ("emailed_pdf", "emailed_scan"):
                    pdf = render_pdf(doc)
                    if channel == "emailed_pdf":
                        att = (f"{stem}.pdf", pdf, "application/pdf")
                    else:
                        content, ext = _scan(pdf, rng)
                        media = {
                            "png": "image/png",
                            "jpg": "image/jpeg",
                            "tif": "image/tiff",
                            "pdf": "application/pdf",
                        }[ext]
                        att = (f"{stem}.{ext}", content, media)
                    eml = build_mail(doc, stem, attachment=att)
                    cases.append(Case(f"{stem}.eml", eml, fam.id, channel, truth, f"{stem}.eml#{att[0]}"))
                elif channel == "html_body":
                    eml = build_mail(doc, stem, html=html_body(doc))
                    cases.append(Case(f"{stem}.eml", eml, fam.id, channel, truth, f"{stem}.eml#body"))
                elif channel == "text_body":
                    eml = build_mail(doc, stem, body=text_body(doc))
                    cases.append(Case(f"{stem}.eml", eml, fam.id, channel, truth, f"{stem}.eml#body"))
                else:
                    cases.append(Case(f"{stem}.csv", csv_remittance(doc), fam.id, channel, truth, f"{stem}.csv"))
    return [c for c in cases if not channels or c.channel in channels]


_LEDGER: list[touchless.Ledger] = []  # one per worker process, made on its first document
PIPELINE = os.environ.get("O2C_BENCH_PIPELINE", "1") == "1"


def _run(case: Case) -> tuple[str, list[dict], str | None, touchless.Posting | None]:
    try:
        extractions = extract_document(case.content, filename=case.name, grounding=GROUNDING)
    except Exception as exc:  # a crash is a miss, not a stop
        return case.name, [], f"{type(exc).__name__}: {exc}", None
    posting = None
    if PIPELINE:
        try:
            if not _LEDGER:
                _LEDGER.append(touchless.Ledger(MD))
            touchless.remember(case.content, extractions)
            posting = _LEDGER[0].post(case.name, case.content, case.truth)
        except Exception as exc:  # noqa: BLE001 - a pipeline crash is a document not posted
            posting = touchless.Posting("crash", (f"{type(exc).__name__}: {exc}"[:120],), None)
    return case.name, [e.to_contract() for e in extractions], None, posting


def _pick(results: list[dict], case: Case) -> dict | None:
    kind = case.truth["document_type"]
    for r in results:
        if r["source"] == case.source and r["document_type"] == kind:
            return r
    return next((r for r in results if r["document_type"] == kind), results[0] if results else None)


def _wilson(ok: int, n: int, z: float = 1.96) -> tuple[float, float]:
    if n == 0:
        return 0.0, 1.0
    p = ok / n
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / (1 + z * z / n)
    return max(0.0, centre - half), min(1.0, centre + half)


def _sku_f1(t: Tally) -> float:
    tp, fp, fn = (t.tp.get("order.lines.sku", 0), t.fp.get("order.lines.sku", 0), t.fn.get("order.lines.sku", 0))
    p = tp / (tp + fp) if tp + fp else 1.0
    r = tp / (tp + fn) if tp + fn else 1.0
    return 2 * p * r / (p + r) if p + r else 0.0


def _f1_interval(t: Tally) -> tuple[float, float]:
    """A 95 % interval for field F1 by bootstrap over documents' (tp, fp, fn)."""
    return _bootstrap_f1(t.per_doc)


def _bootstrap_f1(docs: list[tuple[int, int, int]]) -> tuple[float, float]:
    """A 95 % bootstrap interval for F1 over units' (tp, fp, fn): documents, or whole families."""
    if not docs:
        return 0.0, 1.0
    rng = random.Random(5)
    values = []
    for _ in range(400):
        tp = fp = fn = 0
        for _ in docs:
            a, b, c = docs[rng.randrange(len(docs))]
            tp, fp, fn = tp + a, fp + b, fn + c
        p = tp / (tp + fp) if tp + fp else 1.0
        r = tp / (tp + fn) if tp + fn else 1.0
        values.append(2 * p * r / (p + r) if p + r else 0.0)
    values.sort()
    return values[int(0.025 * len(values))], values[int(0.975 * len(values)) - 1]


def _sides(split: dict[str, list[str]]) -> dict[str, str]:
    return (
        {fid: "tuned" for fid in split["tuned"]}
        | {fid: "held_out" for fid in split["held_out"]}
        | {fid: "fresh" for fid in split.get("fresh", [])}
    )


def _fresh_table(tallies: dict[tuple[str, str], Tally], by_family: dict[tuple[str, str], dict]) -> None:
    """The never-seen families' table: the held-out measures, per channel, and F1's interval over families.

    The families are the sampled unit here (documents of one family share their template, so they are not
    independent draws): 'family CI' resamples whole families and is the interval to quote."""
    print(
        f"\n{'channel':<14}| {'NEVER-SEEN F1':>13} {'95% CI':>13} {'family CI':>13} {'SKU F1':>7} "
        f"{'>=0.9 ok (n)':>15} {'95% CI':>13} docs fams"
    )
    for channel in (*CHANNELS, "ALL"):
        t = tallies.get(("fresh", channel))
        if not t:
            continue
        acc, n = t.calibration(0.9)
        lo, hi = _f1_interval(t)
        families = [tuple(v) for v in by_family[("fresh", channel)].values()]
        flo, fhi = _bootstrap_f1(families)
        clo, chi = _wilson(round(acc * n), n)
        print(
            f"{channel:<14}| {t.prf()[2]:>13.3f} [{lo:.3f},{hi:.3f}] [{flo:.3f},{fhi:.3f}] {_sku_f1(t):>7.3f} "
            f"{acc:>9.4f} ({n:>4}) [{clo:.3f},{chi:.3f}] {t.docs:>4} {len(families):>4}"
        )


def report(cases: list[Case], outputs: dict, split: dict[str, list[str]], *, misses: int, show: str = "tuned") -> dict:
    """Tuned and held-out tables side by side, per channel; returns the held-out headline."""
    side = _sides(split)
    tallies: dict[tuple[str, str], Tally] = defaultdict(Tally)
    kinds: dict[str, list[tuple[str, float, bool]]] = defaultdict(list)
    missed: list[str] = []
    by_family: dict[tuple[str, str], dict[str, list[int]]] = defaultdict(lambda: defaultdict(lambda: [0, 0, 0]))
    for case in cases:
        results, error = outputs[case.name]
        got = _pick(results, case)
        group = side.get(case.family, "tuned")
        if error:
            missed.append(f"{case.name}: CRASH {error}")
        for key in ((group, case.channel), (group, "ALL"), ("family", case.family)):
            t = tallies[key]
            before = (sum(t.tp.values()), sum(t.fp.values()), sum(t.fn.values()))
            score_document(
                t, case.truth, got, misses=missed if key[1] == "ALL" and group == show else None, name=case.name
            )
            after = (sum(t.tp.values()), sum(t.fp.values()), sum(t.fn.values()))
            t.per_doc.append(tuple(a - b for a, b in zip(after, before, strict=True)))
            if key[0] == group:
                sums = by_family[key][case.family]
                sums[:] = [s + d for s, d in zip(sums, t.per_doc[-1], strict=True)]
        for path, conf in ((got or {}).get("confidence") or {}).items():
            if path == "document_type" or not _PATH.match(path):
                continue
            ok = (
                bool(got)
                and got["document_type"] == case.truth["document_type"]
                and same(_value(case.truth, path), _value(got, path), path)
            )
            kinds[group].append((field_kind(path), conf, ok))
    fresh = bool(split.get("fresh"))
    listed = not fresh or any(g in ("tuned", "held_out") for g, _ in tallies)  # listed families were run
    if listed:
        _listed_table(tallies)
    if fresh:
        _fresh_table(tallies, by_family)
    print(
        "\nPer family (field F1): "
        + "  ".join(
            f"{fid}{'*' if side.get(fid) == 'held_out' else ''} {t.prf()[2]:.2f}"
            for (g, fid), t in sorted(tallies.items())
            if g == "family"
        )
        + "   (* held out)"
    )
    for group, title in (("held_out", "Held-out"), ("fresh", "Never-seen")):
        if not (listed if group == "held_out" else fresh):
            continue
        print(f"\n{title} per field (P R F1 n)")
        for name, (p, r, f, n) in sorted(tallies[(group, "ALL")].per_field().items()):
            print(f"  {name:<36}{p:>7.3f} {r:>7.3f} {f:>7.3f} {n:>5}")
    if missed and misses:
        print(f"\nMisses on {show} families ({len(missed)}, first {misses}):")
        for line in missed[:misses]:
            print("  " + line)
    return {
        group: {c: tallies[(group, c)].prf()[2] for c in (*CHANNELS, "ALL") if (group, c) in tallies}
        for group in ("held_out", "tuned", *(("fresh",) if fresh else ()))
    } | {"observations": {g: v for g, v in kinds.items()}}


def _listed_table(tallies: dict[tuple[str, str], Tally]) -> None:
    """The listed families' table: tuned beside held-out, per channel."""
    print(
        f"\n{'channel':<14}| {'TUNED F1':>8} {'SKU F1':>7} {'>=0.9 ok':>9} | {'HELD-OUT F1':>11} {'95% CI':>13} "
        f"{'SKU F1':>7} {'>=0.9 ok (n)':>15} {'95% CI':>13} docs"
    )
    for channel in (*CHANNELS, "ALL"):
        tuned, held = tallies.get(("tuned", channel)), tallies.get(("held_out", channel))
        if not held and not tuned:
            continue
        row = f"{channel:<14}| "
        if tuned:
            acc, _ = tuned.calibration(0.9)
            row += f"{tuned.prf()[2]:>8.3f} {_sku_f1(tuned):>7.3f} {acc:>9.4f} | "
        else:
            row += " " * 27 + "| "
        if held:
            acc, n = held.calibration(0.9)
            lo, hi = _f1_interval(held)
            clo, chi = _wilson(round(acc * n), n)
            row += (
                f"{held.prf()[2]:>11.3f} [{lo:.3f},{hi:.3f}] {_sku_f1(held):>7.3f} {acc:>9.4f} ({n:>4}) "
                f"[{clo:.3f},{chi:.3f}] {held.docs}"
            )
        print(row)


def pipeline_report(cases: list[Case], postings: dict, split: dict[str, list[str]], *, show: str) -> dict:
    """Touchless share of the clean documents and wrong postings, tuned and held out (never seen), per channel."""
    side = _sides(split)
    rows = [(side.get(c.family, "tuned"), c, postings[c.name]) for c in cases if postings.get(c.name)]
    fresh = bool(split.get("fresh"))
    listed = not fresh or any(g != "fresh" for g, _, _ in rows)
    result = {}
    for channel in (*CHANNELS, "ALL"):
        picked = [(g, c.name, p) for g, c, p in rows if channel in ("ALL", c.channel)]
        if picked:
            result[channel] = touchless.summary(picked)
    if listed:
        print(
            f"\nPipeline (door.ingest on SQLite, trusted advice channel)\n{'channel':<14}| {'TUNED touchless':>18} "
            f"{'wrong':>5} | {'HELD-OUT touchless':>18} {'95% CI':>13} {'wrong':>5}"
        )
        for channel, s in result.items():
            if not (s.keys() & {"tuned", "held_out"}):
                continue
            row = f"{channel:<14}| "
            for group in ("tuned", "held_out"):
                t = s.get(group)
                if not t:
                    row += " " * 25 + "| "
                    continue
                share = t["touchless"] / t["docs"]
                row += f"{share:>9.3f} ({t['touchless']:>3}/{t['docs']:>3}) {t['wrong']:>5}"
                if group == "held_out":
                    lo, hi = _wilson(t["touchless"], t["docs"])
                    row += f" [{lo:.3f},{hi:.3f}]"
                else:
                    row += " | "
            print(row)
    if fresh:
        print(
            f"\nPipeline, never-seen families\n{'channel':<14}| {'NEVER-SEEN touchless':>20} {'95% CI':>13} "
            f"{'wrong':>5}"
        )
        for channel, s in result.items():
            t = s.get("fresh")
            if not t:
                continue
            lo, hi = _wilson(t["touchless"], t["docs"])
            print(
                f"{channel:<14}| {t['touchless'] / t['docs']:>9.3f} ({t['touchless']:>3}/{t['docs']:>3}) "
                f"[{lo:.3f},{hi:.3f}] {t['wrong']:>5}"
            )
    if show in result.get("ALL", {}):
        print(f"  not posted ({show}): {result['ALL'][show]['reasons']}")
    for g, c, p in rows:
        if g == show and (p.wrong or p.status != "posted"):
            print(f"  {c.name}: {p.status} {','.join(p.reasons)} {p.wrong or ''} {' '.join(p.fields)}".rstrip())
    return result


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--per-channel", type=int, default=1)
    parser.add_argument("--jobs", type=int, default=1)
    parser.add_argument("--no-ocr", action="store_true")
    parser.add_argument("--only", default="")
    parser.add_argument("--channels", default="", help="comma-separated channels to run (default: all)")
    parser.add_argument("--tuned-only", action="store_true", help="run the tuned families only")
    parser.add_argument("--misses", type=int, default=40, help="wrong fields to list (tuned families)")
    parser.add_argument(
        "--show-held-out-misses",
        action="store_true",
        help="list held-out misses instead (for reporting only: never tune on them)",
    )
    parser.add_argument(
        "--fresh-families",
        type=int,
        default=0,
        metavar="N",
        help="add N never-seen families drawn at random from the generator (ids fresh-...; --only fresh: just them)",
    )
    parser.add_argument(
        "--family-seed",
        type=int,
        default=FRESH_SEED,
        help=f"seed of the never-seen families (default {FRESH_SEED}; fixed, never chosen by its results)",
    )
    parser.add_argument(
        "--show-fresh-misses",
        action="store_true",
        help="list the never-seen families' misses (for reporting only: never tune on them)",
    )
    parser.add_argument("--keep", type=Path, default=None)
    parser.add_argument(
        "--no-pipeline", action="store_true", help="skip ingesting each document through the door (touchless)"
    )
    parser.add_argument(
        "--fit-calibration",
        action="store_true",
        help="fit extraction/calibration.json on the TUNED families' observations",
    )
    args = parser.parse_args(argv)
    if args.no_pipeline:
        os.environ["O2C_BENCH_PIPELINE"] = "0"  # read by the worker processes too
        global PIPELINE
        PIPELINE = False
    started = time.perf_counter()
    split = read_split()
    fams = families()
    if args.fresh_families:
        fresh = fresh_families(args.fresh_families, args.family_seed)
        fams += fresh
        split = {**split, "fresh": [f.id for f in fresh]}
    cases = build_cases(
        args.seed,
        args.per_channel,
        scans=not args.no_ocr,
        only=args.only,
        fams=fams,
        channels=frozenset(c for c in args.channels.split(",") if c),
        family_ids=frozenset(split["tuned"]) if args.tuned_only else frozenset(),
    )
    never_seen = f", {len(split['fresh'])} never seen (seed {args.family_seed})" if "fresh" in split else ""
    print(
        f"{len(cases)} files from {len({c.family for c in cases})} families "
        f"({len(split['tuned'])} tuned, {len(split['held_out'])} held out{never_seen}) built in "
        f"{time.perf_counter() - started:.0f} s"
    )
    if args.jobs > 1:
        with ProcessPoolExecutor(args.jobs) as pool:
            ran = list(pool.map(_run, cases, chunksize=1))
    else:
        ran = list(map(_run, cases))
    outputs = {name: (res, err) for name, res, err, _ in ran}
    postings = {name: posting for name, _, _, posting in ran}
    if args.keep:
        args.keep.mkdir(parents=True, exist_ok=True)
        for case in cases:
            (args.keep / case.name).write_bytes(case.content)
            (args.keep / f"{case.name}.truth.json").write_text(json.dumps(case.truth, indent=1))
            (args.keep / f"{case.name}.got.json").write_text(json.dumps(outputs[case.name][0], indent=1))
    show = "fresh" if args.show_fresh_misses else "held_out" if args.show_held_out_misses else "tuned"
    headline = report(cases, outputs, split, misses=args.misses, show=show)
    if PIPELINE:
        pipeline_report(cases, postings, split, show=show)
    if args.fit_calibration:
        tuned = headline["observations"].get("tuned", [])
        table = fit_isotonic(tuned)
        CALIBRATION_FILE.write_text(json.dumps(table, indent=1) + "\n")
        print(f"\ncalibration refit on {len(tuned)} tuned observations -> {CALIBRATION_FILE}")
    print(f"\nwall time {time.perf_counter() - started:.0f} s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
