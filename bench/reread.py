"""How far a second reading's agreement may be trusted (`extraction/reread.py`), measured on scans.

Every OCR'd field whose low word confidence capped it (not only the header fields the reader re-reads) is read a
second time; the fields where both readings agree, and where they do not, are scored against the generator's
truth. Tuned families only by default (the agreement's confidence is fitted there); `--fresh-families N
--family-seed 777` measures never-seen families of an inspection seed instead (never the default seed).

    python -m bench.reread --seeds 1,2,3 --jobs 2
"""

from __future__ import annotations

import argparse
import os
import re
import sys
from collections import Counter
from multiprocessing import Pool
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # run from the repo root without installing

from bench import generalization as gen  # noqa: E402
from bench.layoutgen import fresh_families, read_split  # noqa: E402
from bench.scoring import _value, same  # noqa: E402
from o2c.extraction import reread, service  # noqa: E402
from o2c.extraction.calibration import field_kind  # noqa: E402

_SEEN: list[tuple[str, bool, str]] = []  # (path, both readings agree, what each read) of the document being read
_original = service.confirm_by_second_reading


def _observe(evidence, pages, paths=reread.REREAD_FIELDS) -> None:
    by_number = {p.number: p for p in pages if p.image is not None}
    for path, (capped, _) in evidence.word_capped.items():
        where = evidence.provenance.get(path, {})
        page = by_number.get(where.get("page") or 0)
        if page is None or evidence.confidence.get(path) != capped:
            continue
        second = reread.second_reading(page, where)
        if second is None:
            continue
        agreed = reread.same_text(second, where.get("text", ""))
        _SEEN.append((path, agreed, f"{where.get('text')!r} / {second!r} @{where.get('ocr_confidence')}"))
    _original(evidence, pages, paths)


def _measure(case: gen.Case) -> list[tuple[str, bool, bool, str]]:
    _SEEN.clear()
    try:
        extractions = gen.extract_document(case.content, filename=case.name, grounding=gen.GROUNDING)
    except Exception:  # noqa: BLE001 - a crash measures nothing
        return []
    got = gen._pick([e.to_contract() for e in extractions], case)
    return [
        (
            p,
            agreed,
            same(_value(got, p), _value(case.truth, p), p),
            f"{case.name} {p}: {read}, truth {_value(case.truth, p)!r}",
        )
        for p, agreed, read in _SEEN
    ]


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--seeds", default="1")
    parser.add_argument("--per-channel", type=int, default=1)
    parser.add_argument("--jobs", type=int, default=max(1, (os.cpu_count() or 2) // 2))
    parser.add_argument("--fresh-families", type=int, default=0)
    parser.add_argument("--family-seed", type=int, default=777)
    args = parser.parse_args(argv)
    if args.fresh_families and args.family_seed == gen.FRESH_SEED:
        parser.error("the default family seed is never inspected: pass another --family-seed")
    service.confirm_by_second_reading = _observe
    if args.fresh_families:
        fams, ids = fresh_families(args.fresh_families, args.family_seed), frozenset()
    else:
        fams, ids = None, frozenset(read_split()["tuned"])
    cases = []
    for seed in (int(s) for s in args.seeds.split(",")):
        cases += gen.build_cases(
            seed,
            args.per_channel,
            scans=True,
            fams=fams,
            channels=frozenset({"scan", "emailed_scan"}),
            family_ids=ids,
        )
    with Pool(args.jobs) as pool:
        rows = [r for found in pool.map(_measure, cases) for r in found]
    tally: Counter = Counter()
    for path, agreed, right, what in rows:
        if agreed and not right:
            print("agreed, wrong:", what)
        name = re.sub(r"\[\d+\]", "[]", path)
        for key in (name, f"kind:{field_kind(path)}", "ALL"):
            tally[key, agreed, right] += 1
    print(f"{len(cases)} documents; fields capped by their OCR words, read a second time:")
    print(f"{'field':<40} {'agree':>6} {'right':>6} {'share':>7} | {'differ':>6} {'right':>6}")
    for key in sorted({k for k, _, _ in tally}):
        agree = tally[key, True, True] + tally[key, True, False]
        differ = tally[key, False, True] + tally[key, False, False]
        share = f"{tally[key, True, True] / agree:.3f}" if agree else "-"
        print(f"{key:<40} {agree:>6} {tally[key, True, True]:>6} {share:>7} | {differ:>6} {tally[key, False, True]:>6}")


if __name__ == "__main__":
    main()
