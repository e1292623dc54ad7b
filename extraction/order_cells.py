"""A table row's cells sorted by what they hold: codes apart from descriptions and line numbers, customers' part
numbers set aside, and the price or quantity a column lost found again by qty x price = amount (orders.py reads
the rows; these rules mend their cells)."""

from __future__ import annotations

import re
from dataclasses import replace
from decimal import Decimal

from o2c.core.money import parse_amount
from o2c.extraction.evidence import Evidence
from o2c.extraction.fields import amount_in
from o2c.extraction.grounding import Grounding
from o2c.extraction.linecells import (
    agrees,
    code_in_words,
    factor_from_row,
    numbers_in,
    quantity_cell_at_end,
    split_code_cell,
)
from o2c.extraction.normalize import clean_text
from o2c.extraction.pages import Word
from o2c.extraction.schema import OrderLine
from o2c.extraction.tables import IGNORED


def quantity_cell_in_description(line: OrderLine, row, path: str, evidence: Evidence, decimal_comma) -> None:
    """The quantity cell's words found at the end of the description (linecells.quantity_cell_at_end) go back:
    the unit is the line's, the rest is the description."""
    found = quantity_cell_at_end(row.cells.get("description", []), line.quantity, decimal_comma)
    if found is None:
        return
    keep, tail, unit = found
    line.description = clean_text(" ".join(w.text for w in keep))
    evidence.record(f"{path}.description", 0.9, keep, page=row.page)
    if not line.uom:
        line.uom = unit
        evidence.record(f"{path}.uom", 0.85, tail, page=row.page)


def sort_code_cells(row, names: set[str], grounding: Grounding | None) -> None:
    """A SKU cell holds the code only: a glued line number goes, description words move to the description."""
    sku_words = row.cells.get("sku")
    if sku_words:
        code, spill = split_code_cell(sku_words, grounding)
        row.cells["sku"] = code
        if spill:
            row.cells["description"] = spill + row.cells.get("description", [])
    if grounding is not None:  # a customer's part number printed in the description is not part of it
        desc = row.cells.get("description", [])
        parts = [w for w in desc if grounding.known_code(w.text) and not grounding.known_sku(w.text)]
        if parts:
            row.cells["description"] = [w for w in desc if w not in parts]
            row.cells.setdefault(IGNORED, []).extend(parts)
    if sku_words:
        if grounding is None or grounding.known_sku("".join(w.text for w in code)):
            return
        row.cells[IGNORED] = row.cells.get(IGNORED, []) + code  # a customer's part number, or a misread
        row.cells.pop("sku")
        if code_in_words(row.cells[IGNORED], grounding) is None and not any(
            code_in_words(row.cells.get(n, []), grounding) is not None for n in ("description", "uom")
        ):
            row.cells["sku"] = code  # no SKU of ours anywhere in the row: keep what the SKU column says
            row.cells[IGNORED] = row.cells[IGNORED][: -len(code)]
            return
    for name in ("description", IGNORED, "uom"):  # no SKU column read: a known code printed in another one
        words = row.cells.get(name, [])
        k = code_in_words(words, grounding)
        if k is not None:
            row.cells["sku"] = [words[k]]
            if name == "description" and k == len(words) - 1:
                rest = words[:k]  # 'Ball gasket 12V 057216': the code printed after the description
            elif name == "description" or k == 0 or _LINE_NO.fullmatch(words[0].text):
                rest = words[k + 1 :]
            else:
                rest = words[:k] + words[k + 1 :]
            if name != "description":  # 'ABC-123 Compact' under an item header: the words are the description's
                after = words[k + 1 :]
                n = next((j for j, w in enumerate(after) if not re.search(r"[a-z]{2}", w.text)), len(after))
                if n:
                    row.cells["description"] = _reading_order(after[:n] + row.cells.get("description", []))
                    rest = [w for w in rest if w not in after[:n]]
            row.cells[name] = rest
            return


_LINE_NO = re.compile(r"\d{1,3}\.?")


