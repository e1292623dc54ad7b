"""Machine-readable documents (EDI, e-order XML, remittance tables), read before any OCR at confidence 1.0.

Formats: ANSI X12 850/820, EDIFACT ORDERS/REMADV, UBL 2.1 Order, Order-X (CII), Factur-X/ZUGFeRD invoices
(as 'other'), and the XML embedded in a PDF/A-3; CSV/XLSX remittance tables.
"""

from __future__ import annotations

import logging

import pypdfium2

from o2c.extraction.errors import UnreadableDocument
from o2c.extraction.schema import OTHER, Extraction
from o2c.extraction.structured.common import FieldLog
from o2c.extraction.structured.edifact import is_edifact, read_edifact
from o2c.extraction.structured.reconcile import reconcile_with_visible
from o2c.extraction.structured.tabular import XLSX, missing_header_note, read_remittance_table
from o2c.extraction.structured.x12 import is_x12, read_x12
from o2c.extraction.structured.xml_documents import is_business_xml, parse_xml, read_business_xml, root_name
from o2c.intake.sniff import EDIFACT, X12

__all__ = ["missing_header_note", "read_structured", "reconcile_with_visible"]

_log = logging.getLogger(__name__)
_ISO20022 = "urn:iso:std:iso:20022:"  # camt bank statements: read by the bank-statement reader, not here


def read_structured(content: bytes, *, filename: str, media_type: str) -> list[Extraction] | None:
    """Extractions from a machine-readable document; None when the file is not one (OCR/text path reads it)."""
    if is_x12(content):
        return read_x12(content, source=filename)
    if is_edifact(content):
        return read_edifact(content, source=filename)
    if media_type in (X12, EDIFACT):  # named EDI by its file name, but the envelope is not there
        raise UnreadableDocument(
            f"{filename} does not open with an {'ISA' if media_type == X12 else 'UNA/UNB'} envelope",
            reason="malformed",
            media_type=media_type,
        )
    if media_type == "application/pdf":
        return _embedded_xml(content, filename)
    if media_type == "application/xml":
        return _xml(content, filename)
    if media_type in ("text/csv", XLSX):
        found = read_remittance_table(content, source=filename, media_type=media_type)
        if found is None and media_type == XLSX:
            return [_other(filename, f"spreadsheet has {missing_header_note(content, media_type)}")]
        return found
    return None


def _xml(content: bytes, filename: str) -> list[Extraction] | None:
    root = parse_xml(content)
    if is_business_xml(root):
        return [read_business_xml(root, source=filename)]
    name, namespace = root_name(root)
    if namespace.startswith(_ISO20022):
        return None
    raise UnreadableDocument(
        f"unknown XML document: root element {name!r} in namespace {namespace or '(none)'!r}",
        reason="unknown_xml",
        root=name,
        namespace=namespace,
    )


def _has_attachments(content: bytes) -> bool:
    """True unless pypdfium2 reads the PDF and finds no embedded file (Factur-X / Order-X XML is one)."""
    try:
        pdf = pypdfium2.PdfDocument(content)
    except pypdfium2.PdfiumError:
        return True  # let facturx have its own say about a PDF pdfium cannot open
    try:
        return pdf.count_attachments() > 0
    finally:
        pdf.close()


def _embedded_xml(content: bytes, filename: str) -> list[Extraction] | None:
    """The Order-X / Factur-X XML inside a PDF/A-3, or None when the PDF carries none."""
    if not _has_attachments(content):
        return None
    from facturx import get_xml_from_pdf  # deferred: facturx and pypdf cost ~0.4 s to import; few PDFs carry XML

    try:
        xml_name, xml = get_xml_from_pdf(content, check_xsd=False)
    except Exception as exc:  # noqa: BLE001 - any failure reading attachments leaves an ordinary PDF
        _log.info("no embedded XML read from %s: %s", filename, exc)
        return None
    if not xml:
        return None
    try:
        root = parse_xml(xml)
    except UnreadableDocument:
        return None
    if not is_business_xml(root):
        return None
    extraction = read_business_xml(root, source=filename, where=f"{xml_name}:")
    extraction.pages = 0
    return [extraction]


def _other(source: str, warning: str) -> Extraction:
    log = FieldLog()
    log.warnings.append(warning)
    return log.finish(Extraction(source=source, document_type=OTHER))
