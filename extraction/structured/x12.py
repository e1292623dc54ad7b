"""ANSI X12 interchanges: a careful tokenizer (separators from ISA) and readers for 850 orders and 820 remittances."""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal

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

_TRANSACTION_NAMES = {
    "810": "invoice",
    "855": "purchase order acknowledgment",
    "856": "ship notice",
    "860": "purchase order change",
    "997": "functional acknowledgment",
}
# product id qualifiers, our own (vendor) number first: it is what our catalogue knows
_SKU_QUALIFIERS = ("VN", "VP", "SK", "BP", "IN", "CB", "UP", "UK", "EN", "MG")
_METHODS = {
    "ACH": "ACH",
    "CHK": "Check",
    "FWT": "Wire",
    "BOP": "Financial institution option",
    "NON": "None",
    "CCP": "ACH",
    "CTX": "ACH",
}


@dataclass
class Segment:
    """One X12 segment: its tag, its elements (element 1 at index 1) and its position in the interchange."""

    tag: str
    elements: list[str]
    index: int

    def get(self, n: int) -> str | None:
        """Element n (1-based) stripped, or None when absent or empty."""
        if n < len(self.elements):
            value = self.elements[n].strip()
            return value or None
        return None


@dataclass
class TransactionSet:
    """The segments from ST to SE inclusive."""

    kind: str
    control: str
    segments: list[Segment] = field(default_factory=list)


def is_x12(content: bytes) -> bool:
    """True when the bytes open an X12 interchange (an ISA header)."""
    return content.lstrip(b"\xef\xbb\xbf \t\r\n")[:3] == b"ISA"


def tokenize(content: bytes) -> list[Segment]:
    """The interchange as segments; separators are read from the fixed-layout ISA header."""
    text = content.decode("latin-1").lstrip("\ufeff\xef\xbb\xbf \t\r\n")
    if not text.startswith("ISA") or len(text) < 106:
        raise UnreadableDocument("X12 interchange is shorter than its ISA header", reason="truncated")
    element_sep = text[3]
    if element_sep.isalnum() or element_sep.isspace():
        raise UnreadableDocument(f"X12 ISA header has no element separator (found {element_sep!r})", reason="malformed")
    # ISA has 16 elements: after the 16th separator come ISA16 (component separator) and the segment terminator
    pos = -1
    for _ in range(16):
        pos = text.find(element_sep, pos + 1)
        if pos < 0:
            raise UnreadableDocument("X12 ISA header is incomplete", reason="truncated")
    if pos + 2 >= len(text):
        raise UnreadableDocument("X12 ISA header is incomplete", reason="truncated")
    terminator = text[pos + 2]
    if terminator.isalnum() or terminator == element_sep:
        raise UnreadableDocument(f"X12 ISA header has no segment terminator (found {terminator!r})", reason="malformed")
    segments: list[Segment] = []
    for raw in text.split(terminator):
        raw = raw.strip("\r\n\t ")
        if not raw:
            continue
        elements = raw.split(element_sep)
        segments.append(Segment(tag=elements[0].strip().upper(), elements=elements, index=len(segments) + 1))
    return segments


def transaction_sets(segments: list[Segment]) -> list[TransactionSet]:
    """ST..SE sets of every interchange in the file (ISA..IEA, one or more), each envelope checked."""
    interchanges: list[list[Segment]] = []
    for seg in segments:
        if seg.tag == "ISA":
            interchanges.append([])
        interchanges[-1].append(seg)
    return [ts for interchange in interchanges for ts in _interchange_sets(interchange)]


