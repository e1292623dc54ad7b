"""Order rows found by their arithmetic where no header named the columns: a line holding a code and three numbers
with qty x price = amount, and on a scan, a line beside such rows that agrees once one misread cell is mended."""

from __future__ import annotations

import re

from o2c.core.money import parse_amount
from o2c.extraction.evidence import Evidence
from o2c.extraction.grounding import Grounding
from o2c.extraction.layout import Line
from o2c.extraction.linecells import REPAIRED_CONFIDENCE, agrees, folded_number, looks_code, looks_uom, row_repairs
from o2c.extraction.normalize import clean_text
from o2c.extraction.order_cells import unglue_codes
from o2c.extraction.pages import OCR, Word
from o2c.extraction.schema import ExtractedOrder, OrderLine


def read_rows_by_arithmetic(
    order: ExtractedOrder,
    lines: list[Line],
    consumed: set[int],
    evidence: Evidence,
    decimal_comma: bool | None,
    grounding: Grounding | None,
) -> dict[str, float]:
    """No header named the columns: a row is a line holding a code and three numbers with qty x price = amount.

    On a scan, a line a row's height before, among or after such rows that agrees once one of its numbers is mended
    (linecells.row_repairs: exactly one repair over the line's candidate cells) is a row too, so one misread digit
    does not drop a row and shift every row after it. Returns the mended paths with the confidence they keep
    unless the document's total confirms the lines (as orders' row repairs)."""
    reads: dict[int, tuple] = {}
    for k, line in enumerate(lines):
        if id(line) not in consumed:
            read = row_by_arithmetic(unglue_codes(line.words, grounding), decimal_comma, grounding)
            if read is not None:
                reads[k] = read
    fixed_at: dict[int, str] = {}  # line index -> the cell mended
    if len(reads) >= 2:
        found = sorted(reads)
        # a row's lines, wrapped descriptions included (at most three: further away is no longer the table)
        step = min(3, max(b - a for a, b in zip(found, found[1:], strict=False)))
        for k in range(found[0] - step, found[-1] + step + 1):
            beside = lines[k] if 0 <= k < len(lines) else None
            if k in reads or beside is None or id(beside) in consumed or evidence.page_sources.get(beside.page) != OCR:
                continue
            fixed: list[str] = []
            read = row_by_arithmetic(unglue_codes(beside.words, grounding), decimal_comma, grounding, mended=fixed)
            if read is not None:
                reads[k], fixed_at[k] = read, fixed[0]
    mended: dict[str, float] = {}
    for k in sorted(reads):
        line, read = lines[k], reads[k]
        path = f"order.lines[{len(order.lines)}]"
        (qty, qw), (price, pw), (amount, aw), code, desc, uom = read
        desc = desc + _wrapped_description(lines, k, desc, qw, consumed)
        item = OrderLine(sku=code.text.strip(",;:"), quantity=qty, unit_price=price, amount=amount)
        evidence.record(f"{path}.sku", 0.85, [code], page=line.page)
        for name, word in (("quantity", qw), ("unit_price", pw), ("amount", aw)):
            evidence.record(f"{path}.{name}", 0.85, [word], page=line.page)
        if desc:
            item.description = clean_text(" ".join(w.text for w in desc))
            evidence.record(f"{path}.description", 0.8, desc, page=line.page)
        if uom:
            item.uom = uom.text.strip(".,")
            evidence.record(f"{path}.uom", 0.8, [uom], page=line.page)
        if k in fixed_at:
            mended[f"{path}.{fixed_at[k]}"] = REPAIRED_CONFIDENCE
            evidence.warnings.append(f"line {len(order.lines) + 1}: {fixed_at[k]} mended by one OCR digit")
        order.lines.append(item)
    return mended


