"""extract_document: bytes in, one Extraction per business document found (PDF, image, email, plain text)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date

from o2c.extraction import nlp, ocr
from o2c.extraction.calibration import calibrate
from o2c.extraction.classify import classify_document
from o2c.extraction.emails import MessagePart, read_message
from o2c.extraction.errors import UnreadableDocument
from o2c.extraction.evidence import Evidence
from o2c.extraction.grounding import Grounding
from o2c.extraction.htmlbody import html_to_layout_text
from o2c.extraction.layout import all_lines
from o2c.extraction.orders import extract_order
from o2c.extraction.pages import OCR, Page, needs_ocr, read_text_layer, text_page
from o2c.extraction.remittances import extract_remittance
from o2c.extraction.reread import confirm_by_second_reading
from o2c.extraction.schema import OTHER, PURCHASE_ORDER, REMITTANCE_ADVICE, Extraction
from o2c.extraction.structured import missing_header_note, read_structured, reconcile_with_visible
from o2c.intake.sniff import BAI2, CAMT, MT940, sniff_media_type

EXTRACTOR_VERSION = "1.3.0"  # 1.3: second readings in provenance, a customer part number where the SKU belongs at 0.85
_IMAGE_TYPES = {"image/png", "image/jpeg", "image/tiff"}
_TEXT_TYPES = {"text/plain", "text/html", "text/csv"}
_BANK_STATEMENTS = {BAI2, CAMT, MT940}


@dataclass(frozen=True)
class ExtractionLimits:
    """What extraction refuses to read: page, pixel and email-part limits, and how it runs OCR."""

    max_pdf_pages: int = 200
    max_image_pixels: int = 60_000_000
    max_email_parts: int = 100
    max_email_depth: int = 5
    ocr_dpi: int = 300
    ocr_languages: str = "eng"  # pages that read as German get a second, German pass (extraction.ocr)

    @classmethod
    def from_settings(cls, settings) -> ExtractionLimits:
        """The limits configured in core.settings.Settings."""
        return cls(**{name: getattr(settings, name) for name in cls.__dataclass_fields__})


def warm_up(*, free_text: bool = True) -> None:
    """Load now what extraction otherwise loads at first use (pytesseract and Tesseract's language list, spaCy's
    rules): a long-lived process that forks per job (the RQ worker) pays for it once, not in every child.
    free_text=False leaves spaCy for later (`nlp.pipeline()`), for a process that may never need it."""
    ocr.warm_up()
    if free_text:
        nlp.pipeline()


def extract_document(
    content: bytes,
    *,
    filename: str,
    media_type: str | None = None,
    limits: ExtractionLimits | None = None,
    grounding: Grounding | None = None,
) -> list[Extraction]:
    """Every business document in a file, each an Extraction; UnreadableDocument if the file cannot be read.

    grounding is master data as plain data (known SKUs, part numbers, customer names): it confirms codes and
    locates the buyer's block; without it the reading is the same, only less sure of codes."""
    limits = limits or ExtractionLimits()
    if not content:
        raise UnreadableDocument("file is empty", reason="empty")
    media_type = _resolve_type(content, filename, media_type)
    structured = _structured(content, source=filename, media_type=media_type, limits=limits)
    if structured is not None:
        return structured
    if media_type == "message/rfc822":
        return _extract_email(content, filename, limits, grounding)
    if media_type in _TEXT_TYPES:
        text = _decode_text(content)
        if media_type == "text/html":
            text = html_to_layout_text(text)
        extraction = extract_text(text, source=filename, part=None, grounding=grounding)
        extraction = extraction or _other(filename, None, "no text", channel="digital")
        if media_type == "text/csv" and extraction.document_type == OTHER:  # say which columns were missing
            extraction.warnings = [w for w in extraction.warnings if w != "no text"]
            extraction.warnings.append(f"CSV has {missing_header_note(content, media_type)}")
        return [extraction]
    pages = read_pages(content, media_type, limits)
    extraction = extract_pages(pages, source=filename, part=None, grounding=grounding)
    extraction.warnings.extend(active_content_warnings(content, media_type))
    return [extraction]


def active_content_warnings(content: bytes, media_type: str) -> list[str]:
    """JavaScript and embedded files in a PDF are never run or opened; say that they were there."""
    if media_type != "application/pdf":
        return []
    found = []
    if b"/JavaScript" in content or b"/JS " in content or b"/JS(" in content:
        found.append("PDF contains JavaScript (ignored)")
    if b"/EmbeddedFile" in content:
        found.append("PDF contains file attachments (not read)")
    return found


