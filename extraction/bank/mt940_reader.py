"""MT940 (and MT942) statements via the `mt-940` package, one BankStatement per :20: block."""

from __future__ import annotations

import re
from datetime import date
from decimal import Decimal

import mt940

from o2c.extraction.bank.errors import MalformedStatement
from o2c.extraction.bank.models import BankDebit, BankLine, BankStatement, StatementCredit

# SWIFT-style :86: subfields used by Dutch and other banks: /EREF/x/NAME/y/REMI/z
_SUBFIELD = re.compile(r"/(EREF|NAME|REMI|IBAN|BIC|ORDP|BENM|CSID|MARF|RTRN)/")
_NONE = {"", "NONREF", "NOTPROVIDED"}
# ?31 of a German :86: is the counterparty's IBAN, not the start of its name (mt940 issue #132)
_OPTIONS = mt940.Options(applicant_iban=True, strip_bom=True)


def _swift_subfields(details: str) -> dict[str, str]:
    flat = details.replace("\n", "")
    found: dict[str, str] = {}
    parts = _SUBFIELD.split(flat)
    for key, value in zip(parts[1::2], parts[2::2], strict=False):
        value = value.strip("/ ").strip()
        if key == "REMI" and value.startswith("USTD//"):
            value = value[6:]
        if value and key not in found:
            found[key] = value
    return found


def _date(value) -> date | None:
    return date(value.year, value.month, value.day) if value is not None else None


def _clean(value) -> str | None:
    text = str(value).strip() if value is not None else ""
    return None if text.upper() in _NONE else text


def _line(data: dict, currency: str) -> BankLine:
    status = (data.get("status") or "").upper()
    amount = abs(Decimal(data["amount"].amount))
    details = data.get("transaction_details") or ""
    sub = _swift_subfields(details) if details.startswith("/") or "/EREF/" in details else {}
    purpose = _clean(data.get("purpose")) or (sub.get("REMI") if sub else _clean(details.replace("\n", " ")))
    payer = _clean(data.get("applicant_name")) or sub.get("NAME")
    account = _clean(data.get("applicant_iban")) or sub.get("IBAN") or _clean(data.get("extra_details"))
    line_class = StatementCredit if status in ("C", "RD") else BankDebit
    customer_reference = _clean(data.get("customer_reference"))
    return line_class(
        amount=amount,
        currency=(data["amount"].currency or currency or "").upper(),
        value_date=_date(data.get("date")),
        booking_date=_date(data.get("entry_date")),
        payer_name=payer,
        payer_account=account if account and re.fullmatch(r"[A-Z]{2}\d{2}[A-Z0-9]{8,30}", account) else None,
        remittance_info=purpose,
        end_to_end_id=_clean(data.get("end_to_end_reference")) or sub.get("EREF"),
        bank_reference=_clean(data.get("bank_reference")) or customer_reference,
        type_code=_clean(data.get("id")) or _clean(data.get("transaction_code")),
        reversal=status.startswith("R"),
    )


def _balance(data: dict, *names: str):
    for name in names:
        balance = data.get(name)
        if balance is not None and not isinstance(balance.amount, str) and balance.amount is not None:
            return balance
    return None


def read_mt940(text: str) -> list[BankStatement]:
    """Every :20: block of an MT940/MT942 file as a statement (balances as given, not yet verified)."""
    try:
        blocks = mt940.parse_statements(text, options=_OPTIONS)
        if not blocks:  # a fragment of :61:/:86: lines without a statement header
            blocks = [mt940.parse(text, options=_OPTIONS)]
    except Exception as exc:  # the library raises RuntimeError / ValueError on a bad tag
        # the library's RuntimeError carries (message, tag, text): name the text it could not read
        reason = f"cannot read {exc.args[2]!r}" if len(exc.args) == 3 else str(exc).splitlines()[0]
        raise MalformedStatement(f"MT940: {reason[:300]}", format="mt940") from exc
    statements = []
    for block in blocks:
        data = block.data
        opening = _balance(data, "final_opening_balance", "intermediate_opening_balance", "opening_balance")
        closing = _balance(data, "final_closing_balance", "intermediate_closing_balance", "closing_balance")
        currency = (opening.amount.currency if opening else None) or block.currency or ""
        statement = BankStatement(
            format="mt940",
            statement_id="/".join(str(data[k]) for k in ("statement_number", "sequence_number") if data.get(k))
            or _clean(data.get("transaction_reference")),
            account=_clean(data.get("account_identification")),
            currency=currency.upper() or None,
            opening_balance=Decimal(opening.amount.amount) if opening else None,
            closing_balance=Decimal(closing.amount.amount) if closing else None,
            opening_date=_date(opening.date) if opening else None,
            closing_date=_date(closing.date) if closing else None,
            lines=[_line(t.data, currency) for t in block],
        )
        if not data.get("transaction_reference"):
            statement.warnings.append("no :20: statement header: a fragment")
        if closing is not None and closing.amount.currency and closing.amount.currency != currency:
            statement.warnings.append(f"closing balance currency {closing.amount.currency!r} != {currency!r}")
        statements.append(statement)
    return statements