def _interchange_sets(segments: list[Segment]) -> list[TransactionSet]:
    """ST..SE sets, with the envelope checked: counts and control numbers must agree, nothing may be cut off."""
    if segments[-1].tag != "IEA":
        raise UnreadableDocument(
            f"X12 interchange is truncated: it ends with {segments[-1].tag}, not IEA", reason="truncated"
        )
    isa, iea = segments[0], segments[-1]
    sets: list[TransactionSet] = []
    groups = 0
    current: TransactionSet | None = None
    group_sets = 0
    group: Segment | None = None
    for seg in segments[1:-1]:
        if seg.tag == "GS":
            if group is not None:
                raise UnreadableDocument(f"X12 group {group.get(6)} has no GE before the next GS", reason="truncated")
            group, group_sets = seg, 0
        elif seg.tag == "ST":
            if current is not None:
                raise UnreadableDocument(f"X12 transaction set {current.control} has no SE", reason="truncated")
            current = TransactionSet(kind=seg.get(1) or "", control=seg.get(2) or "", segments=[seg])
        elif seg.tag == "SE":
            if current is None:
                raise UnreadableDocument(f"X12 SE at segment {seg.index} without an ST", reason="malformed")
            current.segments.append(seg)
            _check_count("SE01", seg.get(1), len(current.segments), f"transaction set {current.control}")
            if seg.get(2) != current.control:
                raise UnreadableDocument(
                    f"X12 SE02 {seg.get(2)!r} does not match ST02 {current.control!r}", reason="control_number"
                )
            sets.append(current)
            current, group_sets = None, group_sets + 1
        elif seg.tag == "GE":
            if group is None or current is not None:
                raise UnreadableDocument(f"X12 GE at segment {seg.index} out of place", reason="malformed")
            _check_count("GE01", seg.get(1), group_sets, f"group {group.get(6)}")
            if seg.get(2) != group.get(6):
                raise UnreadableDocument(
                    f"X12 GE02 {seg.get(2)!r} does not match GS06 {group.get(6)!r}", reason="control_number"
                )
            group, groups = None, groups + 1
        elif current is not None:
            current.segments.append(seg)
        else:
            raise UnreadableDocument(
                f"X12 segment {seg.tag} at {seg.index} lies outside any transaction set", reason="malformed"
            )
    if current is not None or group is not None:
        raise UnreadableDocument(
            "X12 interchange is truncated: a transaction set or group is not closed", reason="truncated"
        )
    _check_count("IEA01", iea.get(1), groups, "interchange")
    if (iea.get(2) or "").lstrip("0") != (isa.get(13) or "").lstrip("0"):
        raise UnreadableDocument(
            f"X12 IEA02 {iea.get(2)!r} does not match ISA13 {isa.get(13)!r}", reason="control_number"
        )
    if not sets:
        raise UnreadableDocument("X12 interchange holds no transaction set", reason="empty")
    return sets


def read_x12(content: bytes, *, source: str) -> list[Extraction]:
    """One Extraction per transaction set: 850 -> purchase order, 820 -> remittance advice, others -> other."""
    sets = transaction_sets(tokenize(content))
    results = []
    for ts in sets:
        part = f"ST {ts.kind} {ts.control}" if len(sets) > 1 else None
        extraction = Extraction(source=source, document_type=OTHER, part=part)
        log = FieldLog()
        if ts.kind == "850":
            extraction.document_type = PURCHASE_ORDER
            extraction.order = _read_850(ts, log)
        elif ts.kind == "820":
            extraction.document_type = REMITTANCE_ADVICE
            extraction.remittance = _read_820(ts, log)
        else:
            name = _TRANSACTION_NAMES.get(ts.kind, "transaction set")
            log.warnings.append(f"X12 {ts.kind} ({name}) is neither a purchase order nor a remittance advice")
        results.append(log.finish(extraction))
    return results


def _check_count(name: str, declared: str | None, actual: int, what: str) -> None:
    try:
        number = int(declared or "")
    except ValueError:
        raise UnreadableDocument(
            f"X12 {name} of {what} is not a number: {declared!r}", reason="segment_count"
        ) from None
    if number != actual:
        raise UnreadableDocument(f"X12 {name} of {what} says {number}, but there are {actual}", reason="segment_count")


def _where(ts: TransactionSet, seg: Segment, n: int) -> str:
    return f"ST*{ts.kind}*{ts.control}/{seg.tag}{n:02d}@{seg.index}"


def _party(ts: TransactionSet, start: int) -> tuple[str | None, str | None]:
    """(name, full address) for the N1 loop starting at segments[start]."""
    n1 = ts.segments[start]
    parts: list[str | None] = [n1.get(2)]
    for seg in ts.segments[start + 1 :]:
        if seg.tag == "N2":
            parts.append(seg.get(1))
        elif seg.tag == "N3":
            parts.extend([seg.get(1), seg.get(2)])
        elif seg.tag == "N4":
            parts.append(" ".join(p for p in (seg.get(1), seg.get(2), seg.get(3)) if p) or None)
            if seg.get(4):
                parts.append(seg.get(4))
        elif seg.tag not in ("PER", "REF"):
            break
    return n1.get(2), join_address(*parts)


