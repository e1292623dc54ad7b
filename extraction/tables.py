"""Tables: a header row names the columns (any order); rows are read by x-overlap with the header cells."""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace

from o2c.core.money import parse_amount
from o2c.extraction.layout import MAX_LABEL_WORDS, LabelSet, Line, bbox, compact
from o2c.extraction.pages import Word

NUMERIC = {"quantity", "unit_price", "net_unit_price", "amount", "amount_paid", "discount", "invoice_amount"}
IGNORED = "_ignored"


@dataclass
class Column:
    """One header cell: the field it names and its horizontal extent."""

    name: str
    x0: float
    x1: float


@dataclass
class Row:
    """One table row: cell words per column, plus the page it sits on."""

    page: int
    cells: dict[str, list[Word]] = field(default_factory=dict)

    def text(self, name: str) -> str | None:
        """A cell's text, or None when empty."""
        words = self.cells.get(name)
        return " ".join(w.text for w in words) if words else None

    def words(self) -> list[Word]:
        """Every word of the row."""
        return [w for name, ws in self.cells.items() if name != IGNORED for w in ws]

    def bbox(self, name: str) -> list[float] | None:
        """The box of one cell."""
        words = self.cells.get(name)
        return bbox(words) if words else None


@dataclass
class Table:
    """Rows read under one or more header rows (a table may continue across pages)."""

    columns: list[Column]
    rows: list[Row] = field(default_factory=list)
    line_ids: set[int] = field(default_factory=set)  # lines consumed (header and rows)
    names: set[str] = field(default_factory=set)  # every column any of its header rows named


def find_header(line: Line, columns: LabelSet, *, min_columns: int = 3) -> list[Column] | None:
    """The columns a line names when it is a table header, else None.

    Labels are matched cell by cell, so a label never reaches over a column gap ('Invoice  Date' is two columns,
    not the label 'Invoice Date'; 'Discount  Amount Paid' is not 'Discount Amount' + 'Paid'), else along the
    whole line. A header that only the cells make must name a money column: 'Qty  Item  Description' on a
    packing slip is no order table."""
    found = _header_cells([line.words], columns, min_columns)
    if len(line.segments) > 1:
        cells = _header_cells(line.segments, columns, min_columns)
        if cells is not None and (found is not None or any(c.name in MONEY for c in cells)):
            found = cells
    unglued = _unglued(line.words, columns)
    if unglued is not None:
        again = _header_cells([unglued], columns, min_columns)
        if again is not None and (found is None or len(_named(again)) > len(_named(found))):
            return again
    return found


def _named(found: list[Column]) -> set[str]:
    return {c.name for c in found if c.name != IGNORED}


def _unglued(words: list[Word], columns: LabelSet) -> list[Word] | None:
    """A squeezed header prints two cells without a gap ('CLIENTEREFERENCIA', 'No.Quantity', 'CANT.PRECIO'):
    a word that is no label but ends in one is cut in two there, its box shared by characters. None when no
    word needed cutting."""
    out: list[Word] = []
    changed = False
    for word in words:
        cut = _label_cut(word, columns)
        out.extend(cut or [word])
        changed = changed or cut is not None
    return out if changed else None


_GLUED = re.compile(r"[a-zà-ÿ][A-ZÀ-Ý]|[.:/][^\W\d_]{2}|^[^\W\d_a-zà-ÿ]{8,}$")  # where two cells' words may meet


def _label_cut(word: Word, columns: LabelSet) -> list[Word] | None:
    text = word.text
    if len(text) < 5 or not _GLUED.search(text) or _whole_label(text, columns):
        return None
    for k in range(2, len(text) - 2):  # the longest tail that is a whole label, with a head of two letters or more
        head, tail = text[:k], text[k:]
        if len(compact(head)) >= 2 and len(compact(tail)) >= 3 and _whole_label(tail, columns):
            at = word.x0 + (word.x1 - word.x0) * k / len(text)
            return [replace(word, text=head, x1=at, span=None), replace(word, text=tail, x0=at, span=None)]
    return None


def _whole_label(text: str, columns: LabelSet) -> bool:
    hit = columns.match_at([Word(text, 0, 0, 0, 0)], 0)
    return hit is not None and compact(text) in (hit[2], hit[2] + "#")


MONEY = NUMERIC - {"quantity"}


