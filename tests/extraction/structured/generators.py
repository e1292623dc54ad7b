"""Small, correct generators for structured test files (X12 820, EDIFACT ORDERS/REMADV, UBL Order, CSV/XLSX).

Counts and control numbers are computed, so a test corrupts exactly the one thing it means to."""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from openpyxl import Workbook


@dataclass
class Paid:
    """One invoice a remittance pays."""

    invoice: str
    paid: Decimal
    invoice_amount: Decimal | None = None
    discount: Decimal | None = None
    po: str | None = None


@dataclass
class Line:
    """One order line."""

    sku: str
    description: str
    quantity: Decimal
    uom: str
    price: Decimal

    @property
    def amount(self) -> Decimal:
        return self.quantity * self.price


@dataclass
class Order:
    """An order to write in any format."""

    po: str = "PO-7781"
    order_date: date = date(2026, 3, 2)
    buyer: str = "Acme Industrial Supply"
    currency: str = "EUR"
    delivery: date = date(2026, 3, 16)
    lines: list[Line] = field(
        default_factory=lambda: [
            Line("WID-100", "Widget, steel", Decimal("12"), "EA", Decimal("4.25")),
            Line("BRK-220", "Bracket 220 mm", Decimal("3"), "BX", Decimal("19.90")),
        ]
    )

    @property
    def total(self) -> Decimal:
        return sum((x.amount for x in self.lines), Decimal("0"))


DEFAULT_ITEMS = [
    Paid("INV-1001", Decimal("980.00"), Decimal("1000.00"), Decimal("20.00"), "PO-55"),
    Paid("INV-1002", Decimal("250.50"), Decimal("250.50")),
]


def x12(
    transaction_sets: list[list[str]],
    *,
    element: str = "*",
    segment: str = "~",
    component: str = ">",
    control: str = "000000905",
    newline: bool = True,
) -> bytes:
    """An X12 interchange around the given transaction sets (each: the segments between ST and SE)."""
    end = segment + ("\n" if newline else "")
    isa = element.join(
        [
            "ISA",
            "00",
            " " * 10,
            "00",
            " " * 10,
            "ZZ",
            "ACMEPAYER".ljust(15),
            "ZZ",
            "O2CSUPPLIER".ljust(15),
            "260302",
            "1200",
            "U",
            "00401",
            control,
            "0",
            "P",
            component,
        ]
    )
    out = [isa, element.join(["GS", "RA", "ACMEPAYER", "O2CSUPPLIER", "20260302", "1200", "1", "X", "004010"])]
    for n, body in enumerate(transaction_sets, start=1):
        st_control = f"{n:04d}"
        kind = body[0]
        segments = [element.join(["ST", kind, st_control])] + [s.replace("*", element) for s in body[1:]]
        segments.append(element.join(["SE", str(len(segments) + 1), st_control]))
        out.extend(segments)
    out.append(element.join(["GE", str(len(transaction_sets)), "1"]))
    out.append(element.join(["IEA", "1", control]))
    return (end.join(out) + end).encode("ascii")


def x12_820_body(
    items: list[Paid] = DEFAULT_ITEMS,
    *,
    amount: Decimal | None = None,
    reference: str = "ACH-55012",
    payer: str = "Acme Industrial Supply",
    paid_on: date = date(2026, 3, 5),
) -> list[str]:
    """The segments of one 820 (without ST/SE)."""
    total = amount if amount is not None else sum((i.paid for i in items), Decimal("0"))
    body = [
        "820",
        f"BPR*C*{total}*C*ACH*CCP*01*011000015*DA*1234567*1234567890**01*021000021*DA*7654321*{paid_on:%Y%m%d}",
        f"TRN*1*{reference}*1234567890",
        "CUR*PR*USD",
        f"DTM*097*{paid_on:%Y%m%d}",
        f"N1*PR*{payer}",
        "N1*PE*O2C Supplier GmbH*92*SUP01",
        "ENT*1",
    ]
    for item in items:
        body.append(f"RMR*IV*{item.invoice}**{item.paid}*{item.invoice_amount or ''}*{item.discount or ''}")
        if item.po:
            body.append(f"REF*PO*{item.po}")
    return body


