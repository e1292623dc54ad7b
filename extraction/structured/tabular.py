"""CSV and XLSX remittance files: columns found by header synonyms, one remittance per payment reference."""

from __future__ import annotations

import csv
import io
import math
import re
import zipfile
import zlib
from datetime import date, datetime
from decimal import Decimal

from o2c.core.money import parse_amount
from o2c.extraction.errors import UnreadableDocument
from o2c.extraction.lexicon import labels
from o2c.extraction.normalize import GUESSED_DATE, decide_date_order, guessed_order, parse_date
from o2c.extraction.schema import REMITTANCE_ADVICE, ExtractedRemittance, Extraction, RemittanceItem
from o2c.extraction.structured.common import COMPUTED, READ, FieldLog
from o2c.extraction.structured.xlsx_zip import inspect_xlsx_zip

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
_HEADER_ROWS = 15
_BROKEN_XLSX = (
    zipfile.BadZipFile,
    zlib.error,
    EOFError,
    KeyError,
    ValueError,
    TypeError,
    IndexError,
    AttributeError,
    OSError,
    SyntaxError,
)  # SyntaxError: xml.etree's ParseError
_MAX_ROWS = 100_000
# normalized header (lower case, letters and digits only) -> field; earlier synonyms win a tie
COLUMNS = {
    "invoice_number": [
        "invoicenumber",
        "invoiceno",
        "invoicenr",
        "invoice",
        "invoiceid",
        "invoiceref",
        "invoicereference",
        "yourinvoice",
        "yourinvoiceno",
        "invno",
        "invnumber",
        "inv",
        "documentnumber",
        "documentno",
        "docno",
        "rechnungsnummer",
        "rechnungsnr",
        "rechnung",
        "belegnummer",
        "numerofacture",
        "facture",
    ],
    "amount_paid": [
        "amountpaid",
        "paidamount",
        "paymentamount",
        "amountremitted",
        "remittedamount",
        "netpaid",
        "paid",
        "remitted",
        "payment",
        "netamount",
        "amount",
        "net",
        "zahlbetrag",
        "bezahlt",
        "betrag",
        "montantpaye",
    ],
    "discount": ["discount", "discounttaken", "discountamount", "cashdiscount", "disc", "skonto"],
    "invoice_amount": [
        "invoiceamount",
        "invoicetotal",
        "grossamount",
        "gross",
        "originalamount",
        "invamount",
        "amountdue",
        "rechnungsbetrag",
        "brutto",
    ],
    "po_number": ["ponumber", "pono", "po", "purchaseorder", "purchaseordernumber", "bestellnummer"],
    "payment_reference": [
        "paymentreference",
        "paymentref",
        "paymentnumber",
        "paymentno",
        "paymentid",
        "checknumber",
        "checkno",
        "check",
        "chequenumber",
        "chequeno",
        "tracenumber",
        "checkeft",
        "checkeftno",
        "checkeftnumber",
        "eft",
        "eftno",
        "eftnumber",
        "eftreference",
        "zahlungsreferenz",
    ],
    "payment_date": [
        "paymentdate",
        "datepaid",
        "paidon",
        "valuedate",
        "checkdate",
        "chequedate",
        "zahlungsdatum",
        "paydate",
        "paymentdt",
        "eftdate",
        "remittancedate",
        "settlementdate",
    ],
    "payer_name": ["payername", "payer", "paidby", "remitter", "customername", "customer", "zahler"],
    "currency": ["currency", "ccy", "curr", "währung"],
    "payment_method": ["paymentmethod", "method", "paymenttype", "zahlungsart"],
}
# the lexicon's labels for the same fields (one data file for every reader), less the words too generic for a
# spreadsheet header on their own ('Date' beside 'Invoice Date' is the invoice's)
_GENERIC = {
    "date",
    "datum",
    "fecha",
    "data",
    "from",
    "to",
    "customer",
    "company",
    "kunde",
    "client",
    "cliente",
    "amount",
    "betrag",
    "montant",
    "importe",
    "importo",
    "bedrag",
    "method",
}
for _section, _names in (
    ("item_columns", ("invoice_number", "amount_paid", "discount", "invoice_amount", "po_number")),
    ("remittance", ("payment_reference", "payment_date", "payer_name", "currency", "payment_method")),
):
    for _name in _names:
        for _label in labels(_section)[_name]:
            _key = "".join(c for c in _label.lower() if c.isalnum())
            if _key and _key not in _GENERIC and not any(_key in keys for keys in COLUMNS.values()):
                COLUMNS[_name].append(_key)
