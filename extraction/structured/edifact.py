"""UN/EDIFACT interchanges (pydifact tokenizes): ORDERS -> purchase orders, REMADV -> remittance advices."""

from __future__ import annotations

import warnings
from dataclasses import dataclass, field
from decimal import Decimal

from pydifact.exceptions import EDISyntaxError, ValidationError
from pydifact.parser import Parser

from o2c.extraction.errors import UnreadableDocument
from o2c.extraction.schema import (
    OTHER,
    PURCHASE_ORDER,
    REMITTANCE_ADVICE,
    ExtractedOrder,
    ExtractedRemittance,
    Extraction,
    OrderLine,
    RemittanceItem,
)
from o2c.extraction.structured.common import COMPUTED, FieldLog, join_address, line_amount, to_amount, to_date

# item number types, our own (supplier's) article number first
_SKU_TYPES = ("SA", "VN", "MF", "IN", "BP", "EN", "SRV", "UP")
_ORDER_TOTALS = ("86", "128", "77", "39")
_REMITTED = ("12", "11", "9", "60", "128")
_MEANS = {
    "10": "Cash",
    "20": "Cheque",
    "23": "Cheque",
    "30": "Credit transfer",
    "31": "Debit transfer",
    "42": "Bank transfer",
    "58": "SEPA",
    "60": "Promissory note",
    "97": "Clearing",
}


@dataclass
class Segment:
    """One EDIFACT segment: tag, elements (each a string or a list of components), position in the file."""

    tag: str
    elements: list
    index: int

    def get(self, n: int, component: int = 1) -> str | None:
        """Element n (1-based), component (1-based) of it, stripped; None when absent or empty."""
        if n > len(self.elements):
            return None
        value = self.elements[n - 1]
        if isinstance(value, list):
            value = value[component - 1] if component <= len(value) else None
        elif component != 1:
            value = None
        value = (value or "").strip()
        return value or None


@dataclass
class Message:
    """The segments from UNH to UNT inclusive."""

    kind: str
    reference: str
    segments: list[Segment] = field(default_factory=list)


def is_edifact(content: bytes) -> bool:
    """True when the bytes open an EDIFACT interchange (UNA service string or UNB header)."""
    return content.lstrip(b"\xef\xbb\xbf \t\r\n")[:3] in (b"UNA", b"UNB")


def messages(content: bytes) -> list[Message]:
    """UNH..UNT messages, with the envelope checked: UNT and UNZ counts and references must agree."""
    text = content.decode("latin-1").lstrip("\ufeff\xef\xbb\xbf \t\r\n")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # pydifact warns about directories it has no XML for
            raw = list(Parser().parse(text))
    except EDISyntaxError as exc:
        raise UnreadableDocument(f"EDIFACT interchange cannot be read: {exc}", reason="truncated") from exc
    except (ValidationError, ValueError, IndexError, KeyError, TypeError) as exc:
        raise UnreadableDocument(f"EDIFACT interchange is malformed: {exc}", reason="malformed") from exc
    segments = [Segment(tag=str(s.tag).upper(), elements=list(s.elements), index=i + 1) for i, s in enumerate(raw)]
    segments = [s for s in segments if s.tag != "UNA"]
    if not segments or segments[0].tag != "UNB":
        raise UnreadableDocument("EDIFACT interchange has no UNB header", reason="malformed")
    if segments[-1].tag != "UNZ":
        raise UnreadableDocument(
            f"EDIFACT interchange is truncated: it ends with {segments[-1].tag}, not UNZ", reason="truncated"
        )
    unb, unz = segments[0], segments[-1]
    found: list[Message] = []
    current: Message | None = None
    for seg in segments[1:-1]:
        if seg.tag == "UNH":
            if current is not None:
                raise UnreadableDocument(f"EDIFACT message {current.reference} has no UNT", reason="truncated")
            current = Message(kind=seg.get(2, 1) or "", reference=seg.get(1) or "", segments=[seg])
        elif seg.tag == "UNT":
            if current is None:
                raise UnreadableDocument(f"EDIFACT UNT at segment {seg.index} without a UNH", reason="malformed")
            current.segments.append(seg)
            _check_count("UNT", seg.get(1), len(current.segments), f"message {current.reference}")
            if seg.get(2) != current.reference:
                raise UnreadableDocument(
                    f"EDIFACT UNT reference {seg.get(2)!r} does not match UNH {current.reference!r}",
                    reason="control_number",
                )
            found.append(current)
            current = None
        elif current is not None:
            current.segments.append(seg)
        elif seg.tag not in ("UNG", "UNE"):
            raise UnreadableDocument(
                f"EDIFACT segment {seg.tag} at {seg.index} lies outside any message", reason="malformed"
            )
    if current is not None:
        raise UnreadableDocument(f"EDIFACT message {current.reference} is truncated (no UNT)", reason="truncated")
    if not any(s.tag == "UNG" for s in segments):
        _check_count("UNZ", unz.get(1), len(found), "interchange")
    if unz.get(2) != unb.get(5):
        raise UnreadableDocument(
            f"EDIFACT UNZ reference {unz.get(2)!r} does not match UNB {unb.get(5)!r}", reason="control_number"
        )
    if not found:
        raise UnreadableDocument("EDIFACT interchange holds no message", reason="empty")
    return found


