"""Which bank format is this file, and its statements with balances verified: `read_statements`."""

from __future__ import annotations

from pathlib import PurePath

from defusedxml import ElementTree

from o2c.core.money import storable
from o2c.extraction.bank.bai2_reader import read_bai2
from o2c.extraction.bank.camt_reader import read_camt
from o2c.extraction.bank.errors import MalformedStatement, UnbalancedStatement, UnknownStatementFormat
from o2c.extraction.bank.models import BankStatement
from o2c.extraction.bank.mt940_reader import read_mt940
from o2c.intake.sniff import BAI2, CAMT, MT940, sniff_media_type


def _text(content: bytes) -> str:
    for encoding in ("utf-8-sig", "cp1252"):
        try:
            return content.decode(encoding)
        except UnicodeDecodeError:
            continue
    return content.decode("latin-1")


def statement_format(content: bytes, filename: str = "") -> str:
    """'camt', 'bai2' or 'mt940' from the bytes (then the name); UnknownStatementFormat otherwise."""
    media_type = sniff_media_type(content, filename)
    if media_type == CAMT or (media_type == "application/xml" and b"camt." in content[:4096]):
        return "camt"
    if media_type == BAI2:
        return "bai2"
    if media_type == MT940:
        return "mt940"
    if media_type == "application/xml":
        try:
            tag = ElementTree.fromstring(content).tag
        except Exception:  # noqa: BLE001 - not XML at all: say it is no known bank format
            tag = "?"
        raise UnknownStatementFormat(f"{filename or 'file'}: XML root {tag!r} is no camt statement")
    raise UnknownStatementFormat(
        f"{filename or 'file'}: not a camt, BAI2 or MT940 file "
        f"(sniffed {media_type}, suffix {PurePath(filename).suffix!r})"
    )


def check_storable_amounts(statement: BankStatement) -> None:
    """Every amount of a statement must be one the ledger keeps exactly (core.money.storable); a bank file with a
    16-digit credit is malformed, not rounded."""
    amounts = [("opening balance", statement.opening_balance), ("closing balance", statement.closing_balance)]
    for line in statement.lines:
        amounts.append((f"line {line.bank_reference or line.booking_date}", line.amount))
        for reference in line.references:
            amounts += [("remittance amount", reference.amount), ("invoice amount", reference.invoice_amount)]
    for what, amount in amounts:
        if amount is not None and not storable(amount):
            raise MalformedStatement(
                f"statement {statement.statement_id!r} of account {statement.account!r}: {what} {amount} is out of "
                "range (at most 15 significant digits)",
                account=statement.account,
            )


def verify_balances(statement: BankStatement) -> None:
    """Opening balance + credits - debits must equal the closing balance; UnbalancedStatement names the gap."""
    if statement.opening_balance is not None and statement.closing_balance is None:
        raise MalformedStatement(
            f"statement {statement.statement_id!r} of account {statement.account!r} has an "
            "opening balance but no closing balance (truncated?)",
            account=statement.account,
        )
    difference = statement.balance_difference
    if difference:
        raise UnbalancedStatement(
            f"statement {statement.statement_id!r} of account {statement.account!r}: opening "
            f"{statement.opening_balance} + credits - debits != closing {statement.closing_balance} "
            f"(off by {difference})",
            account=statement.account,
            statement_id=statement.statement_id,
            difference=str(difference),
        )


def read_statements(content: bytes, *, filename: str = "", verify: bool = True) -> list[BankStatement]:
    """Every statement in a bank file; with verify, each one's balances must add up."""
    kind = statement_format(content, filename)
    if kind == "camt":
        statements = read_camt(content)
    elif kind == "bai2":
        statements = read_bai2(_text(content), verify=verify)
    else:
        statements = read_mt940(_text(content))
    for statement in statements:
        check_storable_amounts(statement)
        if verify:
            verify_balances(statement)
        for line in statement.lines:
            if line.currency and statement.currency and line.currency != statement.currency:
                statement.warnings.append(f"line in {line.currency} on a {statement.currency} statement")
    return statements


def read_statement(content: bytes, *, filename: str = "", verify: bool = True) -> BankStatement:
    """The one statement of a bank file (MalformedStatement when it holds several: use read_statements)."""
    statements = read_statements(content, filename=filename, verify=verify)
    if len(statements) != 1:
        raise MalformedStatement(f"{filename or 'file'} holds {len(statements)} statements, expected one")
    return statements[0]