_STATED_AMOUNT = ["paymentamount", "amountpaid", "totalpaid", "totalpayment", "amount", "total", "zahlbetrag"]
_HEADER_FIELDS = ("payment_reference", "payment_date", "payer_name", "currency", "payment_method")
_TOTAL_ROW = re.compile(r"(?i)^\s*((grand|sub)[\s-]*)?totals?\b|^\s*(zwischen)?sum(me)?\b|^\s*gesamt")
_AMOUNT_FIELDS = ("amount_paid", "discount", "invoice_amount")
# an amount cell is digits, separators, a sign or parentheses, and at most a currency symbol, an ISO code apart by
# a space, or a trailing CR: 'INV10001' is not the amount 10001 (parse_amount alone drops the letters)
_CURRENCY_TOKENS = re.compile(r"^[A-Z]{3}\s+|\s+[A-Z]{3}$|(?i:\s*\bCR\.?$)|[$€£¥]")
_MONEY_CORE = re.compile(r"[(+-]?\s*\d[\d.,'\s\u00a0\u202f]*\)?\s*-?")
_CENTS = re.compile(r"[.,]\d{1,2}\s*\)?\s*-?$")
_GROUPED_3 = re.compile(r"^[(+-]?\s*\d{1,3}[.,]\d{3}\s*\)?\s*-?$")  # '1.000', '1,234': thousands or decimals?
UNSURE_SEPARATOR = 0.5  # '1.000' in a table whose other cells do not say which mark is the decimal one


def normalize_header(text: str) -> str:
    """'Invoice No.' -> 'invoiceno'."""
    return "".join(c for c in str(text).lower() if c.isalnum())


def read_rows(content: bytes, media_type: str) -> list[list[object]]:
    """The file's rows (first sheet for XLSX); values are str, or date/number as the spreadsheet holds them."""
    if media_type == XLSX:
        try:
            return _xlsx_rows(content)
        except _BROKEN_XLSX as exc:  # openpyxl lets zip, zlib and XML errors through as they are
            raise UnreadableDocument(f"XLSX workbook cannot be read: {exc}", reason="malformed") from exc
    text = _decode(content)
    # the delimiter is the one under which a remittance header appears (a preamble confuses csv.Sniffer)
    candidates = {d: _csv_rows(text, d) for d in ",;\t|"}
    for rows in candidates.values():
        if find_header(rows) is not None:
            return rows
    return candidates[","]


def find_header(rows: list[list[object]]) -> tuple[int, dict[str, int]] | None:
    """(row index, field -> column) of the first row naming an invoice column and a paid-amount column."""
    for r, row in enumerate(rows[:_HEADER_ROWS]):
        keys = [normalize_header(c) if isinstance(c, str) else "" for c in row]
        columns: dict[str, int] = {}
        for name, synonyms in COLUMNS.items():
            ranked = [(synonyms.index(k), i) for i, k in enumerate(keys) if k in synonyms]
            if ranked:
                columns[name] = min(ranked)[1]
        if "invoice_number" in columns and "amount_paid" in columns:
            return r, columns
    return None


def missing_header_note(content: bytes, media_type: str) -> str:
    """Why a table is not read as a remittance, in words: which columns its best header row names."""
    rows = read_rows(content, media_type)
    best: tuple[int, list[str]] = (0, [])
    for r, row in enumerate(rows[:_HEADER_ROWS], start=1):
        keys = {normalize_header(c) for c in row if isinstance(c, str)}
        named = [name for name, synonyms in COLUMNS.items() if keys & set(synonyms)]
        if len(named) > len(best[1]):
            best = (r, named)
    note = "no remittance header: a row must name an invoice-number column and an amount-paid column"
    if not best[1]:
        return note + "; no row names a column o2c reads"
    missing = [name for name in ("invoice_number", "amount_paid") if name not in best[1]]
    return f"{note}; row {best[0]} names {', '.join(best[1])} but no {' or '.join(missing)}"