def read_edifact(content: bytes, *, source: str) -> list[Extraction]:
    """One Extraction per message: ORDERS -> purchase order, REMADV -> remittance advice, others -> other."""
    found = messages(content)
    results = []
    for message in found:
        part = f"UNH {message.reference}" if len(found) > 1 else None
        extraction = Extraction(source=source, document_type=OTHER, part=part)
        log = FieldLog()
        if message.kind == "ORDERS":
            extraction.document_type = PURCHASE_ORDER
            extraction.order = _read_orders(message, log)
        elif message.kind == "REMADV":
            extraction.document_type = REMITTANCE_ADVICE
            extraction.remittance = _read_remadv(message, log)
        else:
            log.warnings.append(f"EDIFACT {message.kind} is neither a purchase order nor a remittance advice")
        results.append(log.finish(extraction))
    return results


def _check_count(name: str, declared: str | None, actual: int, what: str) -> None:
    try:
        number = int(declared or "")
    except ValueError:
        raise UnreadableDocument(
            f"EDIFACT {name} count of {what} is not a number: {declared!r}", reason="segment_count"
        ) from None
    if number != actual:
        raise UnreadableDocument(
            f"EDIFACT {name} of {what} says {number}, but there are {actual}", reason="segment_count"
        )


def _where(m: Message, seg: Segment, n: int, c: int = 1) -> str:
    return f"UNH {m.reference}/{seg.tag}{n:02d}.{c}@{seg.index}"


def _date(m: Message, seg: Segment):
    return to_date(seg.get(1, 2), _where(m, seg, 1, 2), seg.get(1, 3) or "102")


def _nad(seg: Segment) -> tuple[str | None, str | None]:
    """(name, address) from NAD: structured name (C080) else the unstructured name-and-address (C058)."""
    name = " ".join(p for p in (seg.get(4, c) for c in range(1, 6)) if p) or seg.get(3, 1)
    street = " ".join(p for p in (seg.get(5, c) for c in range(1, 5)) if p)
    city = " ".join(p for p in (seg.get(6), seg.get(7), seg.get(8)) if p)
    return name, join_address(name, street, city, seg.get(9))


