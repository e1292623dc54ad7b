"""BAI2 cash-management files via the `bai2` package: one BankStatement per account record (03 ... 49).

Amounts are in minor units (two implied decimals); 88 continuation records carry the remittance detail: the
`KEY: value` pairs banks such as Goldman send (DBNM payer name, EREF end-to-end id, REMI remittance text) and
X12 820 RMR segments from ACH CTX addenda (RMR*IV*invoice*PI*paid*invoice amount*discount)."""

from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation

from bai2 import bai2
from bai2.constants import TypeCodeTransaction
from bai2.exceptions import IntegrityException, NotSupportedYetException, ParsingException
from bai2.models import RecordCode

from o2c.extraction.bank.errors import MalformedStatement, UnbalancedStatement
from o2c.extraction.bank.models import BankDebit, BankLine, BankStatement, StatementCredit, StructuredReference

CENT = Decimal("0.01")
_OPENING_LEDGER, _CLOSING_LEDGER = "010", "015"
_KEY_VALUE = re.compile(r"^([A-Z]{4}):\s*(.*)$")
_RMR = re.compile(
    r"RMR\*(?P<qual>[A-Z0-9]{2})\*(?P<ref>[^*\\~]+)(?:\*(?P<code>[A-Z0-9]*))?"
    r"(?:\*(?P<paid>-?[\d.]*))?(?:\*(?P<total>-?[\d.]*))?(?:\*(?P<discount>-?[\d.]*))?"
)
_NAMED = re.compile(r"(?:ORIG CO NAME|ORIGINATOR|From)[:=]\s*([^,;]+?)(?:\s{2,}|,|;|$)")


def _money(cents) -> Decimal:
    return (Decimal(int(cents)) * CENT).quantize(CENT)


def _decimal(text: str | None) -> Decimal | None:
    try:
        return Decimal(text) if text else None
    except InvalidOperation:
        return None


def _check_structure(lines: list[str]) -> None:
    """Every header has its trailer and the file ends with 99: the library loops forever on a truncated file."""
    codes = [line.split(",", 1)[0] for line in lines]
    if not codes or codes[0] != "01" or codes[-1] != "99":
        raise MalformedStatement(
            "BAI2: the file does not run from an 01 header to a 99 trailer (truncated?)", format="bai2"
        )
    for header, trailer in (("02", "98"), ("03", "49")):
        if codes.count(header) != codes.count(trailer):
            raise MalformedStatement(
                f"BAI2: {codes.count(header)} {header} records but {codes.count(trailer)} {trailer} trailers",
                format="bai2",
            )


def _parse(text: str, verify: bool):
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    _check_structure(lines)
    try:
        return bai2.parse_from_lines(iter(lines)), None
    except IntegrityException as exc:
        if verify and "number of records" not in str(exc):
            raise UnbalancedStatement(f"BAI2: {exc}", format="bai2") from exc
        warning = f"BAI2 trailers disagree with the records ({exc})"
    except (ParsingException, NotSupportedYetException, ValueError, IndexError, AttributeError) as exc:
        raise MalformedStatement(f"BAI2: {type(exc).__name__}: {exc}", format="bai2") from exc
    try:  # record counts are off (some banks count 88 records differently): re-read, then check the amounts
        parsed = bai2.parse_from_lines(iter(lines), check_integrity=False)
    except Exception as exc:
        raise MalformedStatement(f"BAI2: {type(exc).__name__}: {exc}", format="bai2") from exc
    if verify:
        _check_control_totals(parsed)
    return parsed, warning


def _check_control_totals(parsed) -> None:
    for group in parsed.children:
        for account in group.children:
            expected = account.trailer.account_control_total
            if expected is None:
                continue
            found = sum(int(s.amount or 0) for s in account.header.summary_items if s.type_code is not None)
            found += sum(int(t.amount or 0) for t in account.children)
            if found != int(expected):
                raise UnbalancedStatement(
                    f"BAI2 account {account.header.customer_account_number}: control total {expected} != {found}",
                    format="bai2",
                )


def read_bai2(text: str, *, verify: bool = True) -> list[BankStatement]:
    """Every account of every group as a statement; with verify, the trailers' control totals must agree."""
    parsed, warning = _parse(text, verify)
    statements = []
    for group in parsed.children:
        as_of = group.header.as_of_date
        for account in group.children:
            header = account.header
            currency = (header.currency or group.header.currency or "USD").upper()
            summary = {
                s.type_code.code: s.amount
                for s in header.summary_items
                if s.type_code is not None and s.amount is not None
            }
            statement = BankStatement(
                format="bai2",
                statement_id=f"{group.header.originator_id}/{as_of}",
                account=header.customer_account_number,
                currency=currency,
                opening_balance=_money(summary[_OPENING_LEDGER]) if _OPENING_LEDGER in summary else None,
                closing_balance=_money(summary[_CLOSING_LEDGER]) if _CLOSING_LEDGER in summary else None,
                opening_date=as_of,
                closing_date=as_of,
                lines=[line for detail in account.children if (line := _line(detail, currency, as_of))],
            )
            if warning:
                statement.warnings.append(warning)
            statements.append(statement)
    return statements


def _line(detail, currency: str, as_of) -> BankLine | None:
    if detail.type_code is None:
        raise MalformedStatement("BAI2: a 16 record without a type code", format="bai2")
    direction = detail.type_code.transaction
    if direction not in (TypeCodeTransaction.credit, TypeCodeTransaction.debit):
        return None  # memo / informational records move no money
    continuation = [fields.strip() for code, fields in detail.rows if code == RecordCode.continuation]
    pairs = {}
    for row in continuation:
        found = _KEY_VALUE.match(row)
        if found and found.group(1) not in pairs:
            pairs[found.group(1)] = found.group(2).strip().strip("/").strip()
    references = tuple(
        StructuredReference(
            reference=m.group("ref").strip(),
            amount=_decimal(m.group("paid")),
            invoice_amount=_decimal(m.group("total")),
            discount=_decimal(m.group("discount")),
        )
        for row in continuation
        for m in _RMR.finditer(row)
        if m.group("qual") in ("IV", "IK", "OI")
    )
    text = detail.text or ""
    if continuation and continuation[0] and continuation[0] in text:  # the library appends the 88 rows
        text = text[: text.index(continuation[0])]
    text = text.strip().rstrip(",/").strip()
    named = _NAMED.search(text)
    line_class = StatementCredit if direction == TypeCodeTransaction.credit else BankDebit
    remittance = (
        pairs.get("REMI") or " ".join(r for r in continuation if not _KEY_VALUE.match(r) and not _RMR.search(r)) or text
    )
    return line_class(
        amount=_money(detail.amount),
        currency=currency,
        value_date=as_of,
        booking_date=as_of,
        payer_name=(pairs.get("DBNM") if line_class is StatementCredit else pairs.get("CRNM"))
        or (named.group(1).strip() if named else None),
        payer_account=pairs.get("DACT") if line_class is StatementCredit else pairs.get("CACT"),
        remittance_info=remittance or None,
        references=references,
        end_to_end_id=pairs.get("EREF") or None,
        bank_reference=(detail.bank_reference or "").strip() or (detail.customer_reference or "").strip() or None,
        type_code=detail.type_code.code,
    )
