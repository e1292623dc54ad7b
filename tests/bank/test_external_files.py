"""Every bank file in ../shared/external/bank_statements read and compared with the ground truth it comes with:
MT940 with the mt940 library's own parse (*.expected.yml), camt with genkgo/camt's parse (*.json, amounts in
minor units), BAI2 with values read off the files. Files whose balances do not add up are refused by the strict
read with UnbalancedStatement, and still read line by line with verify=False."""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path

import pytest
import yaml

from o2c.extraction.bank.errors import MalformedStatement, UnbalancedStatement
from o2c.extraction.bank.models import StatementCredit
from o2c.extraction.bank.reader import read_statements
from tests.conftest import SHARED

BANK = SHARED / "external" / "bank_statements"
MT940_DIR, CAMT_DIR, BAI2_DIR = BANK / "mt940_wolph", BANK / "camt", BANK / "bai2"

pytestmark = pytest.mark.skipif(not BANK.is_dir(), reason="../shared/external/bank_statements is not there")


def _files(folder: Path, *suffixes: str) -> list[Path]:
    return sorted(p for p in folder.glob("*") if p.suffix in suffixes) if folder.is_dir() else []


# ------------------------------------------------------------------------------------------------ MT940
MT940_BALANCED = {
    "betterplace_sepa_mt9401.sta",
    "citi_mt940.txt",
    "cmxl_mt940.sta",
    "jejik_rabobank-iban.sta",
    "jejik_sns.sta",
    "mBank_mt940.sta",
    "mBank_mt942.sta",
    "sberbank_171011_01234945.sta",
    "self-provided_sparkassen.sta",
}
MT940_TRUNCATED = {"self-provided_gv_codes.sta"}  # an opening balance and no closing one
MT940_UNREADABLE = {"ASNB_mt940.txt"}  # a :61: line with its text run on: the mt940 library cannot read it


@pytest.mark.parametrize("path", _files(MT940_DIR, ".sta", ".txt"), ids=lambda p: p.name)
def test_mt940_files(path: Path):
    content = path.read_bytes()
    if path.name in MT940_UNREADABLE:
        with pytest.raises(MalformedStatement, match="MT940: cannot read"):
            read_statements(content, filename=path.name)
        return
    if path.name in MT940_BALANCED:
        statements = read_statements(content, filename=path.name)
    elif path.name in MT940_TRUNCATED:
        with pytest.raises(MalformedStatement, match="no closing balance"):
            read_statements(content, filename=path.name)
        statements = read_statements(content, filename=path.name, verify=False)
    else:
        with pytest.raises(UnbalancedStatement, match="opening .* closing"):
            read_statements(content, filename=path.name)
        statements = read_statements(content, filename=path.name, verify=False)
    assert all(s.format == "mt940" for s in statements)
    expected_file = path.with_name(path.name.rsplit(".", 1)[0] + ".expected.yml")
    if not expected_file.exists():
        assert statements and all(s.lines for s in statements)
        return
    expected = yaml.unsafe_load(expected_file.read_text())  # the mt940 library's own objects
    lines = [line for s in statements for line in s.lines]
    assert len(lines) == len(expected.transactions)
    for line, transaction in zip(lines, expected.transactions, strict=True):
        data = transaction.data
        assert line.amount == abs(Decimal(data["amount"].amount))
        assert isinstance(line, StatementCredit) == (data["status"].upper() in ("C", "RD"))
        assert line.value_date == data["date"]
        if data.get("entry_date"):
            assert line.booking_date == data["entry_date"]
        if data.get("bank_reference") and data["bank_reference"] != "NONREF":
            assert line.bank_reference == data["bank_reference"]
        if data.get("end_to_end_reference") and data["end_to_end_reference"].strip() != "NONREF":
            assert line.end_to_end_id == data["end_to_end_reference"].strip()
        if data.get("applicant_name"):
            assert line.payer_name == data["applicant_name"].strip()
        if data.get("purpose"):
            assert line.remittance_info == data["purpose"].strip()
    accounts = {s.account for s in statements}
    assert (expected.data.get("account_identification") or "").strip() in accounts | {""}
    for name, attribute in (("final_opening_balance", "opening_balance"), ("final_closing_balance", "closing_balance")):
        balance = expected.data.get(name)
        if balance is not None and not isinstance(balance.amount, str):
            assert Decimal(balance.amount.amount) in {getattr(s, attribute) for s in statements}


# ------------------------------------------------------------------------------------------------ camt
CAMT_BALANCED = {
    "genkgo_camt052.v2.xml",
    "genkgo_camt053.v2.multi.statement.xml",
    "genkgo_camt054.v2.xml",
    "genkgo_camt054.v4.xml",
    "genkgo_camt054.v8-with-UETR.xml",
}


def _get(node, *keys):
    for key in keys:
        if not isinstance(node, dict):
            return None
        node = node.get(key)
    return node


def _expected_entry_details(entry: dict) -> dict | None:
    details = [d for d in entry.get("getTransactionDetails") or [] if isinstance(d, dict)]
    return details[0] if details else _get(entry, "getTransactionDetail")