def read_remittance_table(content: bytes, *, source: str, media_type: str) -> list[Extraction] | None:
    """One remittance advice per payment reference in the table; None when the table is not a remittance."""
    rows = read_rows(content, media_type)
    header = find_header(rows)
    if header is None:
        return None
    at, columns = header
    all_text = " ".join(str(c) for row in rows for c in row if isinstance(c, str))
    body = [(r, row) for r, row in enumerate(rows[at + 1 :], start=at + 2) if any(_filled(c) for c in row)]
    if media_type != XLSX:
        _check_row_widths(rows[at], body)
    _payer_by_content(rows[at], body, columns)
    reader = _TableReader(decide_date_order(all_text), columns, _decimal_comma(body, columns))
    preamble = reader.preamble(rows[:at])
    groups: dict[str | None, list[tuple[int, list[object]]]] = {}
    declared_total: Decimal | None = None
    printed: tuple[str, list[object]] | None = None  # the last row printing a payment reference
    for r, row in body:
        invoice = reader.cell(row, "invoice_number")
        first = next((str(c) for c in row if c is not None and str(c).strip()), "")
        if not invoice or _TOTAL_ROW.match(invoice) or _TOTAL_ROW.match(first):
            declared_total = reader.amount(row, "amount_paid", r) or declared_total
            continue
        reference = reader.cell(row, "payment_reference")
        if reference is not None:
            printed = (reference, row)
        elif printed is not None and _continues(reader, row, printed[1]):
            reference = printed[0]  # the payment printed once, on its first row
        groups.setdefault(reference, []).append((r, row))
    if not groups:
        raise UnreadableDocument("remittance table has a header but no invoice rows", reason="empty")
    unread = unread_money_columns(rows[at], [row for members in groups.values() for _, row in members], columns)
    results = []
    for reference, members in groups.items():
        extraction = Extraction(
            source=source, document_type=REMITTANCE_ADVICE, part=f"payment {reference}" if len(groups) > 1 else None
        )
        log = FieldLog()
        for k, (i, text) in enumerate(unread):
            log.warnings.append(f"unread money column {text!r} (column {i + 1})")
            log.provenance[f"remittance.unread_columns[{k}]"] = {"element": f"column {i + 1}", "text": text}
        extraction.remittance = reader.remittance(members, preamble, log, len(groups) == 1 and declared_total)
        results.append(log.finish(extraction))
    return results


_PAYER_WORDS = {"from", "customer", "company", "client", "cliente", "kunde", "klant", "name"}


def _payer_by_content(header: list[object], body: list[tuple[int, list[object]]], columns: dict[str, int]) -> None:
    """A header too generic on its own ('From', 'Customer') names the payer when its cells say so: one name,
    the same on every row (one payment has one payer), in letters, no date or amount."""
    if "payer_name" in columns:
        return
    taken = set(columns.values())
    for i, cell in enumerate(header):
        if i in taken or not isinstance(cell, str) or normalize_header(cell) not in _PAYER_WORDS:
            continue
        values = {str(row[i]).strip() for _, row in body if i < len(row) and _filled(row[i])}
        name = next(iter(values)) if len(values) == 1 else ""
        if len(re.findall(r"[^\W\d_]", name)) >= 4 and parse_amount(name) is None and parse_date(name) is None:
            columns["payer_name"] = i
            return


def _continues(reader: _TableReader, row: list[object], first: list[object]) -> bool:
    """A row with no payment reference belongs to the payment above when none of its payment cells (date, payer,
    method, currency) says otherwise: they are blank, or the same as on the payment's first row."""
    return all(
        reader.cell(row, name) in (None, reader.cell(first, name))
        for name in _HEADER_FIELDS
        if name != "payment_reference" and name in reader.columns
    )