def _read_orders(m: Message, log: FieldLog) -> ExtractedOrder:
    order = ExtractedOrder()
    line: OrderLine | None = None
    n = -1
    in_summary = False
    for seg in m.segments:
        w = lambda e, c=1, s=seg: _where(m, s, e, c)  # noqa: E731
        path = f"order.lines[{n}]"
        if seg.tag == "BGM":
            order.po_number = seg.get(2)
            log.record("order.po_number", w(2), seg.get(2))
            if seg.get(1) not in (None, "220", "105", "227"):
                log.warnings.append(f"EDIFACT ORDERS BGM document code {seg.get(1)} (not a plain order)")
        elif seg.tag == "DTM" and line is None and seg.get(1) in ("137", "4"):
            order.order_date = _date(m, seg)
            log.record("order.order_date", w(1, 2), seg.get(1, 2))
        elif seg.tag == "DTM" and line is None and seg.get(1) in ("2", "64", "69"):
            order.requested_delivery_date = _date(m, seg)
            log.record("order.requested_delivery_date", w(1, 2), seg.get(1, 2))
        elif seg.tag == "NAD" and line is None:
            name, address = _nad(seg)
            if seg.get(1) == "BY" and name:
                order.buyer_name = name
                log.record("order.buyer_name", w(4), name)
            elif seg.get(1) in ("ST", "DP") and address and order.ship_to is None:
                order.ship_to = address
                log.record("order.ship_to", w(3), address)
            elif seg.get(1) in ("IV", "BT") and address:
                order.bill_to = address
                log.record("order.bill_to", w(3), address)
        elif seg.tag == "CUX" and order.currency is None and (cur := seg.get(1, 2)):
            order.currency = cur.upper()
            log.record("order.currency", w(1, 2), seg.get(1, 2))
        elif seg.tag == "FTX" and seg.get(1) == "AAB" and line is None:
            order.payment_terms = " ".join(p for p in (seg.get(4, c) for c in range(1, 6)) if p) or None
            log.record("order.payment_terms", w(4), order.payment_terms)
        elif seg.tag == "LIN":
            n += 1
            line = OrderLine()
            order.lines.append(line)
            path = f"order.lines[{n}]"
            if seg.get(3):
                line.sku = seg.get(3)
                log.record(f"{path}.sku", w(3), f"{seg.get(3, 2)} {seg.get(3)}")
        elif seg.tag == "PIA" and line is not None:
            _pia(m, seg, line, path, log)
        elif seg.tag == "IMD" and line is not None and line.description is None and seg.get(3, 4):
            line.description = seg.get(3, 4)
            log.record(f"{path}.description", w(3, 4), seg.get(3, 4))
        elif seg.tag == "QTY" and line is not None and seg.get(1) in ("21", "1") and not in_summary:
            line.quantity = to_amount(seg.get(1, 2), w(1, 2))
            log.record(f"{path}.quantity", w(1, 2), seg.get(1, 2))
            if seg.get(1, 3):
                line.uom = seg.get(1, 3)
                log.record(f"{path}.uom", w(1, 3), seg.get(1, 3))
        elif seg.tag == "PRI" and line is not None and seg.get(1) in ("AAA", "AAB") and not in_summary:
            if line.unit_price is None or seg.get(1) == "AAA":
                line.unit_price = to_amount(seg.get(1, 2), w(1, 2))
                basis = to_amount(seg.get(1, 5), w(1, 5))
                if basis and basis != 1 and line.unit_price is not None:
                    line.unit_price = line.unit_price / basis
                log.record(f"{path}.unit_price", w(1, 2), seg.get(1, 2))
        elif seg.tag == "MOA" and line is not None and not in_summary and seg.get(1) == "203":
            line.amount = to_amount(seg.get(1, 2), w(1, 2))
            log.record(f"{path}.amount", w(1, 2), seg.get(1, 2))
        elif seg.tag == "UNS":
            in_summary = True
        elif seg.tag == "MOA" and in_summary:
            _summary_amount(m, seg, order, log)
        elif seg.tag == "CNT" and seg.get(1) == "2" and seg.get(1, 2) and seg.get(1, 2) != str(len(order.lines)):
            log.warnings.append(f"EDIFACT CNT declares {seg.get(1, 2)} lines but the order has {len(order.lines)}")
    for i, x in enumerate(order.lines):
        if x.amount is None and (amount := line_amount(x.quantity, x.unit_price)) is not None:
            x.amount = amount
            log.record(f"order.lines[{i}].amount", "QTY x PRI", amount, COMPUTED)
    if order.total is None and order.lines and all(x.amount is not None for x in order.lines):
        order.total = sum((x.amount for x in order.lines if x.amount is not None), Decimal("0"))
        log.record("order.total", "sum of line amounts", order.total, COMPUTED)
    return order


def _pia(m: Message, seg: Segment, line: OrderLine, path: str, log: FieldLog) -> None:
    """An additional product id replaces the LIN number when it is of a type nearer our own catalogue."""
    for e in range(2, 7):
        code, kind = seg.get(e, 1), seg.get(e, 2)
        if code and kind in _SKU_TYPES:
            current = log.provenance.get(f"{path}.sku", {}).get("text", "")
            current_kind = current.split(" ")[0] if current else None
            if current_kind not in _SKU_TYPES or _SKU_TYPES.index(kind) < _SKU_TYPES.index(current_kind):
                line.sku = code
                log.record(f"{path}.sku", _where(m, seg, e), f"{kind} {code}")


def _summary_amount(m: Message, seg: Segment, order: ExtractedOrder, log: FieldLog) -> None:
    qualifier, where = seg.get(1), _where(m, seg, 1, 2)
    value = to_amount(seg.get(1, 2), where)
    if qualifier in _ORDER_TOTALS and order.total is None:
        order.total = value
        log.record("order.total", where, seg.get(1, 2))
    elif qualifier == "79":
        order.subtotal = value
        log.record("order.subtotal", where, seg.get(1, 2))
    elif qualifier in ("124", "176"):
        order.tax = value
        log.record("order.tax", where, seg.get(1, 2))


