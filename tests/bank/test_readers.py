"""The readers on generated files: sniffing, structured remittance, balances, and the named errors."""

from __future__ import annotations

from decimal import Decimal

import pytest

from o2c.extraction.bank.errors import (
    MalformedStatement,
    UnbalancedStatement,
    UnknownCamtVersion,
    UnknownStatementFormat,
)
from o2c.extraction.bank.models import StructuredReference
from o2c.extraction.bank.reader import read_statement, read_statements
from o2c.intake.sniff import BAI2, CAMT, MT940, is_supported, sniff_media_type
from tests.bank.generators import Credit, bai2, camt053, camt054, mt940

D = Decimal
PAID = Credit(D("150.00"), invoices=[("INV-1001", D("100.00")), ("INV-1002", D("50.00"))], text="thanks")
FEE = Credit(D("20.00"), debit=True, reference="FEE-1", end_to_end="E2E-FEE")


@pytest.mark.parametrize(
    ("make", "name", "media_type"),
    [
        (camt053, "statement.xml", CAMT),
        (camt054, "n.xml", CAMT),
        (bai2, "x.txt", BAI2),
        (mt940, "x.txt", MT940),
        (mt940, "no-suffix", MT940),
        (bai2, "no-suffix", BAI2),
    ],
)
def test_sniffing_finds_bank_files_before_the_suffix(make, name, media_type):
    assert sniff_media_type(make([PAID]), name) == media_type and is_supported(media_type)


def test_sniffing_leaves_other_files_alone():
    assert sniff_media_type(b"<?xml version='1.0'?><Order/>", "po.xml") == "application/xml"
    assert sniff_media_type(b"01,hello world\n", "notes.txt") == "text/plain"
    assert sniff_media_type(b"%PDF-1.7 ...", "a.pdf") == "application/pdf"


@pytest.mark.parametrize(
    ("make", "fmt", "currency"),
    [
        (camt053, "camt.053.001.08", "EUR"),
        (bai2, "bai2", "USD"),
    ],
)
def test_structured_remittance_is_read(make, fmt, currency):
    statement = read_statement(make([PAID, FEE]), filename="f")
    assert (statement.format, statement.currency, statement.balance_difference) == (fmt, currency, 0)
    (credit,) = statement.credits
    assert (credit.amount, credit.payer_name, credit.end_to_end_id, credit.bank_reference) == (
        D("150.00"),
        "Acme GmbH",
        "E2E-1",
        "ACCT-REF-1",
    )
    assert credit.references == (
        StructuredReference("INV-1001", D("100.00")),
        StructuredReference("INV-1002", D("50.00")),
    )
    assert [d.amount for d in statement.debits] == [D("20.00")]


def test_camt054_creditor_reference_and_payer_account():
    (statement,) = read_statements(camt054([Credit(D("75.00"), creditor_reference="RF18INV1003")]))
    (credit,) = statement.credits
    assert credit.references == (StructuredReference("RF18INV1003", None, kind="creditor_reference"),)
    assert credit.payer_account == "DE89370400440532013000" and statement.opening_balance is None


def test_mt940_swift_subfields():
    (credit,) = read_statement(mt940([Credit(D("75.00"), payer="Acme GmbH", text="INV-1003")])).credits
    assert (credit.payer_name, credit.remittance_info, credit.end_to_end_id) == ("Acme GmbH", "INV-1003", "E2E-1")


@pytest.mark.parametrize("make", [camt053, bai2, mt940])
def test_balances_that_do_not_add_up_are_refused(make):
    content = make([PAID], closing=D("5.00"))
    with pytest.raises(UnbalancedStatement) as raised:
        read_statements(content, filename="f")
    assert raised.value.status == 422 and "off by" in raised.value.message
    assert read_statements(content, filename="f", verify=False)[0].credits


def test_unknown_camt_version_and_unknown_formats():
    with pytest.raises(UnknownCamtVersion, match="camt.053.001.42"):
        read_statements(camt053([PAID], version="001.42"))
    with pytest.raises(UnknownStatementFormat):
        read_statements(b"<?xml version='1.0'?><Order/>", filename="po.xml")
    with pytest.raises(UnknownStatementFormat):
        read_statements(b"hello", filename="a.pdf")


def test_truncated_files_are_malformed():
    with pytest.raises(MalformedStatement):
        read_statements(camt053([PAID])[:400], filename="cut.xml")
    with pytest.raises(MalformedStatement, match="no closing balance"):
        read_statements(mt940([PAID]).split(b":62F:")[0], filename="cut.sta")
    for cut in (b"\n49,", b"\n98,", b"\n99,"):
        with pytest.raises(MalformedStatement, match="BAI2"):
            read_statements(bai2([PAID]).split(cut)[0], filename="cut.bai2")


def test_xml_entity_bombs_are_refused():
    bomb = (
        b'<?xml version="1.0"?><!DOCTYPE d [<!ENTITY a "aaaa">]>'
        b'<Document xmlns="urn:iso:std:iso:20022:tech:xsd:camt.053.001.02"><x>&a;</x></Document>'
    )
    with pytest.raises(MalformedStatement, match="forbidden"):
        read_statements(bomb, filename="bomb.xml")


def test_camt_batch_entry_is_split_into_its_transactions():
    one = camt053([Credit(D("150.00"), invoices=[("INV-1001", D("150.00"))], payer="Acme GmbH")])
    batch = one.replace(b'<Amt Ccy="EUR">150.00</Amt><CdtDbtInd>', b'<Amt Ccy="EUR">225.00</Amt><CdtDbtInd>')
    second_tx = (
        b'<TxDtls><Amt Ccy="EUR">75.00</Amt><Refs><EndToEndId>E2E-2</EndToEndId></Refs>'
        b"<RltdPties><Dbtr><Nm>Beta AG</Nm></Dbtr></RltdPties>"
        b"<RmtInf><Ustrd>INV-2001</Ustrd></RmtInf></TxDtls></NtryDtls>"
    )
    batch = batch.replace(b"<TxDtls>", b'<TxDtls><Amt Ccy="EUR">150.00</Amt>', 1).replace(b"</NtryDtls>", second_tx)
    batch = batch.replace(b"1150.00", b"1225.00")  # the closing balance
    credits = read_statement(batch).credits
    assert [(c.amount, c.payer_name, c.end_to_end_id, c.bank_reference) for c in credits] == [
        (D("150.00"), "Acme GmbH", "E2E-1", "ACCT-REF-1#1"),
        (D("75.00"), "Beta AG", "E2E-2", "ACCT-REF-1#2"),
    ]
    assert credits[1].remittance_info == "INV-2001" and not credits[1].references