@pytest.mark.parametrize("path", _files(CAMT_DIR, ".xml"), ids=lambda p: p.name)
def test_camt_files(path: Path):
    content = path.read_bytes()
    if path.name in CAMT_BALANCED:
        statements = read_statements(content, filename=path.name)
    else:
        with pytest.raises(UnbalancedStatement):
            read_statements(content, filename=path.name)
        statements = read_statements(content, filename=path.name, verify=False)
    message = path.name.split("_")[1][:7]  # camt053
    assert all(s.format.startswith(f"camt.{message[4:]}.001.") for s in statements)
    expected = json.loads(path.with_suffix(".json").read_text())
    lines = [line for s in statements for line in s.lines]
    for entry in expected["getEntries"]:
        minor = Decimal(_get(entry, "getAmount", "getAmount"))
        currency = _get(entry, "getAmount", "getCurrency", "getCode")
        matches = [line for line in lines if line.signed_amount * 100 == minor and line.currency == currency]
        assert len(matches) == 1, (minor, lines)
        line = matches[0]
        assert isinstance(line, StatementCredit) == (entry["getCreditDebitIndicator"] == "CRDT")
        for key, attribute in (("getBookingDate", "booking_date"), ("getValueDate", "value_date")):
            if isinstance(entry.get(key), dict):
                assert getattr(line, attribute).isoformat() == entry[key]["0"][:10]
        if entry.get("getAccountServicerReference"):
            assert line.bank_reference == entry["getAccountServicerReference"]
        details = _expected_entry_details(entry)
        end_to_end = _get(details, "getReference", "getEndToEndId")
        if end_to_end and end_to_end != "NOTPROVIDED" and len(entry.get("getTransactionDetails") or []) == 1:
            assert line.end_to_end_id == end_to_end  # (a batch entry keeps its first transaction's id)
        message_text = _get(details, "getRemittanceInformation", "getMessage")
        if message_text:  # genkgo's message is the free text, or the creditor reference when there is none
            references = {r.reference for r in line.references}
            assert message_text in (line.remittance_info or "") or message_text in references
        creditor_ref = _get(details, "getRemittanceInformation", "getCreditorReferenceInformation", "getRef")
        if creditor_ref:
            assert creditor_ref in {r.reference for r in line.references}
        record = entry.get("getRecord")
        if isinstance(record, dict):
            statement = next(s for s in statements if line in s.lines)
            iban = _get(record, "getAccount", "getIban", "getIban") or _get(record, "getAccount", "getIdentification")
            assert statement.account == iban
            for balance in record.get("getBalances") or []:
                value = Decimal(_get(balance, "getAmount", "getAmount")) / 100
                if balance.get("getType") == "opening":
                    assert statement.opening_balance == value
                elif balance.get("getType") == "closing":
                    assert statement.closing_balance == value


def test_camt_multi_statement_reads_both_statements():
    statements = read_statements((CAMT_DIR / "genkgo_camt053.v2.multi.statement.xml").read_bytes())
    assert [s.statement_id for s in statements] == ["253EURNL26VAYB8060476890", "254EURNL26VAYB8060476890"]


# ------------------------------------------------------------------------------------------------ BAI2
def test_bai2_svb_two_days_of_ach_credits():
    statements = read_statements((BAI2_DIR / "moj_svb_us_example.bai2").read_bytes())
    assert [(s.account, s.currency, str(s.opening_balance), str(s.closing_balance)) for s in statements] == [
        ("1234567890", "USD", "347269.79", "352171.75"),
        ("1234567890", "USD", "352171.75", "361229.75"),
    ]
    assert [(str(c.amount), c.bank_reference) for s in statements for c in s.credits] == [
        ("4901.96", "172629"),
        ("9058.00", "150675"),
    ]


def test_bai2_nwb_balances_add_up():
    (statement,) = read_statements((BAI2_DIR / "moj_nwb_example.bai2").read_bytes())
    assert statement.currency == "GBP" and statement.balance_difference == 0
    assert len(statement.debits) == 4 and len(statement.credits) == 1


def test_bai2_moov_sample1_two_accounts():
    statements = read_statements((BAI2_DIR / "moov_sample1.bai2").read_bytes())
    assert [len(s.lines) for s in statements] == [11, 6]
    assert all(s.currency == "CAD" for s in statements)


def test_bai2_blank_trailer_amount_reads_without_lines():
    statements = read_statements((BAI2_DIR / "moj_account_trailer_amount_blank_example.bai2").read_bytes())
    assert [s.account for s in statements] == ["12345", "54321"] and not any(s.lines for s in statements)


def test_bai2_citi_one_penny_off_is_unbalanced():
    content = (BAI2_DIR / "moj_citi_example.bai2").read_bytes()
    with pytest.raises(UnbalancedStatement, match="off by"):
        read_statements(content)
    (statement,) = read_statements(content, verify=False)
    assert statement.credits[0].bank_reference == "1234567890"


@pytest.mark.parametrize("name", ["moov_sample4_goldman_continuations.bai2", "moov_sample5_goldman_remittance.bai2"])
def test_bai2_goldman_88_records(name):
    content = (BAI2_DIR / name).read_bytes()
    with pytest.raises(UnbalancedStatement, match="control total"):
        read_statements(content)
    statements = read_statements(content, verify=False)
    credits = {c.bank_reference: c for s in statements for c in s.credits}
    reject = credits["SB2322600000404"]
    assert (reject.amount, reject.payer_name, reject.end_to_end_id, reject.remittance_info) == (
        Decimal("1435.00"),
        "SAMPLE INC",
        "GSQ4FBGFDGWGKY",
        "ACH- Test - Addenda Record",
    )
    assert all("trailers disagree" in s.warnings[0] for s in statements)


@pytest.mark.parametrize("name", ["moov_sample2.bai2", "moov_sample3.bai2"])
def test_bai2_broken_files_are_malformed(name):
    with pytest.raises(MalformedStatement, match="BAI2"):
        read_statements((BAI2_DIR / name).read_bytes(), verify=False)
