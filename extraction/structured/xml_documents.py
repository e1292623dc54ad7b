"""XML business documents: Order-X / Factur-X (UN/CEFACT CII) and UBL 2.1, read by element name with lxml."""

from __future__ import annotations

from decimal import Decimal

from lxml import etree

from o2c.extraction.errors import UnreadableDocument
from o2c.extraction.schema import OTHER, PURCHASE_ORDER, ExtractedOrder, Extraction, OrderLine
from o2c.extraction.structured.common import COMPUTED, FieldLog, join_address, line_amount, to_amount, to_date

ORDER_X_ROOT = "SCRDMCCBDACIOMessageStructure"
CII_INVOICE_ROOT = "CrossIndustryInvoice"
UBL_ORDER_NS = "urn:oasis:names:specification:ubl:schema:xsd:Order-2"
_UBL_OTHER = {
    "Invoice": "invoice",
    "CreditNote": "credit note",
    "OrderResponse": "order response",
    "OrderResponseSimple": "order response",
    "OrderChange": "order change",
    "DespatchAdvice": "despatch advice",
}
_ORDER_X_TYPES: dict[str | None, str] = {"220": "order", "230": "order change", "231": "order response"}
# no DTDs, no entities, no network: an XML file from outside must not reach anything (XXE, billion laughs)
_PARSER = etree.XMLParser(
    resolve_entities=False, no_network=True, load_dtd=False, huge_tree=False, remove_comments=True
)


def parse_xml(content: bytes) -> etree._Element:
    """The document's root element; UnreadableDocument when the bytes are not well-formed XML."""
    try:
        root = etree.fromstring(content.lstrip(b"\xef\xbb\xbf \t\r\n"), parser=_PARSER)
    except etree.XMLSyntaxError as exc:
        raise UnreadableDocument(f"XML is not well-formed: {exc}", reason="malformed") from exc
    if root is None:
        raise UnreadableDocument("XML has no root element", reason="malformed")
    return root


def root_name(root: etree._Element) -> tuple[str, str]:
    """(local name, namespace) of an element."""
    qname = etree.QName(root)
    return qname.localname, qname.namespace or ""


def is_business_xml(root: etree._Element) -> bool:
    """True for the XML roots this module reads (Order-X, CII invoices, UBL)."""
    name, namespace = root_name(root)
    return name in (ORDER_X_ROOT, CII_INVOICE_ROOT) or "oasis:names:specification:ubl" in namespace


def read_business_xml(root: etree._Element, *, source: str, where: str = "") -> Extraction:
    """An Order-X / UBL order as a purchase order; a CII or UBL invoice (a supplier's bill) as 'other'."""
    name, namespace = root_name(root)
    log = FieldLog()
    extraction = Extraction(source=source, document_type=OTHER)
    if name == ORDER_X_ROOT:
        type_code = _text(root, "ExchangedDocument/TypeCode")
        if type_code in (None, "220", "230"):
            extraction.document_type = PURCHASE_ORDER
            extraction.order = _read_cii_order(root, log, where)
            if type_code == "230":
                log.warnings.append("Order-X TypeCode 230: an order change, not a new order")
        else:
            log.warnings.append(
                f"Order-X TypeCode {type_code} ({_ORDER_X_TYPES.get(type_code, 'unknown')}) is not a purchase order"
            )
    elif name == CII_INVOICE_ROOT:
        log.warnings.append("Factur-X / ZUGFeRD invoice: a supplier invoice, not a purchase order or remittance")
    elif namespace == UBL_ORDER_NS and name == "Order":
        extraction.document_type = PURCHASE_ORDER
        extraction.order = _read_ubl_order(root, log, where)
    else:
        log.warnings.append(f"UBL {_UBL_OTHER.get(name, name)} is neither a purchase order nor a remittance advice")
    return log.finish(extraction)


def _children(el: etree._Element, step: str) -> list[etree._Element]:
    return [c for c in el if isinstance(c.tag, str) and etree.QName(c).localname == step]


def _all(el: etree._Element | None, path: str) -> list[etree._Element]:
    found = [el] if el is not None else []
    for step in path.split("/"):
        found = [c for parent in found for c in _children(parent, step)]
    return found


def _one(el: etree._Element | None, path: str) -> etree._Element | None:
    found = _all(el, path)
    return found[0] if found else None


def _text(el: etree._Element | None, path: str) -> str | None:
    node = _one(el, path)
    if node is None or node.text is None:
        return None
    return " ".join(node.text.split()) or None


def _xpath(el: etree._Element) -> str:
    return el.getroottree().getpath(el)


