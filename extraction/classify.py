"""Purchase order, remittance advice or other: keyword evidence (titles weigh most), never forcing a type."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from o2c.extraction.lexicon import in_order, labels, title_pattern
from o2c.extraction.nlp import entity_counts
from o2c.extraction.schema import OTHER, PURCHASE_ORDER, REMITTANCE_ADVICE

_PO_TITLE = re.compile(
    rf"(?i)\b({title_pattern('purchase_order')}|"
    r"purchase\s+order|bestellung|einkaufsbestellung|order\s+confirmation request|"
    r"bon\s+de\s+commande|orden\s+de\s+compra|commande)\b"
)
_PO_EVIDENCE = re.compile(
    r"(?i)\b(po\s*(#|no\.?|number)|p\.o\.|purchase\s+order|bestellnummer|bestell-?nr|"
    r"ship\s+to|lieferadresse|delivery\s+date|required\s+by|liefertermin|please\s+ship|"
    r"please\s+(supply|deliver)|we\s+(would\s+like\s+to\s+)?order|unit\s+price|"
    r"einzelpreis|qty|quantity|menge|order\s+(no\.?|number|#)|unit\s+cost|required\s+date|"
    r"deliver\s+(to|by)|need\s+by|bestelldatum|lieferdatum|your\s+sku|part\s+no\.?)(?!\w)"
)
_REMIT_TITLE = re.compile(
    rf"(?i)\b({title_pattern('remittance_advice')}|"
    r"remittance(\s+advice)?|payment\s+advice|zahlungsavis|avis\s+de\s+paiement|"
    r"payment\s+notification|zahlungsbenachrichtigung)\b"
)
_REMIT_EVIDENCE = re.compile(
    r"(?i)\b(amount\s+paid|payment\s+(amount|date|reference|method)|paid\s+invoices?|"
    r"ach|wire|eft|sepa|cheque|check\s+(no|number|#)|remit|zahlbetrag|zahlungsdatum|"
    r"skonto|we\s+(have\s+)?(paid|sent|transferred)|payment\s+of|has\s+been\s+paid|"
    r"trace\s+(no|number))\b"
)
_INVOICE_TITLE = re.compile(
    r"(?i)\b(invoice|\w*rechnung(?:en)?|facture|factura|fattura|factuur|tax\s+invoice|credit\s+note|"
    r"gutschrift|avoir)\b"
)
_INVOICE_EVIDENCE = re.compile(
    r"(?i)\b(invoice\s+(number|no\.?|#|date)|amount\s+due|balance\s+due|bill\s+to|"
    r"rechnungsnummer|rechnungsdatum|zahlbar\s+bis|due\s+date|invoice\s+total|"
    r"steuernummer|ust-?id|vat\s+(no|number|reg))\b"
)
_OTHER_TITLE = re.compile(
    r"(?i)\b(packing\s+(slip|list)|lieferschein|statement(\s+of\s+account)?|kontoauszug|"
    r"receipt|quotation|angebot|delivery\s+note|(advance\s+)?ship(ping|ment)\s+notice|dispatch\s+(note|advice)|"
    r"lieferavis)\b"
)


def _distinct_labels(section: str, fields: tuple[str, ...], *, shortest: int = 6) -> re.Pattern:
    """Labels of the lexicon that name a field only this kind of document has (long enough not to be chance)."""
    found = sorted(
        {label for name in fields for label in labels(section)[name] if len(label) >= shortest}, key=len, reverse=True
    )
    return re.compile(r"(?i)(?<!\w)(" + in_order(found, gap=r"\s*") + r")(?!\w)")


_PO_LABELS = _distinct_labels("order", ("po_number", "requested_delivery_date", "ship_to"))
# what an order's line table is headed with, in every lexicon language ('Aantal', 'Stukprijs', 'Cantidad')
_PO_COLUMNS = _distinct_labels("line_columns", ("quantity", "unit_price", "net_unit_price"))
# short column labels ('Qté', 'P.U.', 'Qty') count only inside a column-aligned header row, where they are no chance
_PO_SHORT_COLUMNS = _distinct_labels("line_columns", ("quantity", "unit_price", "net_unit_price"), shortest=2)
_REMIT_LABELS = _distinct_labels("remittance", ("payment_date", "payment_reference", "payment_method", "amount"))


def _in_labelled_line(text: str, at: int) -> bool:
    """True when the word at `at` sits in a 'Label: value' line of an email body ('Totale ordine: €29.211,24'):
    a label, not the document's title."""
    start = text.rfind("\n", 0, at) + 1
    end = text.find("\n", at)
    line = text[start : end if end >= 0 else len(text)]
    return ":" in line and bool(re.search(r"\d", line))