def read_pages(content: bytes, media_type: str, limits: ExtractionLimits) -> list[Page]:
    """A PDF or image as pages of words (text layer first, OCR for pages without one)."""
    if media_type == "application/pdf":
        pages = read_text_layer(content, max_pages=limits.max_pdf_pages)
        return [
            ocr.ocr_pdf_page(
                content,
                p.number - 1,
                dpi=limits.ocr_dpi,
                languages=limits.ocr_languages,
                max_pixels=limits.max_image_pixels,
            )
            if needs_ocr(p)
            else p
            for p in pages
        ]
    if media_type in _IMAGE_TYPES:
        return ocr.read_image_pages(
            content, max_pixels=limits.max_image_pixels, max_pages=limits.max_pdf_pages, languages=limits.ocr_languages
        )
    raise UnreadableDocument(f"cannot read {media_type} documents", reason="unsupported", media_type=media_type)


def extract_pages(
    pages: list[Page], *, source: str, part: str | None, sender: str | None = None, grounding: Grounding | None = None
) -> Extraction:
    """Classify laid-out pages and read them as an order, a remittance or nothing."""
    lines = all_lines(pages)
    text = "\n".join(line.text for line in lines)
    title = "\n".join(line.text for line in lines if line.page == pages[0].number)[:600]
    verdict = classify_document(text, title_text=title)
    evidence = Evidence.for_pages(pages, part)
    channel = "ocr" if any(p.source == OCR for p in pages) else "digital"
    extraction = Extraction(
        source=source, document_type=verdict.document_type, part=part, sender=sender, channel=channel, pages=len(pages)
    )
    if verdict.document_type == PURCHASE_ORDER:
        extraction.order = extract_order(lines, evidence, grounding=grounding)
    elif verdict.document_type == REMITTANCE_ADVICE:
        extraction.remittance = extract_remittance(lines, evidence, grounding=grounding)
    if not any(w for p in pages for w in p.words):
        evidence.warnings.append("no text could be read")
    respell_ocr_names(extraction, evidence, grounding)
    confirm_by_second_reading(evidence, pages)
    return _finish(extraction, evidence, verdict.confidence)


OCR_SPELLED_FIELDS = {
    "order": ("buyer_name", "ship_to", "bill_to"),
    "remittance": ("payer_name",),
}
RESPELLED_CONFIDENCE = 0.85  # master data spells it, but only a near match vouches for which one


def respell_ocr_names(extraction: Extraction, evidence: Evidence, grounding: Grounding | None) -> None:
    """Names and address lines read by OCR, one or two glyphs off a master-data spelling, take that spelling."""
    if grounding is None or grounding.empty:
        return
    for kind, names in OCR_SPELLED_FIELDS.items():
        body = getattr(extraction, kind)
        if body is None:
            continue
        for name in names:
            path = f"{kind}.{name}"
            value = getattr(body, name)
            if not value or not evidence.provenance.get(path, {}).get("ocr"):
                continue
            lines = value.split("\n")
            fixed = [grounding.ocr_spelling(line) or line for line in lines]
            if fixed != lines:
                setattr(body, name, "\n".join(fixed))
                evidence.confidence[path] = min(evidence.confidence.get(path, 0.0), RESPELLED_CONFIDENCE)
                evidence.provenance[path]["respelled_from"] = value


def extract_text(
    text: str,
    *,
    source: str,
    part: str | None,
    sender: str | None = None,
    sent_on: date | None = None,
    emit_other: bool = True,
    grounding: Grounding | None = None,
) -> Extraction | None:
    """Read free text (an email body, a .txt file); None when it holds nothing substantive."""
    if len(re.findall(r"[^\W\d_]{2,}", text)) < 6 and not re.search(r"\d", text):
        return None
    page = text_page(text)
    lines = all_lines([page]) if page.words else []
    verdict = classify_document(text, title_text=text[:600], free_text=True)
    evidence = Evidence(part=part or "body")
    extraction = Extraction(
        source=source,
        document_type=verdict.document_type,
        part=part,
        sender=sender,
        channel="email" if part else "digital",
        pages=0,
    )
    if verdict.document_type == PURCHASE_ORDER:
        extraction.order = extract_order(lines, evidence, free_text=text, sent_on=sent_on, grounding=grounding)
        if not extraction.order.lines:  # a cover note that mentions a PO is not itself an order
            return _substantive_other(text, source, part, sender, verdict.confidence) if emit_other else None
    elif verdict.document_type == REMITTANCE_ADVICE:
        extraction.remittance = extract_remittance(lines, evidence, free_text=text, grounding=grounding)
        r = extraction.remittance
        if r.amount is None and not r.items:
            return _substantive_other(text, source, part, sender, verdict.confidence) if emit_other else None
    elif emit_other:
        return _substantive_other(text, source, part, sender, verdict.confidence)
    else:
        return None
    return _finish(extraction, evidence, verdict.confidence)