class _Reader:
    """Reads values under a root and records each with its element path."""

    def __init__(self, log: FieldLog, where: str):
        self.log = log
        self.where = where

    def text(self, field_path: str, el: etree._Element | None, path: str) -> str | None:
        node = _one(el, path)
        if node is None or node.text is None or not node.text.strip():
            return None
        value = " ".join(node.text.split())
        self.log.record(field_path, self.where + _xpath(node), value)
        return value

    def amount(self, field_path: str, el: etree._Element | None, path: str) -> Decimal | None:
        node = _one(el, path)
        value = self.text(field_path, el, path)
        return to_amount(value, self.where + _xpath(node)) if value is not None else None

    def date(self, field_path: str, el: etree._Element | None, path: str):
        node = _one(el, path)
        value = self.text(field_path, el, path)
        if value is None or node is None:  # (a value is read from its node)
            return None
        return to_date(value, self.where + _xpath(node), node.get("format") or "102")


def _address(party: etree._Element | None, address_path: str, lines: tuple[str, ...], city: tuple[str, ...]):
    if party is None:
        return None
    address = _one(party, address_path)
    name = _text(party, "Name") or _text(party, "PartyName/Name")
    parts = [name] + [_text(address, p) for p in lines]
    parts.append(" ".join(p for p in (_text(address, c) for c in city) if p))
    return join_address(*parts)


def _read_cii_order(root: etree._Element, log: FieldLog, where: str) -> ExtractedOrder:
    r = _Reader(log, where)
    order = ExtractedOrder()
    doc = _one(root, "ExchangedDocument")
    order.po_number = r.text("order.po_number", doc, "ID")
    order.order_date = r.date("order.order_date", doc, "IssueDateTime/DateTimeString")
    transaction = _one(root, "SupplyChainTradeTransaction")
    agreement = _one(transaction, "ApplicableHeaderTradeAgreement")
    delivery = _one(transaction, "ApplicableHeaderTradeDelivery")
    settlement = _one(transaction, "ApplicableHeaderTradeSettlement")
    order.buyer_name = r.text("order.buyer_name", agreement, "BuyerTradeParty/Name")
    cii_lines = ("LineOne", "LineTwo", "LineThree")
    cii_city = ("PostcodeCode", "CityName", "CountryID")
    ship_party = _one(delivery, "ShipToTradeParty")
    if ship_party is not None:
        order.ship_to = _address(ship_party, "PostalTradeAddress", cii_lines, cii_city)
        log.record("order.ship_to", where + _xpath(ship_party), order.ship_to)
    bill_party = _one(settlement, "InvoiceeTradeParty")
    if bill_party is not None:
        order.bill_to = _address(bill_party, "PostalTradeAddress", cii_lines, cii_city)
        log.record("order.bill_to", where + _xpath(bill_party), order.bill_to)
    order.requested_delivery_date = r.date(
        "order.requested_delivery_date", delivery, "RequestedDeliverySupplyChainEvent/OccurrenceDateTime/DateTimeString"
    ) or r.date(
        "order.requested_delivery_date",
        delivery,
        "RequestedDeliverySupplyChainEvent/OccurrenceSpecifiedPeriod/StartDateTime/DateTimeString",
    )
    currency = r.text("order.currency", settlement, "OrderCurrencyCode") or r.text(
        "order.currency", settlement, "InvoiceCurrencyCode"
    )
    order.currency = currency.upper() if currency else None
    order.payment_terms = r.text("order.payment_terms", settlement, "SpecifiedTradePaymentTerms/Description")
    totals = _one(settlement, "SpecifiedTradeSettlementHeaderMonetarySummation")
    order.subtotal = r.amount("order.subtotal", totals, "LineTotalAmount")
    order.tax = r.amount("order.tax", totals, "TaxTotalAmount")
    order.total = r.amount("order.total", totals, "GrandTotalAmount")
    for i, item in enumerate(_all(transaction, "IncludedSupplyChainTradeLineItem")):
        order.lines.append(_cii_line(r, item, f"order.lines[{i}]"))
    _total_from_lines(order, log)
    return order


def _cii_line(r: _Reader, item: etree._Element, path: str) -> OrderLine:
    product = _one(item, "SpecifiedTradeProduct")
    line = OrderLine()
    line.sku = (
        r.text(f"{path}.sku", product, "SellerAssignedID")
        or r.text(f"{path}.sku", product, "BuyerAssignedID")
        or r.text(f"{path}.sku", product, "GlobalID")
    )
    line.description = r.text(f"{path}.description", product, "Name")
    quantity = _one(item, "SpecifiedLineTradeDelivery/RequestedQuantity")
    line.quantity = r.amount(f"{path}.quantity", item, "SpecifiedLineTradeDelivery/RequestedQuantity")
    if quantity is not None and quantity.get("unitCode"):
        line.uom = quantity.get("unitCode")
        r.log.record(f"{path}.uom", r.where + _xpath(quantity) + "/@unitCode", line.uom)
    price = _one(item, "SpecifiedLineTradeAgreement/NetPriceProductTradePrice")
    line.unit_price = r.amount(f"{path}.unit_price", price, "ChargeAmount")
    basis = to_amount(_text(price, "BasisQuantity"), "BasisQuantity")
    if line.unit_price is not None and basis and basis != 1:
        line.unit_price = line.unit_price / basis
    line.amount = r.amount(
        f"{path}.amount",
        item,
        "SpecifiedLineTradeSettlement/SpecifiedTradeSettlementLineMonetarySummation/LineTotalAmount",
    )
    if line.amount is None and (amount := line_amount(line.quantity, line.unit_price)) is not None:
        line.amount = amount
        r.log.record(f"{path}.amount", "quantity x net price", amount, COMPUTED)
    return line