def _read_remadv(m: Message, log: FieldLog) -> ExtractedRemittance:
    remittance = ExtractedRemittance()
    item: RemittanceItem | None = None
    for seg in m.segments:
        w = lambda e, c=1, s=seg: _where(m, s, e, c)  # noqa: E731
        path = f"remittance.items[{len(remittance.items) - 1}]"
        if seg.tag == "BGM":
            remittance.payment_reference = seg.get(2)
            log.record("remittance.payment_reference", w(2), seg.get(2))
        elif seg.tag == "DTM" and item is None and seg.get(1) in ("209", "203", "202", "137"):
            # the value/execution date wins over the message date
            rank = ("209", "203", "202", "137")
            held = log.provenance.get("remittance.payment_date", {}).get("qualifier")
            if held is None or rank.index(seg.get(1)) < rank.index(held):
                remittance.payment_date = _date(m, seg)
                log.record("remittance.payment_date", w(1, 2), seg.get(1, 2))
                log.provenance["remittance.payment_date"]["qualifier"] = seg.get(1)
        elif seg.tag == "PAI" and (means := seg.get(1, 3)):
            remittance.payment_method = _MEANS.get(means, means)
            log.record("remittance.payment_method", w(1, 3), seg.get(1, 3))
        elif seg.tag == "CUX" and (cur := seg.get(1, 2)) and remittance.currency is None:
            remittance.currency = cur.upper()
            log.record("remittance.currency", w(1, 2), seg.get(1, 2))
        elif seg.tag == "NAD" and item is None and seg.get(1) in ("PR", "BY", "PL") and seg.get(1) != "PE":
            name, _ = _nad(seg)
            if name and (remittance.payer_name is None or seg.get(1) == "PR"):
                remittance.payer_name = name
                log.record("remittance.payer_name", w(4), name)
        elif seg.tag == "MOA" and item is None and seg.get(1) in _REMITTED and remittance.amount is None:
            remittance.amount = to_amount(seg.get(1, 2), w(1, 2))
            log.record("remittance.amount", w(1, 2), seg.get(1, 2))
            _moa_currency(m, seg, remittance, log)
        elif seg.tag == "DOC":
            item = RemittanceItem(invoice_number=seg.get(2))
            remittance.items.append(item)
            path = f"remittance.items[{len(remittance.items) - 1}]"
            log.record(f"{path}.invoice_number", w(2), seg.get(2))
        elif seg.tag == "MOA" and item is not None:
            _item_amount(m, seg, item, path, log)
        elif seg.tag == "RFF" and item is not None and seg.get(1) == "ON" and seg.get(1, 2):
            item.po_number = seg.get(1, 2)
            log.record(f"{path}.po_number", w(1, 2), seg.get(1, 2))
    paid = [i.amount_paid for i in remittance.items if i.amount_paid is not None]
    if remittance.amount is None and paid and len(paid) == len(remittance.items):
        remittance.amount = sum(paid, Decimal("0"))
        log.record("remittance.amount", "sum of MOA+12 per DOC", remittance.amount, COMPUTED)
    elif remittance.amount is not None and len(paid) == len(remittance.items) > 0 and sum(paid) != remittance.amount:
        log.warnings.append(f"EDIFACT REMADV total {remittance.amount} differs from the sum of items {sum(paid)}")
    return remittance


def _moa_currency(m: Message, seg: Segment, remittance: ExtractedRemittance, log: FieldLog) -> None:
    if (cur := seg.get(1, 3)) and remittance.currency is None:
        remittance.currency = cur.upper()
        log.record("remittance.currency", _where(m, seg, 1, 3), seg.get(1, 3))


def _item_amount(m: Message, seg: Segment, item: RemittanceItem, path: str, log: FieldLog) -> None:
    qualifier, where, text = seg.get(1), _where(m, seg, 1, 2), seg.get(1, 2)
    value = to_amount(text, where)
    if qualifier in ("12", "11") or (qualifier == "9" and item.amount_paid is None):
        item.amount_paid = value
        log.record(f"{path}.amount_paid", where, text)
    elif qualifier in ("77", "39"):
        item.invoice_amount = value
        log.record(f"{path}.invoice_amount", where, text)
    elif qualifier in ("52", "204"):
        item.discount = abs(value) if value is not None else None
        log.record(f"{path}.discount", where, text)