def _read_850(ts: TransactionSet, log: FieldLog) -> ExtractedOrder:
    order = ExtractedOrder()
    line: OrderLine | None = None
    parties: dict[str, int] = {}
    declared_lines = None
    for i, seg in enumerate(ts.segments):
        w = lambda n, s=seg: _where(ts, s, n)  # noqa: E731
        if seg.tag == "BEG":
            order.po_number = seg.get(3)
            log.record("order.po_number", w(3), seg.get(3))
            order.order_date = to_date(seg.get(5), w(5))
            log.record("order.order_date", w(5), seg.get(5))
            if seg.get(1) not in (None, "00"):
                log.warnings.append(f"X12 850 purpose code BEG01={seg.get(1)} (not an original order)")
        elif seg.tag == "CUR" and (cur := seg.get(2)) and order.currency is None:
            order.currency = cur.upper()
            log.record("order.currency", w(2), seg.get(2))
        elif seg.tag == "ITD" and line is None:
            order.payment_terms = _terms(seg)
            log.record("order.payment_terms", f"{w(1)}..ITD12", "*".join(seg.elements[1:]))
        elif seg.tag == "DTM" and seg.get(1) in ("002", "010", "106", "037") and line is None:
            if order.requested_delivery_date is None or seg.get(1) == "002":
                order.requested_delivery_date = to_date(seg.get(2), w(2))
                log.record("order.requested_delivery_date", w(2), seg.get(2))
        elif seg.tag == "N1" and (party := seg.get(1)) and line is None:
            parties.setdefault(party, i)
        elif seg.tag == "PO1":
            line = _po1(ts, seg, log, len(order.lines))
            order.lines.append(line)
        elif seg.tag == "PID" and line is not None and seg.get(5) and line.description is None:
            line.description = seg.get(5)
            log.record(f"order.lines[{len(order.lines) - 1}].description", w(5), seg.get(5))
        elif seg.tag == "CTT":
            declared_lines = seg.get(1)
        elif seg.tag == "AMT" and seg.get(1) in ("TT", "1", "GV") and order.total is None:
            order.total = to_amount(seg.get(2), w(2))
            log.record("order.total", w(2), seg.get(2))
    _parties(ts, order, parties, log)
    if declared_lines is not None and declared_lines.isdigit() and int(declared_lines) != len(order.lines):
        log.warnings.append(f"X12 CTT01 declares {int(declared_lines)} lines but the order has {len(order.lines)}")
    if order.total is None and order.lines and all(x.amount is not None for x in order.lines):
        order.total = sum((x.amount for x in order.lines if x.amount is not None), Decimal("0"))
        log.record("order.total", "sum of PO1 quantity x unit price", order.total, COMPUTED)
    return order


def _po1(ts: TransactionSet, seg: Segment, log: FieldLog, n: int) -> OrderLine:
    path = f"order.lines[{n}]"
    ids: dict[str, tuple[str, int]] = {}
    for k in range(6, len(seg.elements) - 1, 2):
        qualifier, value = seg.get(k), seg.get(k + 1)
        if qualifier and value:
            ids.setdefault(qualifier.upper(), (value, k + 1))
    line = OrderLine(
        quantity=to_amount(seg.get(2), _where(ts, seg, 2)),
        uom=seg.get(3),
        unit_price=to_amount(seg.get(4), _where(ts, seg, 4)),
    )
    log.record(f"{path}.quantity", _where(ts, seg, 2), seg.get(2))
    if line.uom:
        log.record(f"{path}.uom", _where(ts, seg, 3), seg.get(3))
    if line.unit_price is not None:
        log.record(f"{path}.unit_price", _where(ts, seg, 4), seg.get(4))
    for qualifier in _SKU_QUALIFIERS:
        if qualifier in ids:
            line.sku = ids[qualifier][0]
            log.record(f"{path}.sku", _where(ts, seg, ids[qualifier][1]), f"{qualifier} {line.sku}")
            break
    if "PD" in ids:
        line.description = ids["PD"][0]
        log.record(f"{path}.description", _where(ts, seg, ids["PD"][1]), line.description)
    line.amount = line_amount(line.quantity, line.unit_price)
    if line.amount is not None:
        log.record(f"{path}.amount", f"{_where(ts, seg, 2)} x {_where(ts, seg, 4)}", line.amount, COMPUTED)
    return line


