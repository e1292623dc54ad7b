"""ISO 20022 camt.052 / camt.053 / camt.054 (bank-to-customer report, statement, notification) read with the
standard library's ElementTree behind defusedxml; the version is taken from the namespace and must be known."""

from __future__ import annotations

import re
from datetime import date
from decimal import Decimal, InvalidOperation
from xml.etree.ElementTree import Element

from defusedxml import ElementTree
from defusedxml.common import DefusedXmlException

from o2c.extraction.bank.errors import MalformedStatement, UnknownCamtVersion
from o2c.extraction.bank.models import BankDebit, BankLine, BankStatement, StatementCredit, StructuredReference

_NAMESPACE = re.compile(r"^urn:iso:std:iso:20022:tech:xsd:camt\.(05[234])\.001\.(\d{2})$")
# The message versions published by ISO 20022 that this reader was written against (the paths it reads are
# unchanged across them); anything newer is refused rather than half-read.
KNOWN_VERSIONS = {"052": range(1, 14), "053": range(1, 14), "054": range(1, 14)}
_RECORD = {"052": "Rpt", "053": "Stmt", "054": "Ntfctn"}
_OPENING, _CLOSING = ("OPBD", "PRCD", "ITBD"), ("CLBD",)


def camt_message(root_tag: str) -> tuple[str, int] | None:
    """('053', 2) from a root tag '{urn:iso:std:iso:20022:tech:xsd:camt.053.001.02}Document', else None."""
    found = _NAMESPACE.match(root_tag[1:].split("}")[0]) if root_tag.startswith("{") else None
    return (found.group(1), int(found.group(2))) if found else None


class _Reader:
    def __init__(self, namespace: str):
        self.ns = namespace

    def find(self, node: Element | None, path: str) -> Element | None:
        if node is None:
            return None
        return node.find("/".join(f"{{{self.ns}}}{p}" for p in path.split("/")))

    def findall(self, node: Element | None, path: str) -> list[Element]:
        if node is None:
            return []
        return node.findall("/".join(f"{{{self.ns}}}{p}" for p in path.split("/")))

    def text(self, node: Element | None, *paths: str) -> str | None:
        for path in paths:
            found = self.find(node, path)
            if found is not None and found.text and found.text.strip():
                return found.text.strip()
        return None

    def amount(self, node: Element | None, *paths: str) -> tuple[Decimal, str | None] | None:
        for path in paths:
            found = self.find(node, path)
            if found is not None and found.text:
                try:
                    return Decimal(found.text.strip()), found.get("Ccy")
                except InvalidOperation as exc:
                    raise MalformedStatement(f"camt: bad amount {found.text!r} at {path}") from exc
        return None

    def date(self, node: Element | None, path: str) -> date | None:
        value = self.text(node, f"{path}/Dt", f"{path}/DtTm")
        if value is None:
            return None
        try:
            return date.fromisoformat(value[:10])
        except ValueError as exc:
            raise MalformedStatement(f"camt: bad date {value!r} at {path}") from exc


def read_camt(content: bytes) -> list[BankStatement]:
    """Every Stmt / Ntfctn / Rpt of a camt message as a statement (balances as given, not yet verified)."""
    try:
        root = ElementTree.fromstring(content)
    except DefusedXmlException as exc:
        raise MalformedStatement(f"camt: forbidden XML construct ({type(exc).__name__})") from exc
    except ElementTree.ParseError as exc:
        raise MalformedStatement(f"camt: not well-formed XML: {exc}") from exc
    namespace = root.tag[1:].split("}")[0] if root.tag.startswith("{") else ""
    message = camt_message(root.tag)
    if message is None or message[1] not in KNOWN_VERSIONS.get(message[0], ()):
        raise UnknownCamtVersion(f"camt: unknown message version {namespace or root.tag!r}", namespace=namespace)
    kind, version = message
    r = _Reader(namespace)
    body = root[0] if len(root) else None
    records = r.findall(body, _RECORD[kind])
    if body is None or not records:
        raise MalformedStatement(f"camt.{kind}: no {_RECORD[kind]} element found")
    fmt = f"camt.{kind}.001.{version:02d}"
    return [_statement(r, record, fmt) for record in records]


def _statement(r: _Reader, record: Element, fmt: str) -> BankStatement:
    account = r.text(record, "Acct/Id/IBAN", "Acct/Id/Othr/Id")
    currency = r.text(record, "Acct/Ccy")
    statement = BankStatement(format=fmt, statement_id=r.text(record, "Id"), account=account, currency=currency)
    for balance in r.findall(record, "Bal"):
        code = r.text(balance, "Tp/CdOrPrtry/Cd", "Tp/CdOrPrtry/Prtry")
        found = r.amount(balance, "Amt")
        if found is None:
            continue
        value = found[0] if r.text(balance, "CdtDbtInd") != "DBIT" else -found[0]
        statement.currency = statement.currency or found[1]
        if code in _OPENING and statement.opening_balance is None:
            statement.opening_balance, statement.opening_date = value, r.date(balance, "Dt")
        elif code in _CLOSING and statement.closing_balance is None:
            statement.closing_balance, statement.closing_date = value, r.date(balance, "Dt")
    for entry in r.findall(record, "Ntry"):
        status = r.text(entry, "Sts/Cd", "Sts")
        if status not in (None, "BOOK"):
            statement.warnings.append(f"entry {r.text(entry, 'NtryRef', 'AcctSvcrRef')!r} is {status}, not booked")
            continue
        statement.lines.extend(_lines(r, entry, statement.currency))
    return statement