def set_aside_line_numbers(rows) -> None:
    """A line-number column the header did not name ('N°') falls into the description: numbers opening every
    row's description that count up in even steps (1, 2, 3 or 10, 20, 30) are line numbers, not words."""
    if len(rows) < 2:
        return
    firsts = [(row.cells.get("description") or [None])[0] for row in rows]
    if any(w is None or not _LINE_NO.fullmatch(w.text) for w in firsts):
        return
    numbers = [int(w.text.rstrip(".")) for w in firsts]
    steps = {b - a for a, b in zip(numbers, numbers[1:], strict=False)}
    if len(steps) == 1 and next(iter(steps)) > 0 and numbers[0] == next(iter(steps)):
        for row, word in zip(rows, firsts, strict=True):
            row.cells["description"].remove(word)
            row.cells.setdefault(IGNORED, []).append(word)


def _reading_order(words: list[Word]) -> list[Word]:
    """A cell's words line by line (a wrapped line below its first), left to right within a line."""
    if not words:
        return words
    height = sorted(w.height for w in words)[len(words) // 2]
    first = min((w.top + w.bottom) / 2 for w in words)
    return sorted(words, key=lambda w: (round(((w.top + w.bottom) / 2 - first) / height), w.x0))


def recover_by_arithmetic(
    line: OrderLine, row, used: list[Word], path: str, evidence: Evidence, decimal_comma: bool | None
) -> None:
    """A price (or quantity) whose column was not read, found among the row's other numbers by qty x price = amount;
    a price column that held something else (a tax rate under 'Rate') gives way to the number that agrees."""
    if line.amount is None:
        return
    price_cell = row.cells.get("unit_price", [])
    if line.quantity is None and len(price_cell) == 2:  # '3 | 854,76' under a squeezed 'CANT.PRECIO': two cells
        qty, (price, words) = parse_amount(price_cell[0].text, decimal_comma), amount_in(price_cell[1:], decimal_comma)
        if agrees(qty, price, line.amount) and not agrees(Decimal(1), line.unit_price, line.amount):
            line.quantity, line.unit_price = qty, price
            evidence.record(f"{path}.quantity", 0.85, price_cell[:1], page=row.page)
            evidence.record(f"{path}.unit_price", 0.85, words, page=row.page)
            return
    spare = [w for w in row.words() + row.cells.get(IGNORED, []) if w not in used]
    candidates = numbers_in(spare, decimal_comma)
    if line.unit_price is not None and line.quantity is not None:
        found = (
            None
            if agrees(line.quantity, line.unit_price, line.amount)
            else factor_from_row(line.quantity, line.amount, candidates)
        )
        if found:
            evidence.warnings.append(
                f"{path}: price cell read {line.unit_price}, {found[0]} makes qty x price = amount"
            )
            line.unit_price = found[0]
            evidence.record(f"{path}.unit_price", 0.85, [found[1]], page=row.page)
        return
    if line.unit_price is None and line.quantity is not None:
        found = factor_from_row(line.quantity, line.amount, candidates)
        if found:
            line.unit_price = found[0]
            evidence.record(f"{path}.unit_price", 0.85, [found[1]], page=row.page)
    elif line.quantity is None and line.unit_price is not None:
        found = factor_from_row(line.unit_price, line.amount, candidates)
        if found:
            line.quantity = found[0]
            evidence.record(f"{path}.quantity", 0.85, [found[1]], page=row.page)


def unglue_codes(words: list[Word], grounding: Grounding | None) -> list[Word]:
    """Two codes printed without a gap in a squeezed table ('2038-74282HMJ84660': a customer's part number
    against our SKU) are two words again where master data knows both halves; other words stay as they are."""
    if grounding is None or grounding.empty:
        return words
    out: list[Word] = []
    for word in words:
        text = word.text
        cut = None
        if len(text) >= 8 and re.search(r"\d", text) and grounding.known_code(text) is None:
            cut = next(
                (
                    k
                    for k in range(3, len(text) - 2)
                    if grounding.known_code(text[:k]) and grounding.known_code(text[k:])
                ),
                None,
            )
        if cut is None:
            out.append(word)
            continue
        at = word.x0 + (word.x1 - word.x0) * cut / len(text)
        out.append(replace(word, text=text[:cut], x1=at, span=None))
        out.append(replace(word, text=text[cut:], x0=at, span=None))
    return out