def _filled(cell: object) -> bool:
    return cell is not None and str(cell).strip() != ""


def _check_row_widths(header: list[object], body: list[tuple[int, list[object]]]) -> None:
    """A CSV row with filled cells beyond the header's last column was split where it should not have been: most
    often an amount written with an unquoted thousands comma (INV-1,8,120.45 reads as 8 paid, 120.45 elsewhere)."""
    width = max((i + 1 for i, c in enumerate(header) if _filled(c)), default=0)
    for r, row in body:
        extra = [c for c in row[width:] if _filled(c)]
        if extra:
            raise UnreadableDocument(
                f"row {r} has {width + len(extra)} filled cells but the header names {width} columns "
                "(an amount with an unquoted thousands separator, such as 8,120.45?)",
                reason="bad_value",
            )


def money_core(text: str) -> str | None:
    """The number of an amount cell without its currency token ('USD 1,234.50' -> '1,234.50'); None when the cell
    holds anything else (letters, a date, a percentage)."""
    core = _CURRENCY_TOKENS.sub("", text.strip()).strip()
    return core if _MONEY_CORE.fullmatch(core) else None


def _decimal_comma(body: list[tuple[int, list[object]]], columns: dict[str, int]) -> bool | None:
    """The table's decimal mark, from the amount cells that show it ('980,00', '1.234,56', '1,234.56', '12.50');
    None when none does or the cells disagree (each cell is then read on its own)."""
    votes: set[bool] = set()
    for _, row in body:
        for name in _AMOUNT_FIELDS:
            i = columns.get(name)
            value = row[i] if i is not None and i < len(row) else None
            core = money_core(value) if isinstance(value, str) else None
            if core is None or _GROUPED_3.match(core):
                continue
            comma, dot = core.rfind(","), core.rfind(".")
            if comma >= 0 and dot >= 0:
                votes.add(comma > dot)
            elif _CENTS.search(core):
                votes.add(comma >= 0)
            elif core.count(",") > 1 or core.count(".") > 1:
                votes.add(core.count(".") > 1)
    return votes.pop() if len(votes) == 1 else None


def _money_cell(cell: object) -> bool:
    if isinstance(cell, bool):
        return False
    if isinstance(cell, int | Decimal):
        return True
    if isinstance(cell, float):
        return math.isfinite(cell)
    if isinstance(cell, str):
        core = money_core(cell)
        return core is not None and parse_amount(core) is not None
    return False


def _shows_cents(cell: object) -> bool:
    if isinstance(cell, float):
        return not cell.is_integer()
    if isinstance(cell, Decimal):
        return cell.as_tuple().exponent != 0
    return isinstance(cell, str) and bool(_CENTS.search(money_core(cell) or ""))


def unread_money_columns(
    header: list[object], item_rows: list[list[object]], columns: dict[str, int]
) -> list[tuple[int, str]]:
    """(index, header text) of the columns no field reads but whose filled cells are mostly amounts, at least one
    with cents ('Cash Disc.', 'Withholding', 'Adj'): what they hold may explain a gap between paid and open."""
    read = set(columns.values())
    width = max([len(header), *(len(row) for row in item_rows)])
    found = []
    for i in range(width):
        if i in read:
            continue
        cells = [row[i] for row in item_rows if i < len(row) and _filled(row[i])]
        money = [c for c in cells if _money_cell(c)]
        if cells and 2 * len(money) > len(cells) and any(_shows_cents(c) for c in money):
            found.append((i, str(header[i]).strip() if i < len(header) and header[i] is not None else ""))
    return found