def _header_cells(runs: list[list[Word]], columns: LabelSet, min_columns: int) -> list[Column] | None:
    found: list[Column] = []
    unmatched = 0
    later = sum(len(words) for words in runs)  # words of this run and the runs after it
    for words in runs:
        later -= len(words)
        i = 0
        loose: int | None = None  # the first of the unmatched words just before words[i], in one header cell
        while i < len(words):
            hit = columns.match_at(words, i)
            if hit:
                name, n, _ = hit
                # 'OUR ITEM', 'Buyer Part No.': a word the lexicon lacks, tight before a label, is the same cell's,
                # and the cell's values start under it
                start = words[loose].x0 if loose is not None else words[i].x0
                found.append(Column(name, start, words[i + n - 1].x1))
                i += n
                loose = None
            else:
                unmatched += 1
                if unmatched > len(found) + len(words) - i - 1 + later:
                    return None  # more words unmatched than the rest could match: no header (as decided below)
                if loose is None or words[i].x0 - words[i - 1].x1 > words[i].height:
                    loose = i
                i += 1
            if loose is not None and i < len(words) and words[i].x0 - words[i - 1].x1 > words[i].height:
                loose = None  # a column gap: the loose words are a cell of their own
    names = {c.name for c in found if c.name != IGNORED}
    # two named columns beside an ignored one ('Amount Paid | Invoice # | Invoice Date') make a header too
    small = len(names) >= 2 and len(found) >= 3 and not unmatched
    if (len(names) < min_columns and not small) or unmatched > len(found):
        return None
    # the same name twice: keep the first (e.g. 'Item' as sku beside 'Item Description')
    seen: set[str] = set()
    unique = []
    for c in found:
        if c.name in seen and c.name != IGNORED:
            c = Column(IGNORED, c.x0, c.x1)
        seen.add(c.name)
        unique.append(c)
    return unique


def read_table(
    lines: list[Line],
    columns: LabelSet,
    stop: LabelSet,
    *,
    required: set[str],
    decimal_comma: bool | None,
    pairs: frozenset[frozenset[str]] = frozenset(),
) -> Table | None:
    """The first table in lines: rows until a totals row, a wide gap or stray text; later pages continue it.

    A header may be one line or a band of stacked lines ('Net Unit' over 'Price'). Stray text between rows
    (notes, references printed inside a tall row) is passed over when a row of the same shape follows below.
    """
    table: Table | None = None
    open_page: int | None = None
    last_bottom = 0.0
    header_band: set[int] = set()
    interrupted = False  # stray text was passed over: what follows is no wrap of the previous row
    for li, line in enumerate(lines):
        if id(line) in header_band:
            continue
        header = find_header(line, columns) or _pair_header(line, columns, pairs)
        band: list[Line] = [line]
        if not header and (table is None or line.page != open_page):
            band = _header_band(lines, li)
            header = find_stacked_header(band, columns) if len(band) > 1 else None
        if header and required & {c.name for c in header} == required:
            if table is None:
                table = Table(header)
            table.columns = header
            table.names |= {c.name for c in header}
            table.line_ids |= {id(b) for b in band}
            header_band = {id(b) for b in band}
            open_page, last_bottom, interrupted = line.page, band[-1].bottom, False
            continue
        if table is None or open_page is None:
            continue
        if line.page != open_page:
            if not table.rows:
                open_page = None
                continue
            open_page, last_bottom = line.page, line.top - line.height  # the table may go on over the page
            continued = True
        else:
            continued = False
        if _is_stop(line, stop):
            open_page = None
            continue
        cells = assign(line, table.columns)
        numeric = _numeric(cells, decimal_comma)
        gap = line.top - last_bottom
        if _is_row(cells, numeric, required, continued, bool(table.rows)):
            if gap > 6 * line.height and table.rows:
                open_page = None
                continue
            table.rows.append(Row(line.page, cells))
            table.line_ids.add(id(line))
            last_bottom, interrupted = line.bottom, False
        elif table.rows and not interrupted and not numeric and gap < 1.2 * line.height and _is_wrap(cells):
            previous = table.rows[-1]
            for name, words in cells.items():
                previous.cells.setdefault(name, []).extend(words)
            table.line_ids.add(id(line))
            last_bottom = line.bottom
        elif continued:
            open_page = line.page  # a running page header above the continued rows: skip it
        elif table.rows and gap <= 3 * line.height and _row_follows(lines, li, table, stop, required, decimal_comma):
            interrupted, last_bottom = True, line.bottom
        elif table.rows or gap > 3 * line.height:
            open_page = None
    return table


def _pair_header(line: Line, columns: LabelSet, pairs: frozenset[frozenset[str]]) -> list[Column] | None:
    """A two-column header that is a table on its own ('Invoice No. | Net Paid'): every word part of a label."""
    if not pairs:
        return None
    found = find_header(line, columns, min_columns=2)
    if found and frozenset(c.name for c in found) in pairs:
        return found
    return None


def _numeric(cells: dict[str, list[Word]], decimal_comma: bool | None) -> list[str]:
    return [n for n in cells if n in NUMERIC and _has_number(cells[n], decimal_comma)]


def _is_row(
    cells: dict[str, list[Word]], numeric: list[str], required: set[str], continued: bool, has_rows: bool
) -> bool:
    """A row prints numbers; after the first, a lone number with the required cells empty is no row."""
    if not numeric:
        return False
    if len(numeric) >= 2:
        return True
    if continued:
        return False
    return not has_rows or _has_required(cells, numeric, required)


def _has_required(cells: dict[str, list[Word]], numeric: list[str], required: set[str]) -> bool:
    """Every required cell is filled, and a required number column holds a number."""
    return all(cells.get(name) and (name not in NUMERIC or name in numeric) for name in required)


