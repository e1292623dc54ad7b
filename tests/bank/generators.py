"""Bank files made for the tests: camt.053 / camt.054 with structured remittance, BAI2 with 88 RMR records, MT940."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal


@dataclass
class Credit:
    """One credit to write into a generated file."""

    amount: Decimal
    payer: str = "Acme GmbH"
    iban: str = "DE89370400440532013000"
    reference: str = "ACCT-REF-1"
    end_to_end: str = "E2E-1"
    text: str | None = None
    invoices: list[tuple[str, Decimal | None]] = field(default_factory=list)  # (number, paid)
    creditor_reference: str | None = None
    value_date: date = date(2026, 3, 18)
    debit: bool = False


def _rmt(credit: Credit) -> str:
    parts = []
    if credit.text:
        parts.append(f"<Ustrd>{credit.text}</Ustrd>")
    for number, paid in credit.invoices:
        amount = f'<RfrdDocAmt><RmtdAmt Ccy="EUR">{paid}</RmtdAmt></RfrdDocAmt>' if paid is not None else ""
        parts.append(
            f"<Strd><RfrdDocInf><Tp><CdOrPrtry><Cd>CINV</Cd></CdOrPrtry></Tp><Nb>{number}</Nb>"
            f"</RfrdDocInf>{amount}</Strd>"
        )
    if credit.creditor_reference:
        parts.append(
            "<Strd><CdtrRefInf><Tp><CdOrPrtry><Cd>SCOR</Cd></CdOrPrtry></Tp>"
            f"<Ref>{credit.creditor_reference}</Ref></CdtrRefInf></Strd>"
        )
    return f"<RmtInf>{''.join(parts)}</RmtInf>" if parts else ""


def _entry(credit: Credit) -> str:
    side = "DBIT" if credit.debit else "CRDT"
    party = (
        "<Cdtr><Nm>{p}</Nm></Cdtr><CdtrAcct><Id><IBAN>{i}</IBAN></Id></CdtrAcct>"
        if credit.debit
        else "<Dbtr><Nm>{p}</Nm></Dbtr><DbtrAcct><Id><IBAN>{i}</IBAN></Id></DbtrAcct>"
    ).format(p=credit.payer, i=credit.iban)
    return f"""
      <Ntry>
        <Amt Ccy="EUR">{credit.amount}</Amt><CdtDbtInd>{side}</CdtDbtInd><Sts>BOOK</Sts>
        <BookgDt><Dt>{credit.value_date.isoformat()}</Dt></BookgDt><ValDt><Dt>{credit.value_date.isoformat()}</Dt></ValDt>
        <AcctSvcrRef>{credit.reference}</AcctSvcrRef>
        <BkTxCd><Domn><Cd>PMNT</Cd><Fmly><Cd>RCDT</Cd><SubFmlyCd>ESCT</SubFmlyCd></Fmly></Domn></BkTxCd>
        <NtryDtls><TxDtls>
          <Refs><EndToEndId>{credit.end_to_end}</EndToEndId></Refs>
          <RltdPties>{party}</RltdPties>
          {_rmt(credit)}
        </TxDtls></NtryDtls>
      </Ntry>"""


def camt053(
    credits: list[Credit],
    *,
    opening: Decimal = Decimal("1000.00"),
    closing: Decimal | None = None,
    version: str = "001.08",
    account: str = "DE02120300000000202051",
    statement_id: str = "STMT-1",
) -> bytes:
    """A camt.053 statement; the closing balance adds up unless one is given."""
    moved = sum((-c.amount if c.debit else c.amount for c in credits), Decimal("0"))
    closing = opening + moved if closing is None else closing
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<Document xmlns="urn:iso:std:iso:20022:tech:xsd:camt.053.{version}">
  <BkToCstmrStmt>
    <GrpHdr><MsgId>MSG-1</MsgId><CreDtTm>2026-03-19T06:00:00</CreDtTm></GrpHdr>
    <Stmt>
      <Id>{statement_id}</Id><CreDtTm>2026-03-19T06:00:00</CreDtTm>
      <Acct><Id><IBAN>{account}</IBAN></Id><Ccy>EUR</Ccy></Acct>
      <Bal><Tp><CdOrPrtry><Cd>OPBD</Cd></CdOrPrtry></Tp><Amt Ccy="EUR">{opening}</Amt>
        <CdtDbtInd>CRDT</CdtDbtInd><Dt><Dt>2026-03-17</Dt></Dt></Bal>
      <Bal><Tp><CdOrPrtry><Cd>CLBD</Cd></CdOrPrtry></Tp><Amt Ccy="EUR">{abs(closing)}</Amt>
        <CdtDbtInd>{"DBIT" if closing < 0 else "CRDT"}</CdtDbtInd><Dt><Dt>2026-03-18</Dt></Dt></Bal>
      {"".join(_entry(c) for c in credits)}
    </Stmt>
  </BkToCstmrStmt>
</Document>""".encode()