def x12_850_body(order: Order = Order()) -> list[str]:
    """The segments of one 850 (without ST/SE), with a buyer party and a currency."""
    body = [
        "850",
        f"BEG*00*SA*{order.po}**{order.order_date:%Y%m%d}",
        f"CUR*BY*{order.currency}",
        "ITD*01*3*2**10**30",
        f"DTM*002*{order.delivery:%Y%m%d}",
        f"N1*BY*{order.buyer}*92*C-1001",
        "N1*ST*Acme Plant 2",
        "N3*12 Harbour Road",
        "N4*Hamburg**20457*DE",
    ]
    for n, line in enumerate(order.lines, start=1):
        body += [
            f"PO1*{n}*{line.quantity}*{line.uom}*{line.price}*PE*VN*{line.sku}*BP*B-{n}",
            f"PID*F****{line.description}",
        ]
    body += [f"CTT*{len(order.lines)}", f"AMT*TT*{order.total}"]
    return body


def edifact(messages: list[list[str]], *, una: bool = True, reference: str = "IC0042") -> bytes:
    """An EDIFACT interchange (default separators) around messages (each: the segments between UNH and UNT)."""
    out = ["UNA:+.? "] if una else []
    out.append(f"UNB+UNOC:3+ACMEPAYER:14+O2CSUPPLIER:14+260302:1200+{reference}")
    for n, body in enumerate(messages, start=1):
        segments = [f"UNH+M{n}+{body[0]}:D:96A:UN"] + body[1:]
        segments.append(f"UNT+{len(segments) + 1}+M{n}")
        out.extend(segments)
    out.append(f"UNZ+{len(messages)}+{reference}")
    text = "'\n".join(out) + "'\n"
    return text.replace("UNA:+.? '\n", "UNA:+.? '").encode("latin-1")


def orders_body(order: Order = Order()) -> list[str]:
    """The segments of one EDIFACT ORDERS message (without UNH/UNT)."""
    body = [
        "ORDERS",
        f"BGM+220+{order.po}+9",
        f"DTM+137:{order.order_date:%Y%m%d}:102",
        f"DTM+2:{order.delivery:%Y%m%d}:102",
        "FTX+AAB+++30 days net",
        f"NAD+BY+4012345000009::9++{_escape(order.buyer)}",
        "NAD+ST+++Acme Plant 2+12 Harbour Road+Hamburg++20457+DE",
        f"CUX+2:{order.currency}:9",
    ]
    for n, line in enumerate(order.lines, start=1):
        body += [
            f"LIN+{n}++400{n:010d}:EN",
            f"PIA+5+{line.sku}:SA",
            f"IMD+F++:::{_escape(line.description)}",
            f"QTY+21:{line.quantity}:{line.uom}",
            f"PRI+AAA:{line.price}",
            f"MOA+203:{line.amount}",
        ]
    body += ["UNS+S", f"MOA+79:{order.total}", f"MOA+86:{order.total}", f"CNT+2:{len(order.lines)}"]
    return body


def remadv_body(
    items: list[Paid] = DEFAULT_ITEMS,
    *,
    reference: str = "RA-2026-031",
    payer: str = "Acme Industrial Supply",
    amount: Decimal | None = None,
) -> list[str]:
    """The segments of one EDIFACT REMADV message (without UNH/UNT)."""
    total = amount if amount is not None else sum((i.paid for i in items), Decimal("0"))
    body = [
        "REMADV",
        f"BGM+481+{reference}+9",
        "DTM+137:20260304:102",
        "DTM+209:20260305:102",
        f"NAD+PR+++{_escape(payer)}",
        "NAD+PE+++O2C Supplier GmbH",
        "CUX+2:EUR:11",
        "PAI+::42",
        f"MOA+12:{total}",
    ]
    for item in items:
        body += [f"DOC+380+{item.invoice}", f"MOA+12:{item.paid}"]
        if item.invoice_amount is not None:
            body.append(f"MOA+77:{item.invoice_amount}")
        if item.discount is not None:
            body.append(f"MOA+52:{item.discount}")
        if item.po:
            body.append(f"RFF+ON:{item.po}")
    return body


def _escape(text: str) -> str:
    return "".join("?" + c if c in "?:+'" else c for c in text)