def _in_table_row(text: str, at: int) -> bool:
    """True when the word at `at` sits in a column-aligned text row ('Rechnung   Datum   Betrag'): a column
    header, not a title."""
    start = text.rfind("\n", 0, at) + 1
    end = text.find("\n", at)
    return bool(re.search(r"\S {3,}(?=\S)", text[start : end if end >= 0 else len(text)]))


def _label_hits(pattern: re.Pattern, text: str) -> set[str]:
    return {" ".join(m.group(0).lower().split()) for m in pattern.finditer(text)}


@dataclass
class Classification:
    """The document type with a confidence and the evidence behind it."""

    document_type: str
    confidence: float
    reasons: list[str] = field(default_factory=list)


def classify_document(text: str, *, title_text: str | None = None, free_text: bool = False) -> Classification:
    """Classify a document from its text; title_text is the top of the first page, where titles carry most weight."""
    title = title_text if title_text is not None else text[:400]
    scores = {PURCHASE_ORDER: 0.0, REMITTANCE_ADVICE: 0.0, OTHER: 0.0}
    reasons: list[str] = []

    def add(kind: str, weight: float, why: str) -> None:
        scores[kind] += weight
        reasons.append(f"{kind}: {why}")

    # the title printed first is the document's own; later ones are references ('Rechnung gemäß Bestellung')
    titles = []
    for kind, pattern in (
        (PURCHASE_ORDER, _PO_TITLE),
        (REMITTANCE_ADVICE, _REMIT_TITLE),
        (OTHER, _INVOICE_TITLE),
        (OTHER, _OTHER_TITLE),
    ):
        for m in pattern.finditer(title):
            if not _in_table_row(title, m.start()) and not (free_text and _in_labelled_line(title, m.start())):
                titles.append((m.start(), kind, m.group(0)))
                break
    titles.sort()
    remittance_titled = any(kind == REMITTANCE_ADVICE for _, kind, _ in titles)
    for rank, (_, kind, word) in enumerate(titles):
        if kind == OTHER and remittance_titled and _INVOICE_TITLE.fullmatch(word):
            continue  # 'invoice' inside a remittance advice names what was paid
        add(kind, 3.0 if rank == 0 else 1.5, f"title '{word}'")
    po_hits = {m.group(0).lower() for m in _PO_EVIDENCE.finditer(text)} | _label_hits(_PO_LABELS, text)
    po_hits |= _label_hits(_PO_COLUMNS, text)
    po_hits |= {
        " ".join(m.group(0).lower().split()) for m in _PO_SHORT_COLUMNS.finditer(text) if _in_table_row(text, m.start())
    }
    remit_hits = {m.group(0).lower() for m in _REMIT_EVIDENCE.finditer(text)} | _label_hits(_REMIT_LABELS, text)
    invoice_hits = {m.group(0).lower() for m in _INVOICE_EVIDENCE.finditer(text)}
    if po_hits:
        add(PURCHASE_ORDER, min(len(po_hits), 4) * 0.5, f"terms {sorted(po_hits)[:4]}")
    if remit_hits:
        add(REMITTANCE_ADVICE, min(len(remit_hits), 4) * 0.5, f"terms {sorted(remit_hits)[:4]}")
    if invoice_hits:
        add(OTHER, min(len(invoice_hits), 4) * 0.6, f"invoice terms {sorted(invoice_hits)[:4]}")
    if free_text:
        counts = entity_counts(text)
        if counts.get("PO_REF"):
            add(PURCHASE_ORDER, 1.0, "PO reference in text")
        if counts.get("INVOICE_REF") and (counts.get("MONEY") or counts.get("PAY_METHOD")):
            add(REMITTANCE_ADVICE, 1.0, "invoice references with payment terms in text")
        if counts.get("PAY_METHOD") and counts.get("MONEY"):
            add(REMITTANCE_ADVICE, 0.5, "payment method and amount in text")
    best = max(scores, key=lambda k: scores[k])
    ranked = sorted(scores.values(), reverse=True)
    if best == OTHER or ranked[0] < 1.5:
        return Classification(OTHER, _confidence(scores[OTHER] + 1.0, ranked[1]), reasons)
    return Classification(best, _confidence(ranked[0], ranked[1]), reasons)


def _confidence(top: float, runner_up: float) -> float:
    """Margin between the best and the second-best evidence, mapped into [0.5, 0.99]."""
    margin = top - runner_up
    return round(min(0.99, 0.5 + 0.12 * margin + 0.04 * top), 3)