def row_by_arithmetic(
    words: list[Word], decimal_comma: bool | None, grounding: Grounding | None, *, mended: list[str] | None = None
):
    """(qty, price, amount, code, description, unit) of a line that is an order row by its arithmetic, else None.

    mended: where given, a line whose one cell admits the only repair (linecells.row_repairs) over all its
    candidate cells is read with that cell mended, and the cell's name is appended to it."""
    # a look-alike glyph in a number ('§.919,76') counts only inside a triple whose arithmetic agrees (below)
    numbers = [
        (i, v, w)
        for i, (v, w) in enumerate(
            (parse_amount(w.text, decimal_comma) or folded_number(w.text, decimal_comma), w) for w in words
        )
        if v is not None and not looks_code(w.text)
    ]
    if len(numbers) < 3:
        return None
    code_at = _item_code_at(words, grounding)
    if code_at is None:
        return None
    ai, amount, aw = numbers[-1]
    fits = []
    for qi, qty, qw in numbers[:-1]:
        for pi, price, pw in numbers:
            if not qi < pi < ai or qi <= code_at:
                continue
            if agrees(qty, price, amount) and (price != amount or qty == 1):
                return _arithmetic_row(words, code_at, qi, (qty, qw), (price, pw), (amount, aw), grounding)
            if mended is not None:
                fits += [(name, value, qi, (qty, qw), (price, pw)) for name, value in row_repairs(qty, price, amount)]
    if len(fits) != 1:
        return None
    [(name, value, qi, (qty, qw), (price, pw))] = fits
    cells = {"quantity": qty, "unit_price": price, "amount": amount, name: value}
    mended.append(name)  # type: ignore[union-attr]  # fits are only gathered where mended is a list
    return _arithmetic_row(
        words, code_at, qi, (cells["quantity"], qw), (cells["unit_price"], pw), (cells["amount"], aw), grounding
    )


def _arithmetic_row(words: list[Word], code_at: int, qi: int, quantity, price, amount, grounding: Grounding | None):
    desc = (
        [w for w in words[code_at + 1 : qi] if re.search(r"[^\W\d_]", w.text) and not _other_code(w.text, grounding)]
        or [  # the description printed before the code ('1  Sealed pulley  ZW-054-B  25 ...')
            w for w in words[:code_at] if re.search(r"[^\W\d_]", w.text) and not _other_code(w.text, grounding)
        ]
    )
    after = words[qi + 1] if qi + 1 < len(words) else None
    before = words[qi - 1] if qi > 0 else None
    uom = (
        after
        if after is not None and looks_uom(after.text)
        else (before if before is not None and looks_uom(before.text) and before in desc else None)
    )
    if uom in desc:
        desc.remove(uom)
    return quantity, price, amount, words[code_at], desc, uom


def _wrapped_description(
    lines: list[Line], li: int, desc: list[Word], qty_word: Word, consumed: set[int]
) -> list[Word]:
    """Words wrapped onto the lines just below a row read by arithmetic ('Nylon seal' over 'kit 12V'): lines
    of words only, tight under the row, inside the description's left edge and the quantity's."""
    if not desc:
        return []
    found: list[Word] = []
    above = lines[li]
    for below in lines[li + 1 : li + 3]:
        if (
            id(below) in consumed
            or below.page != above.page
            or below.top - above.bottom > 0.8 * below.height
            or any(w.x0 < desc[0].x0 - 2 or w.x1 > qty_word.x0 for w in below.words)
            or any(re.fullmatch(r"[$€£(-]?\d[\d.,]*[%)]?", w.text) for w in below.words)
        ):
            break
        found.extend(below.words)
        consumed.add(id(below))
        above = below
    return found


def _item_code_at(words: list[Word], grounding: Grounding | None) -> int | None:
    """Which word of a row is the item code: one of our SKUs, else a customer's part number master data knows,
    else the first code-looking word. A customer's part number printed beside our SKU is not the item."""
    if grounding is not None:
        for known in (grounding.known_sku, grounding.known_code):
            at = next((i for i, w in enumerate(words) if known(w.text)), None)
            if at is not None:
                return at
    return next((i for i, w in enumerate(words) if looks_code(w.text)), None)


def _other_code(text: str, grounding: Grounding | None) -> bool:
    """A second code in a row (a customer's part number beside our SKU): no description word."""
    return grounding is not None and looks_code(text) and grounding.known_code(text) is not None
