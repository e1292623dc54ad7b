"""An issued invoice as documents: PDF (reportlab) for people, UBL 2.1 XML for the ERP or the customer."""

from __future__ import annotations

import io
from dataclasses import dataclass
from decimal import Decimal
from xml.etree import ElementTree as ET

import facturx
from reportlab.lib.pagesizes import A4
from reportlab.lib.units import mm
from reportlab.pdfgen import canvas
from sqlalchemy import select
from sqlalchemy.orm import Session

from o2c.core.money import decimal_str, quantize
from o2c.ledger.errors import InvoiceNotFound
from o2c.ledger.models import Customer, Invoice, Order

UBL = "urn:oasis:names:specification:ubl:schema:xsd:Invoice-2"
CAC = "urn:oasis:names:specification:ubl:schema:xsd:CommonAggregateComponents-2"
CBC = "urn:oasis:names:specification:ubl:schema:xsd:CommonBasicComponents-2"
SELLER, SELLER_COUNTRY = "o2c seller", "FR"


@dataclass(frozen=True)
class InvoiceView:
    """What both renderings show: the invoice, its customer and its order lines (imported invoices: none)."""

    invoice: Invoice
    customer: Customer | None
    order: Order | None

    @property
    def net(self) -> Decimal:
        """The amount before tax."""
        return self.invoice.amount - self.invoice.tax_amount


def load_invoice(session: Session, invoice_number: str) -> InvoiceView:
    """The invoice by number with what its documents need, or InvoiceNotFound."""
    invoice = session.scalar(select(Invoice).where(Invoice.invoice_number == invoice_number))
    if invoice is None:
        raise InvoiceNotFound(f"invoice {invoice_number} not found", invoice_number=invoice_number)
    customer = session.scalar(select(Customer).where(Customer.customer_id == invoice.customer_id))
    order = session.get(Order, invoice.order_id) if invoice.order_id else None
    return InvoiceView(invoice, customer, order)


def _m(value: Decimal | None) -> str:
    return decimal_str(quantize(Decimal(value or 0)))


def render_pdf(view: InvoiceView) -> bytes:
    """A one-invoice PDF: header, bill-to, lines, net, tax, total, due date and terms."""
    inv, buf = view.invoice, io.BytesIO()
    pdf = canvas.Canvas(buf, pagesize=A4, pageCompression=1)
    pdf.setTitle(f"Invoice {inv.invoice_number}")
    width, height = A4
    y = height - 25 * mm
    pdf.setFont("Helvetica-Bold", 16)
    pdf.drawString(20 * mm, y, f"Invoice {inv.invoice_number}")
    pdf.setFont("Helvetica", 10)
    for text in (
        f"Invoice date: {inv.invoice_date.isoformat()}",
        f"Due date: {inv.due_date.isoformat() if inv.due_date else '-'}",
        f"Terms: {inv.payment_terms or '-'}",
        f"PO number: {inv.po_number or '-'}",
        f"Customer: {view.customer.name if view.customer else inv.customer_id} ({inv.customer_id})",
    ):
        y -= 6 * mm
        pdf.drawString(20 * mm, y, text)
    if view.customer and view.customer.address:
        y -= 6 * mm
        pdf.drawString(20 * mm, y, view.customer.address[:90])
    y -= 12 * mm
    pdf.setFont("Helvetica-Bold", 10)
    for x, head in ((20, "SKU"), (55, "Description"), (125, "Qty"), (145, "Unit price"), (172, "Amount")):
        pdf.drawString(x * mm, y, head)
    pdf.setFont("Helvetica", 9)
    for line in view.order.lines if view.order else []:
        y -= 5 * mm
        if y < 30 * mm:
            pdf.showPage()
            pdf.setFont("Helvetica", 9)
            y = height - 25 * mm
        pdf.drawString(20 * mm, y, line.sku[:18])
        pdf.drawString(55 * mm, y, (line.description or "")[:40])
        pdf.drawRightString(138 * mm, y, decimal_str(Decimal(line.quantity).normalize()))
        pdf.drawRightString(165 * mm, y, _m(line.unit_price))
        pdf.drawRightString(width - 20 * mm, y, _m(line.amount))
    pdf.setFont("Helvetica-Bold", 10)
    for label, value in (("Net", view.net), ("Tax", inv.tax_amount), (f"Total {inv.currency}", inv.amount)):
        y -= 7 * mm
        pdf.drawString(145 * mm, y, label)
        pdf.drawRightString(width - 20 * mm, y, _m(value))
    pdf.showPage()
    pdf.save()
    return buf.getvalue()


def _el(parent, ns: str, tag: str, text: str | None = None, **attrs) -> ET.Element:
    node = ET.SubElement(parent, f"{{{ns}}}{tag}", attrs)
    if text is not None:
        node.text = text
    return node


def _party(root, role: str, name: str, ident: str | None, address: str | None) -> None:
    party = _el(_el(root, CAC, role), CAC, "Party")
    if ident:
        _el(_el(party, CAC, "PartyIdentification"), CBC, "ID", ident)
    _el(_el(party, CAC, "PartyName"), CBC, "Name", name)
    postal = _el(party, CAC, "PostalAddress")
    if address:
        _el(_el(postal, CAC, "AddressLine"), CBC, "Line", address)
    _el(_el(party, CAC, "PartyLegalEntity"), CBC, "RegistrationName", name)