class _TableReader:
    """Reads typed values from table rows, noting each cell as provenance (row number, column header)."""

    def __init__(self, date_order, columns: dict[str, int], decimal_comma: bool | None = None):
        self.date_order = date_order
        self.columns = columns
        self.decimal_comma = decimal_comma
        self.unsure: set[tuple[int, str]] = set()  # (row, field) of amounts whose decimal mark is a guess

    def cell(self, row: list[object], name: str) -> str | None:
        i = self.columns.get(name)
        if i is None or i >= len(row) or row[i] is None:
            return None
        value = row[i]
        if (
            isinstance(value, float)
            and value.is_integer()
            and name in ("invoice_number", "po_number", "payment_reference")
        ):
            value = int(value)  # a spreadsheet stores 1001 as 1001.0
        text = str(value).strip()
        return text or None

    def amount(self, row: list[object], name: str, r: int) -> Decimal | None:
        i = self.columns.get(name)
        if i is None or i >= len(row) or row[i] is None or str(row[i]).strip() == "":
            return None
        value = row[i]
        if isinstance(value, bool):
            raise UnreadableDocument(f"row {r}, {name}: {value!r} is not an amount", reason="bad_value")
        if isinstance(value, int | float | Decimal):
            return money_of_number(value, f"row {r}, {name}")
        core = money_core(str(value))
        parsed = None if core is None else parse_amount(core, self.decimal_comma)
        if core is None or parsed is None:
            raise UnreadableDocument(f"row {r}, {name}: {value!r} is not an amount", reason="bad_value")
        if self.decimal_comma is None and _GROUPED_3.match(core):
            self.unsure.add((r, name))
        return parsed

    def date(self, value: object, where: str) -> date | None:
        if value is None or str(value).strip() == "":
            return None
        if isinstance(value, datetime):
            return value.date()
        if isinstance(value, date):
            return value
        parsed = parse_date(str(value), self.date_order)
        if parsed is None:
            raise UnreadableDocument(f"{where}: {value!r} is not a date", reason="bad_value")
        return parsed

    def preamble(self, rows: list[list[object]]) -> dict[str, tuple[object, str]]:
        """Label/value pairs above the table ('Payer: ACME', 'Payment date | 2026-03-01')."""
        found: dict[str, tuple[object, str]] = {}
        for r, row in enumerate(rows, start=1):
            cells = [c for c in row if c is not None and str(c).strip()]
            if not cells:
                continue
            if len(cells) >= 2:
                label, value = cells[0], cells[1]
            elif isinstance(cells[0], str) and ":" in cells[0]:
                label, value = cells[0].split(":", 1)
            else:
                continue
            if not isinstance(label, str):
                continue
            key = normalize_header(label)
            for name in (*_HEADER_FIELDS, "amount"):
                synonyms = COLUMNS.get(name, _STATED_AMOUNT)
                if key in synonyms and name not in found:
                    found[name] = (value.strip() if isinstance(value, str) else value, f"row {r}: {label}")
        return found

    def remittance(self, members, preamble, log: FieldLog, declared_total) -> ExtractedRemittance:
        remittance = ExtractedRemittance()
        for name in _HEADER_FIELDS:
            value, where = self._header_value(members, preamble, name)
            if value is None:
                continue
            if name == "payment_date":
                printed = value
                value = self.date(value, where)
                if isinstance(printed, str) and guessed_order(printed, value, self.date_order):
                    setattr(remittance, name, value)  # day and month could be either way round: a guess
                    log.record(f"remittance.{name}", where, value, confidence=GUESSED_DATE)
                    continue
            elif name == "currency":
                value = str(value).upper()
                if not re.fullmatch(r"[A-Z]{3}", value):
                    raise UnreadableDocument(f"{where}: {value!r} is not an ISO 4217 currency", reason="bad_value")
            else:
                value = str(value)
            setattr(remittance, name, value)
            log.record(f"remittance.{name}", where, value)
        for n, (r, row) in enumerate(members):
            item = RemittanceItem(
                invoice_number=self.cell(row, "invoice_number"),
                amount_paid=self.amount(row, "amount_paid", r),
                discount=self.amount(row, "discount", r),
                invoice_amount=self.amount(row, "invoice_amount", r),
                po_number=self.cell(row, "po_number"),
            )
            if item.discount is not None:
                item.discount = abs(item.discount)
            for name in ("invoice_number", "amount_paid", "discount", "invoice_amount", "po_number"):
                if getattr(item, name) is not None:
                    i = self.columns[name]
                    sure = UNSURE_SEPARATOR if (r, name) in self.unsure else READ
                    log.record(f"remittance.items[{n}].{name}", f"row {r}, column {i + 1}", row[i], sure)
            remittance.items.append(item)
        paid = [i.amount_paid for i in remittance.items if i.amount_paid is not None]
        total = sum(paid, Decimal("0"))
        stated = preamble.get("amount")
        if stated is not None:
            remittance.amount = _as_amount(stated)
            log.record("remittance.amount", stated[1], stated[0])
        elif declared_total:
            remittance.amount = declared_total
            log.record("remittance.amount", "total row", declared_total)
        else:
            remittance.amount = total
            log.record("remittance.amount", "sum of amount-paid column", total, COMPUTED)
        if remittance.amount is not None and remittance.amount != total:
            log.warnings.append(f"remittance total {remittance.amount} differs from the sum of the rows {total}")
        return remittance

    def _header_value(self, members, preamble, name: str) -> tuple[object, str]:
        if name in self.columns:
            values = {self.cell(row, name) for _, row in members} - {None}
            if len(values) == 1:
                return next(iter(values)), f"column {self.columns[name] + 1} ({name})"
            if name == "currency" and len({str(v).upper() for v in values}) > 1:
                # one payment is in one currency: never the payer's default (or the preamble's) for all of them
                named = ", ".join(sorted(str(v) for v in values))
                raise UnreadableDocument(
                    f"column {self.columns[name] + 1} (currency): one payment in {named}",
                    reason="bad_value",
                )
        if name in preamble:
            return preamble[name]
        return None, ""