def _read_ubl_order(root: etree._Element, log: FieldLog, where: str) -> ExtractedOrder:
    r = _Reader(log, where)
    order = ExtractedOrder()
    order.po_number = r.text("order.po_number", root, "ID")
    order.order_date = r.date("order.order_date", root, "IssueDate")
    currency = r.text("order.currency", root, "DocumentCurrencyCode")
    order.currency = currency.upper() if currency else None
    buyer = _one(root, "BuyerCustomerParty/Party")
    order.buyer_name = r.text("order.buyer_name", buyer, "PartyName/Name") or r.text(
        "order.buyer_name", buyer, "PartyLegalEntity/RegistrationName"
    )
    ubl_lines = ("StreetName", "AdditionalStreetName", "AddressLine/Line")
    ubl_city = ("PostalZone", "CityName", "CountrySubentity", "Country/IdentificationCode")
    delivery = _one(root, "Delivery")
    address = _one(delivery, "DeliveryAddress") or _one(delivery, "DeliveryLocation/Address")
    if address is not None:
        parts = [_text(delivery, "DeliveryParty/PartyName/Name")] + [_text(address, p) for p in ubl_lines]
        parts.append(" ".join(p for p in (_text(address, c) for c in ubl_city) if p))
        order.ship_to = join_address(*parts)
        log.record("order.ship_to", where + _xpath(address), order.ship_to)
    accounting = _one(root, "AccountingCustomerParty/Party")
    if accounting is not None:
        order.bill_to = _address(accounting, "PostalAddress", ubl_lines, ubl_city)
        log.record("order.bill_to", where + _xpath(accounting), order.bill_to)
    order.requested_delivery_date = r.date(
        "order.requested_delivery_date", delivery, "RequestedDeliveryPeriod/StartDate"
    )
    order.payment_terms = r.text("order.payment_terms", root, "PaymentTerms/Note")
    totals = _one(root, "AnticipatedMonetaryTotal")
    order.subtotal = r.amount("order.subtotal", totals, "LineExtensionAmount")
    order.total = r.amount("order.total", totals, "PayableAmount")
    order.tax = r.amount("order.tax", root, "TaxTotal/TaxAmount")
    for i, item in enumerate(_all(root, "OrderLine/LineItem")):
        path = f"order.lines[{i}]"
        line = OrderLine()
        line.sku = (
            r.text(f"{path}.sku", item, "Item/SellersItemIdentification/ID")
            or r.text(f"{path}.sku", item, "Item/BuyersItemIdentification/ID")
            or r.text(f"{path}.sku", item, "Item/StandardItemIdentification/ID")
        )
        line.description = r.text(f"{path}.description", item, "Item/Name") or r.text(
            f"{path}.description", item, "Item/Description"
        )
        quantity = _one(item, "Quantity")
        line.quantity = r.amount(f"{path}.quantity", item, "Quantity")
        if quantity is not None and quantity.get("unitCode"):
            line.uom = quantity.get("unitCode")
            log.record(f"{path}.uom", where + _xpath(quantity) + "/@unitCode", line.uom)
        line.unit_price = r.amount(f"{path}.unit_price", item, "Price/PriceAmount")
        basis = to_amount(_text(item, "Price/BaseQuantity"), "Price/BaseQuantity")
        if line.unit_price is not None and basis and basis != 1:
            line.unit_price = line.unit_price / basis
        line.amount = r.amount(f"{path}.amount", item, "LineExtensionAmount")
        if line.amount is None and (amount := line_amount(line.quantity, line.unit_price)) is not None:
            line.amount = amount
            log.record(f"{path}.amount", "quantity x price", amount, COMPUTED)
        order.lines.append(line)
    _total_from_lines(order, log)
    return order


def _total_from_lines(order: ExtractedOrder, log: FieldLog) -> None:
    if order.total is None and order.lines and all(x.amount is not None for x in order.lines):
        order.total = sum((x.amount for x in order.lines if x.amount is not None), Decimal("0"))
        log.record("order.total", "sum of line amounts", order.total, COMPUTED)