def camt054(credits: list[Credit], *, version: str = "001.04", account: str = "DE02120300000000202051") -> bytes:
    """A camt.054 debit/credit notification (no balances)."""
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<Document xmlns="urn:iso:std:iso:20022:tech:xsd:camt.054.{version}">
  <BkToCstmrDbtCdtNtfctn>
    <GrpHdr><MsgId>NTF-1</MsgId><CreDtTm>2026-03-19T06:00:00</CreDtTm></GrpHdr>
    <Ntfctn>
      <Id>NTF-1</Id><CreDtTm>2026-03-19T06:00:00</CreDtTm>
      <Acct><Id><IBAN>{account}</IBAN></Id></Acct>
      {"".join(_entry(c) for c in credits)}
    </Ntfctn>
  </BkToCstmrDbtCdtNtfctn>
</Document>""".encode()


def _cents(amount: Decimal) -> int:
    return int((amount * 100).to_integral_value())


def bai2(
    credits: list[Credit],
    *,
    opening: Decimal = Decimal("1000.00"),
    closing: Decimal | None = None,
    account: str = "1234567890",
) -> bytes:
    """A BAI2 file, one account; 88 records carry the payer (DBNM), end-to-end id (EREF) and RMR segments."""
    moved = sum((-c.amount if c.debit else c.amount for c in credits), Decimal("0"))
    closing = opening + moved if closing is None else closing
    account_rows = [f"03,{account},USD,010,{_cents(opening)},,,015,{_cents(closing)},,/"]
    for c in credits:
        account_rows.append(
            f"16,{'475' if c.debit else '165'},{_cents(c.amount)},Z,{c.reference},{c.end_to_end},"
            f"ACH CREDIT {c.text or ''}/"
        )
        account_rows.append(f"88,DBNM: {c.payer}")
        account_rows.append(f"88,EREF: {c.end_to_end}")
        for number, paid in c.invoices:
            account_rows.append(f"88,RMR*IV*{number}*PI*{paid}\\")
    control = _cents(opening) + _cents(closing) + sum(_cents(c.amount) for c in credits)
    account_rows.append(f"49,{control},{len(account_rows) + 1}/")
    group_total = control
    rows = [
        "01,BANKID,OURCO,260319,0600,1,,,2/",
        "02,OURCO,BANKID,1,260318,2400,USD,2/",
        *account_rows,
        f"98,{group_total},1,{len(account_rows) + 2}/",
    ]
    rows.append(f"99,{group_total},1,{len(rows) + 1}/")
    return ("\n".join(rows) + "\n").encode()


def mt940(
    credits: list[Credit],
    *,
    opening: Decimal = Decimal("1000.00"),
    closing: Decimal | None = None,
    account: str = "NL91ABNA0417164300",
) -> bytes:
    """An MT940 statement with SWIFT-style :86: subfields (/EREF/ /NAME/ /REMI/)."""
    moved = sum((-c.amount if c.debit else c.amount for c in credits), Decimal("0"))
    closing = opening + moved if closing is None else closing

    def money(value: Decimal) -> str:
        return f"{abs(value):.2f}".replace(".", ",")

    rows = [":20:STMT1", f":25:{account}", ":28C:1/1", f":60F:C260317EUR{money(opening)}"]
    for c in credits:
        day = c.value_date.strftime("%y%m%d")
        rows.append(f":61:{day}{day[2:]}{'D' if c.debit else 'C'}{money(c.amount)}NTRF{c.end_to_end}//{c.reference}")
        rows.append(f":86:/EREF/{c.end_to_end}/NAME/{c.payer}/REMI/{c.text or ''}")
    rows.append(f":62F:{'D' if closing < 0 else 'C'}260318EUR{money(closing)}")
    return ("\n".join(rows) + "\n-\n").encode()