def _extract_email(
    content: bytes, filename: str, limits: ExtractionLimits, grounding: Grounding | None = None
) -> list[Extraction]:
    parts, warnings = read_message(content, max_parts=limits.max_email_parts, max_depth=limits.max_email_depth)
    results: list[Extraction] = []
    # a body beside attachments is a cover note unless it is itself an order or a remittance
    has_attachments = any(p.text is None for p in parts)
    for message_part in parts:
        results.extend(
            _extract_part(message_part, filename, limits, emit_other=not has_attachments, grounding=grounding)
        )
    for extraction in results:
        extraction.warnings.extend(warnings)
    return results


def _structured(
    content: bytes, *, source: str, media_type: str, limits: ExtractionLimits, part: str | None = None
) -> list[Extraction] | None:
    """Machine-readable documents (EDI, XML, e-invoice PDFs, remittance sheets), read as sent with no OCR."""
    structured = read_structured(content, filename=source, media_type=media_type)
    if structured is None:
        return None
    if media_type == "application/pdf" and any(e.order for e in structured):
        # the embedded XML wins; the visible page is read only to warn where it disagrees
        try:
            pages = read_pages(content, media_type, limits)
        except UnreadableDocument:
            pages = []
        if pages and all(p.blank for p in pages):
            # the XML's carrier page is empty (it draws nothing): there is nothing to compare against
            reconcile_with_visible(structured, None, unread="visible page is blank")
        else:
            reconcile_with_visible(structured, extract_pages(pages, source=source, part=part) if pages else None)
    return structured


def _extract_part(
    message_part: MessagePart,
    filename: str,
    limits: ExtractionLimits,
    *,
    emit_other: bool,
    grounding: Grounding | None = None,
) -> list[Extraction]:
    source = f"{filename}#{message_part.name}"
    sender = message_part.sender
    if message_part.text is not None:
        extraction = extract_text(
            message_part.text,
            source=source,
            part=message_part.name,
            sender=sender,
            sent_on=message_part.sent_on,
            emit_other=emit_other,
            grounding=grounding,
        )
        return [extraction] if extraction else []
    media_type = _resolve_type(message_part.content, message_part.name, message_part.media_type)
    try:
        if media_type in _BANK_STATEMENTS:  # cash, not a business document: the gateway sends it to banking
            return [
                _other(source, message_part.name, "a bank statement: read by banking, not as a document", sender=sender)
            ]
        structured = _structured(
            message_part.content, source=source, media_type=media_type, limits=limits, part=message_part.name
        )
        if structured is not None:  # an EDI file, an XML order or a remittance sheet attached to a mail
            for extraction in structured:
                extraction.part = extraction.part or message_part.name
                extraction.sender = sender
            return structured
        if media_type in _TEXT_TYPES:
            text = _decode_text(message_part.content)
            if media_type == "text/html":
                text = html_to_layout_text(text)
            extraction = extract_text(text, source=source, part=message_part.name, sender=sender, grounding=grounding)
            return [extraction or _other(source, message_part.name, "no text", sender=sender)]
        pages = read_pages(message_part.content, media_type, limits)
    except UnreadableDocument as exc:
        # one unreadable attachment must not lose the rest of the email: keep it visible as 'other'
        return [
            _other(source, message_part.name, f"attachment unreadable ({exc.reason}): {exc.message}", sender=sender)
        ]
    extraction = extract_pages(pages, source=source, part=message_part.name, sender=sender, grounding=grounding)
    for where in extraction.provenance.values():
        where.setdefault("part", message_part.name)
    return [extraction]


def _resolve_type(content: bytes, filename: str, media_type: str | None) -> str:
    sniffed = sniff_media_type(content, filename)
    if sniffed != "application/octet-stream":
        return sniffed
    return (media_type or sniffed).split(";")[0].strip().lower()


def _decode_text(content: bytes) -> str:
    for charset in ("utf-8-sig", "cp1252"):
        try:
            return content.decode(charset)
        except UnicodeDecodeError:
            continue
    return content.decode("latin-1", errors="replace")


def _substantive_other(text, source, part, sender, confidence) -> Extraction | None:
    if len(re.findall(r"[^\W\d_]{2,}", text)) < 6:
        return None
    extraction = Extraction(
        source=source, document_type=OTHER, part=part, sender=sender, channel="email" if part else "digital"
    )
    extraction.confidence["document_type"] = confidence
    return extraction


def _other(
    source: str, part: str | None, warning: str, *, sender: str | None = None, channel: str = "email"
) -> Extraction:
    extraction = Extraction(source=source, document_type=OTHER, part=part, sender=sender, channel=channel)
    extraction.confidence["document_type"] = 0.5
    extraction.warnings.append(warning)
    return extraction


def _finish(extraction: Extraction, evidence: Evidence, type_confidence: float) -> Extraction:
    extraction.confidence = {
        "document_type": type_confidence,
        **{path: calibrate(path, conf) for path, conf in evidence.confidence.items()},
    }
    extraction.provenance = evidence.provenance
    extraction.warnings = list(dict.fromkeys(evidence.warnings))
    return extraction