def render_ubl(view: InvoiceView, *, seller: str = SELLER) -> bytes:
    """UBL 2.1 Invoice XML (BIS Billing 3.0 field choices: ids, dates, parties, tax total, totals, lines)."""
    for prefix, ns in (("", UBL), ("cac", CAC), ("cbc", CBC)):
        ET.register_namespace(prefix, ns)
    inv, cur = view.invoice, view.invoice.currency
    root = ET.Element(f"{{{UBL}}}Invoice")
    _el(root, CBC, "UBLVersionID", "2.1")
    _el(root, CBC, "CustomizationID", "urn:cen.eu:en16931:2017#compliant#urn:fdc:peppol.eu:2017:poacc:billing:3.0")
    _el(root, CBC, "ID", inv.invoice_number)
    _el(root, CBC, "IssueDate", inv.invoice_date.isoformat())
    if inv.due_date:
        _el(root, CBC, "DueDate", inv.due_date.isoformat())
    _el(root, CBC, "InvoiceTypeCode", "380")
    _el(root, CBC, "DocumentCurrencyCode", cur)
    if inv.po_number:
        _el(_el(root, CAC, "OrderReference"), CBC, "ID", inv.po_number)
    _party(root, "AccountingSupplierParty", seller, None, None)
    customer = view.customer
    _party(
        root,
        "AccountingCustomerParty",
        customer.name if customer else inv.customer_id,
        inv.customer_id,
        customer.address if customer else None,
    )
    if inv.payment_terms:
        _el(_el(root, CAC, "PaymentTerms"), CBC, "Note", inv.payment_terms)
    tax_total = _el(root, CAC, "TaxTotal")
    _el(tax_total, CBC, "TaxAmount", _m(inv.tax_amount), currencyID=cur)
    totals = _el(root, CAC, "LegalMonetaryTotal")
    for tag, value in (
        ("LineExtensionAmount", view.net),
        ("TaxExclusiveAmount", view.net),
        ("TaxInclusiveAmount", inv.amount),
        ("PayableAmount", inv.open_amount),
    ):
        _el(totals, CBC, tag, _m(value), currencyID=cur)
    for line in view.order.lines if view.order else []:
        node = _el(root, CAC, "InvoiceLine")
        _el(node, CBC, "ID", str(line.line_no))
        _el(
            node,
            CBC,
            "InvoicedQuantity",
            decimal_str(Decimal(line.quantity).normalize()),
            unitCode=(line.uom or "EA").upper(),
        )
        _el(node, CBC, "LineExtensionAmount", _m(line.amount), currencyID=cur)
        item = _el(node, CAC, "Item")
        _el(item, CBC, "Name", line.description or line.sku)
        _el(_el(item, CAC, "SellersItemIdentification"), CBC, "ID", line.sku)
        _el(_el(node, CAC, "Price"), CBC, "PriceAmount", decimal_str(Decimal(line.unit_price)), currencyID=cur)
    return ET.tostring(root, encoding="utf-8", xml_declaration=True)


def facturx_data(view: InvoiceView, *, seller: str = SELLER, country: str = SELLER_COUNTRY) -> dict:
    """The invoice as an EN 16931 data dict (BT/BG codes) for the factur-x package, BASIC WL level."""
    inv, net = view.invoice, view.net
    rate = (inv.tax_amount / net * 100).quantize(Decimal("0.01")) if net else Decimal("0")
    buyer = {"name": view.customer.name if view.customer else inv.customer_id}
    if view.customer and view.customer.address:
        buyer["addr_l1"] = view.customer.address[:100]
    data = {
        "BT-1": inv.invoice_number,
        "BT-2": inv.invoice_date,
        "BT-3": "380",
        "BT-5": inv.currency,
        "BT-72": inv.invoice_date,
        "BG-4": {"name": seller, "country_code": country},
        "BG-7": buyer,
        "BG-23": [
            {
                "BT-116": _m(net),
                "BT-117": _m(inv.tax_amount),
                "BT-118": "S" if inv.tax_amount else "Z",
                "BT-119": decimal_str(rate),
            }
        ],
        "BT-106": _m(net),
        "BT-109": _m(net),
        "BT-110": _m(inv.tax_amount),
        "BT-112": _m(inv.amount),
        "BT-115": _m(inv.open_amount),
    }
    if inv.po_number:
        data["BT-13"] = inv.po_number
    if inv.due_date:
        data["BT-9"] = inv.due_date
    if inv.payment_terms:
        data["BT-20"] = inv.payment_terms
    return data


def render_facturx_xml(view: InvoiceView) -> bytes:
    """Factur-X (CII, BASIC WL) XML, checked against the official XSD by the factur-x package."""
    return facturx.generate_cii_xml(facturx_data(view), level="basicwl", check_schematron=False)


def render_facturx_pdf(view: InvoiceView) -> bytes:
    """The PDF with its Factur-X XML embedded (PDF/A-3 attachment `factur-x.xml`)."""
    return facturx.generate_from_binary(render_pdf(view), render_facturx_xml(view))