def _lines(r: _Reader, entry: Element, currency: str | None) -> list[BankLine]:
    """One line per entry; a batch entry whose transactions carry amounts that add up to it, one per transaction
    (each has its own payer and remittance)."""
    found = r.amount(entry, "Amt")
    if found is None:
        raise MalformedStatement("camt: an entry without Amt")
    details = r.findall(entry, "NtryDtls/TxDtls")
    if len(details) > 1:
        amounts = [a for tx in details if (a := r.amount(tx, "Amt", "AmtDtls/TxAmt/Amt")) is not None]
        if len(amounts) == len(details) and sum(a[0] for a in amounts) == found[0]:
            return [
                _line(r, entry, currency, [tx], amount, f"#{i + 1}")
                for i, (tx, amount) in enumerate(zip(details, amounts, strict=True))
            ]
    return [_line(r, entry, currency, details, found, "")]


def _line(
    r: _Reader,
    entry: Element,
    currency: str | None,
    details: list[Element],
    found: tuple[Decimal, str | None],
    suffix: str,
) -> BankLine:
    indicator = r.text(entry, "CdtDbtInd")
    if indicator not in ("CRDT", "DBIT"):
        raise MalformedStatement(f"camt: entry credit/debit indicator {indicator!r}")
    reversal = (r.text(entry, "RvslInd") or "").lower() == "true"
    first = details[0] if details else None
    # The counterparty who paid us on a credit is the debtor; on a debit, we pay the creditor.
    party = "Dbtr" if indicator == "CRDT" else "Cdtr"
    payer_name = r.text(first, f"RltdPties/{party}/Nm", f"RltdPties/{party}/Pty/Nm", f"RltdPties/Ultmt{party}/Nm")
    payer_account = r.text(first, f"RltdPties/{party}Acct/Id/IBAN", f"RltdPties/{party}Acct/Id/Othr/Id")
    unstructured = [
        u.text.strip()
        for tx in details
        for path in ("RmtInf/Ustrd", "RmtInf/Strd/AddtlRmtInf")
        for u in r.findall(tx, path)
        if u.text and u.text.strip()
    ]
    unstructured += [info] if (info := r.text(entry, "AddtlNtryInf")) else []
    references = tuple(ref for tx in details for ref in _structured(r, tx))
    line_class = StatementCredit if indicator == "CRDT" else BankDebit
    return line_class(
        amount=found[0],
        currency=(found[1] or currency or "").upper(),
        value_date=r.date(entry, "ValDt"),
        booking_date=r.date(entry, "BookgDt"),
        payer_name=payer_name,
        payer_account=payer_account,
        remittance_info=" ".join(unstructured) or None,
        references=references,
        end_to_end_id=next((e for tx in details if (e := r.text(tx, "Refs/EndToEndId")) and e != "NOTPROVIDED"), None),
        bank_reference=(r.text(first, "Refs/AcctSvcrRef") if suffix else None)
        or ((r.text(entry, "AcctSvcrRef", "NtryRef") or "") + suffix)
        or None,
        type_code=r.text(entry, "BkTxCd/Domn/Fmly/SubFmlyCd", "BkTxCd/Prtry/Cd"),
        reversal=reversal,
    )


def _structured(r: _Reader, tx: Element) -> list[StructuredReference]:
    found = []
    for block in r.findall(tx, "RmtInf/Strd"):
        amounts = r.find(block, "RfrdDocAmt")
        paid = r.amount(amounts, "RmtdAmt", "DuePyblAmt")
        discount = r.amount(amounts, "DscntApldAmt/Amt", "DscntApldAmt")
        invoice_amount = r.amount(amounts, "DuePyblAmt")
        numbers = [n for doc in r.findall(block, "RfrdDocInf") if (n := r.text(doc, "Nb"))]
        for number in numbers:
            found.append(
                StructuredReference(
                    reference=number,
                    amount=paid[0] if paid and len(numbers) == 1 else None,
                    discount=discount[0] if discount and len(numbers) == 1 else None,
                    invoice_amount=invoice_amount[0] if invoice_amount and len(numbers) == 1 else None,
                )
            )
        creditor_ref = r.text(block, "CdtrRefInf/Ref")
        if creditor_ref and not numbers:
            found.append(
                StructuredReference(reference=creditor_ref, amount=paid[0] if paid else None, kind="creditor_reference")
            )
    return found