def _row_follows(
    lines: list[Line],
    li: int,
    table: Table,
    stop: LabelSet,
    required: set[str],
    decimal_comma: bool | None,
    *,
    reach: int = 30,
) -> bool:
    """Whether a full row (the required columns and one more number) follows on this page before a break: an
    order's row a quantity and another number, a remittance's an invoice number and a number (its paid amount)."""
    previous = lines[li]
    for below in lines[li + 1 : li + 1 + reach]:
        if below.page != previous.page or below.top - previous.bottom > 3 * below.height or _is_stop(below, stop):
            return False
        cells = assign(below, table.columns)
        numeric = _numeric(cells, decimal_comma)
        if _has_required(cells, numeric, required) and set(numeric) - required:
            return True
        previous = below
    return False


def _header_band(lines: list[Line], li: int, *, most: int = 6) -> list[Line]:
    """Lines stacked tightly under lines[li] (less than half a line apart): one header printed over several."""
    band = [lines[li]]
    for below in lines[li + 1 : li + most]:
        last = band[-1]
        if below.page != last.page or below.top - last.bottom >= 0.5 * last.height:
            break
        band.append(below)
    return band


def _cell_name(words: list[Word], columns: LabelSet, seen: set[str]) -> str:
    """The field a whole header cell names; else the one its last words name ('Requested Qty' -> quantity)."""
    for i in range(max(0, len(words) - MAX_LABEL_WORDS), len(words)):  # only these can end at the cell's end
        hit = columns.match_at(words, i)
        if hit and i + hit[1] == len(words):
            return hit[0] if hit[0] not in seen else IGNORED
    return IGNORED


def find_stacked_header(band: list[Line], columns: LabelSet, *, min_columns: int = 3) -> list[Column] | None:
    """The columns of a header whose cells wrap over several lines: segments overlapping in x form one cell.

    Every cell is a column; a cell that names nothing we read is kept as an ignored column, so the words under
    it (a discount printed beside the unit price) do not spill into a neighbour.
    """
    boxes = sorted(
        ((seg[0].x0, seg[-1].x1, [w for w in seg]) for line in band for seg in line.segments), key=lambda b: b[0]
    )
    cells: list[list] = []
    for x0, x1, words in boxes:
        if cells and x0 < cells[-1][1]:
            cells[-1][1] = max(cells[-1][1], x1)
            cells[-1][2].extend(words)
        else:
            cells.append([x0, x1, list(words)])
    found: list[Column] = []
    named = 0
    seen: set[str] = set()
    for x0, x1, words in cells:
        words.sort(key=lambda w: (round(w.top), w.x0))
        name = _cell_name(words, columns, seen)
        if name != IGNORED:
            named += 1
            seen.add(name)
        found.append(Column(name, x0, x1))
    return found if named >= min_columns else None


def _is_stop(line: Line, stop: LabelSet) -> bool:
    return any(stop.match_at(seg, 0) for seg in line.segments)


def _is_wrap(cells: dict[str, list[Word]]) -> bool:
    return bool(cells) and set(cells) <= {"description", "sku", "item", IGNORED}


def _has_number(words: list[Word], decimal_comma: bool | None) -> bool:
    return any(parse_amount(w.text, decimal_comma) is not None for w in words)


def assign(line: Line, columns: list[Column]) -> dict[str, list[Word]]:
    """Each word goes to the column whose region it sits in: from its header's left edge to the next header's.

    Regions rather than header overlap, because numbers are printed right-aligned under left-aligned headers
    (and right-aligned headers sit over right-aligned numbers, which regions handle as well).
    """
    ordered = sorted(columns, key=lambda c: c.x0)
    cells: dict[str, list[Word]] = {}
    segment_of = {id(w): k for k, seg in enumerate(line.segments) for w in seg}
    previous: tuple[Word, Column] | None = None
    for word in line.words:
        centre = (word.x0 + word.x1) / 2
        chosen = ordered[0]
        for column in ordered:
            if centre >= column.x0 - 2:
                chosen = column
        # a wide right-aligned number under a short right-aligned header ('24,000.00' under 'Ext') reaches left
        # of that header's start: the header it sits under wins over the region its centre falls in
        under, most = ordered[0], 0.0  # the column overlapping it most, the leftmost of equals
        for column in ordered:
            overlap = min(word.x1, column.x1) - max(word.x0, column.x0)
            if overlap > most:
                under, most = column, overlap
        if under is not chosen and most > 0.5 * min(word.x1 - word.x0, under.x1 - under.x0):
            chosen = under
        if (
            previous
            and chosen is not previous[1]
            and chosen.name in NUMERIC
            and previous[1].name not in NUMERIC
            and segment_of.get(id(word)) == segment_of.get(id(previous[0]))
            and parse_amount(word.text) is None
        ):
            chosen = previous[1]  # 'M8' ending a description under a wide right-aligned 'Quantity' header
        cells.setdefault(chosen.name, []).append(word)
        previous = (word, chosen)
    return cells