def ubl_order(
    order: Order = Order(),
    *,
    root: str = "Order",
    namespace: str = "urn:oasis:names:specification:ubl:schema:xsd:Order-2",
) -> bytes:
    """A UBL 2.1 Order document."""
    lines = "".join(
        f"""
  <cac:OrderLine><cac:LineItem>
    <cbc:ID>{n}</cbc:ID>
    <cbc:Quantity unitCode="{line.uom}">{line.quantity}</cbc:Quantity>
    <cbc:LineExtensionAmount currencyID="{order.currency}">{line.amount}</cbc:LineExtensionAmount>
    <cac:Price><cbc:PriceAmount currencyID="{order.currency}">{line.price}</cbc:PriceAmount></cac:Price>
    <cac:Item><cbc:Name>{line.description}</cbc:Name>
      <cac:SellersItemIdentification><cbc:ID>{line.sku}</cbc:ID></cac:SellersItemIdentification></cac:Item>
  </cac:LineItem></cac:OrderLine>"""
        for n, line in enumerate(order.lines, start=1)
    )
    xml = f"""<?xml version="1.0" encoding="UTF-8"?>
<{root} xmlns="{namespace}"
 xmlns:cbc="urn:oasis:names:specification:ubl:schema:xsd:CommonBasicComponents-2"
 xmlns:cac="urn:oasis:names:specification:ubl:schema:xsd:CommonAggregateComponents-2">
  <cbc:UBLVersionID>2.1</cbc:UBLVersionID>
  <cbc:ID>{order.po}</cbc:ID>
  <cbc:IssueDate>{order.order_date.isoformat()}</cbc:IssueDate>
  <cbc:DocumentCurrencyCode>{order.currency}</cbc:DocumentCurrencyCode>
  <cac:BuyerCustomerParty><cac:Party><cac:PartyName><cbc:Name>{order.buyer}</cbc:Name></cac:PartyName>
  </cac:Party></cac:BuyerCustomerParty>
  <cac:SellerSupplierParty><cac:Party><cac:PartyName><cbc:Name>O2C Supplier GmbH</cbc:Name></cac:PartyName>
  </cac:Party></cac:SellerSupplierParty>
  <cac:Delivery><cac:DeliveryLocation><cac:Address><cbc:StreetName>12 Harbour Road</cbc:StreetName>
    <cbc:CityName>Hamburg</cbc:CityName><cbc:PostalZone>20457</cbc:PostalZone>
    <cac:Country><cbc:IdentificationCode>DE</cbc:IdentificationCode></cac:Country></cac:Address>
    </cac:DeliveryLocation>
    <cac:RequestedDeliveryPeriod><cbc:StartDate>{order.delivery.isoformat()}</cbc:StartDate>
    </cac:RequestedDeliveryPeriod></cac:Delivery>
  <cac:PaymentTerms><cbc:Note>30 days net</cbc:Note></cac:PaymentTerms>
  <cac:AnticipatedMonetaryTotal>
    <cbc:LineExtensionAmount currencyID="{order.currency}">{order.total}</cbc:LineExtensionAmount>
    <cbc:PayableAmount currencyID="{order.currency}">{order.total}</cbc:PayableAmount>
  </cac:AnticipatedMonetaryTotal>{lines}
</{root}>
"""
    return xml.encode("utf-8")


REMITTANCE_HEADER = [
    "Payment Reference",
    "Payment Date",
    "Payer",
    "Invoice No.",
    "PO #",
    "Invoice Amount",
    "Discount Taken",
    "Amount Paid",
]


def remittance_rows(
    items: list[Paid] = DEFAULT_ITEMS,
    *,
    reference: str = "CHK-20417",
    paid_on: str = "2026-03-05",
    payer: str = "Acme Industrial Supply",
) -> list[list[object]]:
    """Table rows of a remittance advice (without the header)."""
    return [[reference, paid_on, payer, i.invoice, i.po or "", i.invoice_amount, i.discount, i.paid] for i in items]


def remittance_csv(
    rows: list[list[object]],
    *,
    header: list[str] = REMITTANCE_HEADER,
    delimiter: str = ",",
    decimal_comma: bool = False,
    preamble: list[list[str]] = (),
) -> bytes:
    """A CSV remittance file."""
    buf = io.StringIO()
    writer = csv.writer(buf, delimiter=delimiter)
    for row in preamble:
        writer.writerow(row)
    writer.writerow(header)
    for row in rows:
        cells = ["" if c is None else str(c) for c in row]
        if decimal_comma:
            cells = [c.replace(".", ",") if _is_number(c) else c for c in cells]
        writer.writerow(cells)
    return buf.getvalue().encode("utf-8")


def remittance_xlsx(
    rows: list[list[object]], *, header: list[str] = REMITTANCE_HEADER, preamble: list[list[object]] = ()
) -> bytes:
    """An XLSX remittance workbook (numbers as numbers, dates as dates, like a spreadsheet user makes)."""
    book = Workbook()
    sheet = book.active
    for row in preamble:
        sheet.append(row)
    sheet.append(header)
    for row in rows:
        sheet.append([float(c) if isinstance(c, Decimal) else c for c in row])
    buf = io.BytesIO()
    book.save(buf)
    return buf.getvalue()


def _is_number(text: str) -> bool:
    try:
        Decimal(text)
    except ArithmeticError:
        return False
    return True