def _parties(ts: TransactionSet, order: ExtractedOrder, parties: dict[str, int], log: FieldLog) -> None:
    if "ST" in parties:
        _, order.ship_to = _party(ts, parties["ST"])
        log.record("order.ship_to", _where(ts, ts.segments[parties["ST"]], 2), order.ship_to)
    if "BT" in parties:
        _, order.bill_to = _party(ts, parties["BT"])
        log.record("order.bill_to", _where(ts, ts.segments[parties["BT"]], 2), order.bill_to)
    for code, confidence in (("BY", 1.0), ("BT", 0.8), ("ST", 0.7)):
        # retail 850s often name only the ship-to store: the buyer is then inferred, and says so
        if code in parties and ts.segments[parties[code]].get(2):
            seg = ts.segments[parties[code]]
            order.buyer_name = seg.get(2)
            log.record("order.buyer_name", _where(ts, seg, 2), seg.get(2), confidence)
            if code != "BY":
                log.warnings.append(f"X12 850 has no N1*BY buyer: buyer taken from N1*{code}")
            break


def _terms(seg: Segment) -> str | None:
    if seg.get(12):
        return seg.get(12)
    percent, discount_days, net_days = seg.get(3), seg.get(5), seg.get(7)
    if percent and discount_days and net_days:
        return f"{percent}/{discount_days} Net {net_days}"
    if net_days:
        return f"Net {net_days}"
    return None


def _read_820(ts: TransactionSet, log: FieldLog) -> ExtractedRemittance:
    remittance = ExtractedRemittance()
    item: RemittanceItem | None = None
    parties: dict[str, Segment] = {}
    for seg in ts.segments:
        w = lambda n, s=seg: _where(ts, s, n)  # noqa: E731
        path = f"remittance.items[{len(remittance.items) - 1}]"
        if seg.tag == "BPR":
            remittance.amount = to_amount(seg.get(2), w(2))
            log.record("remittance.amount", w(2), seg.get(2))
            if method := seg.get(4):
                remittance.payment_method = _METHODS.get(method.upper(), method)
                log.record("remittance.payment_method", w(4), seg.get(4))
            if seg.get(16):
                remittance.payment_date = to_date(seg.get(16), w(16))
                log.record("remittance.payment_date", w(16), seg.get(16))
            if seg.get(3) == "D":
                log.warnings.append("X12 820 BPR03 is D (a debit): not a payment to us")
        elif seg.tag == "TRN" and seg.get(2) and remittance.payment_reference is None:
            remittance.payment_reference = seg.get(2)
            log.record("remittance.payment_reference", w(2), seg.get(2))
        elif seg.tag == "CUR" and (cur := seg.get(2)) and remittance.currency is None:
            remittance.currency = cur.upper()
            log.record("remittance.currency", w(2), seg.get(2))
        elif seg.tag == "DTM" and seg.get(1) in ("097", "009") and remittance.payment_date is None:
            remittance.payment_date = to_date(seg.get(2), w(2))
            log.record("remittance.payment_date", w(2), seg.get(2))
        elif seg.tag == "N1" and (party := seg.get(1)) and item is None:
            parties.setdefault(party, seg)
        elif seg.tag == "RMR":
            item = RemittanceItem(
                invoice_number=seg.get(2),
                amount_paid=to_amount(seg.get(4), w(4)),
                invoice_amount=to_amount(seg.get(5), w(5)),
                discount=to_amount(seg.get(6), w(6)),
            )
            remittance.items.append(item)
            path = f"remittance.items[{len(remittance.items) - 1}]"
            for name, n in (("invoice_number", 2), ("amount_paid", 4), ("invoice_amount", 5), ("discount", 6)):
                if seg.get(n):
                    log.record(f"{path}.{name}", w(n), seg.get(n))
            if seg.get(1) not in (None, "IV", "IK", "OI"):
                log.warnings.append(f"X12 RMR01 {seg.get(1)!r} at segment {seg.index}: reference is not an invoice")
        elif seg.tag == "REF" and item is not None and seg.get(1) == "PO" and seg.get(2):
            item.po_number = seg.get(2)
            log.record(f"{path}.po_number", w(2), seg.get(2))
        elif seg.tag == "ADX" and item is not None:
            log.warnings.append(
                f"X12 ADX adjustment {seg.get(1)} (reason {seg.get(2)}) on invoice {item.invoice_number}"
            )
    payer = parties.get("PR") or parties.get("BY")
    if payer is not None and payer.get(2):
        remittance.payer_name = payer.get(2)
        log.record("remittance.payer_name", _where(ts, payer, 2), payer.get(2))
    paid = [i.amount_paid for i in remittance.items if i.amount_paid is not None]
    if remittance.amount is not None and paid and len(paid) == len(remittance.items) and sum(paid) != remittance.amount:
        log.warnings.append(f"X12 820 BPR02 {remittance.amount} differs from the sum of RMR04 {sum(paid)}")
    return remittance