def _as_amount(stated: tuple[object, str]) -> Decimal:
    value, where = stated
    if isinstance(value, int | float | Decimal) and not isinstance(value, bool):
        return money_of_number(value, where)
    parsed = parse_amount(str(value))
    if parsed is None:
        raise UnreadableDocument(f"{where}: {value!r} is not an amount", reason="bad_value")
    return parsed


def money_of_number(value: int | float | Decimal, where: str) -> Decimal:
    """A number cell as money, exactly: integers as they are; a binary float only when it is exactly the float
    of a decimal with at most 4 places (1230.5), never via its string: 0.1 + 0.2 is refused, not 0.30000000000000004."""
    if isinstance(value, Decimal):
        return value
    if isinstance(value, int):
        return Decimal(value)
    if not math.isfinite(value) or abs(value) >= 2**53:
        raise UnreadableDocument(f"{where}: {value!r} is not an amount", reason="bad_value")
    for places in range(5):
        scaled = round(value * 10**places)
        if scaled / 10**places == value:
            return Decimal(scaled).scaleb(-places)
    raise UnreadableDocument(
        f"{where}: the number cell {value!r} is not an exact amount; store money as text or "
        "as a number with at most 4 decimals",
        reason="inexact_amount",
    )


def _xlsx_rows(content: bytes) -> list[list[object]]:
    inspect_xlsx_zip(content)
    from openpyxl import load_workbook  # deferred: ~0.25 s to import, needed only for XLSX files

    book = load_workbook(io.BytesIO(content), read_only=True, data_only=True)
    try:
        if not book.worksheets:
            raise UnreadableDocument("XLSX workbook has no sheet", reason="empty")
        rows = []
        for row in book.worksheets[0].iter_rows(values_only=True):
            rows.append(list(row))
            if len(rows) > _MAX_ROWS:
                raise UnreadableDocument(f"XLSX sheet has more than {_MAX_ROWS} rows", reason="too_large")
        return rows
    finally:
        book.close()


def _csv_rows(text: str, delimiter: str) -> list[list[object]]:
    try:
        return [list(row) for row in csv.reader(io.StringIO(text), delimiter=delimiter)]
    except csv.Error:  # NUL bytes, a field over the size limit: not a table we read
        return []


def _decode(content: bytes) -> str:
    for charset in ("utf-8-sig", "cp1252"):
        try:
            return content.decode(charset)
        except UnicodeDecodeError:
            continue
    return content.decode("latin-1", errors="replace")
