"""XLSX: the zip is inspected before openpyxl unpacks it; number cells become money only when exact."""

from __future__ import annotations

import io
import zipfile
from decimal import Decimal

import pytest

from o2c.extraction.errors import UnreadableDocument
from o2c.extraction.service import extract_document
from o2c.extraction.structured.tabular import inspect_xlsx_zip, money_of_number
from tests.extraction.structured.generators import remittance_rows, remittance_xlsx


def _bomb(size: int) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        with archive.open("xl/worksheets/sheet1.xml", "w") as part:  # streamed: the test never holds it all
            chunk = b"<c>0</c>" * 131072
            for _ in range(size // len(chunk)):
                part.write(chunk)
    return buffer.getvalue()


def test_a_zip_bomb_is_refused_before_it_is_unpacked():
    content = _bomb(80 * 1024 * 1024)
    assert len(content) < 1024 * 1024
    with pytest.raises(UnreadableDocument) as caught:
        extract_document(content, filename="remit.xlsx")
    assert caught.value.reason == "too_large" and "unpacks to" in caught.value.message


def test_a_very_compressible_part_is_refused_even_under_the_total_cap():
    with pytest.raises(UnreadableDocument, match="fold"):
        inspect_xlsx_zip(_bomb(8 * 1024 * 1024))


def test_an_ordinary_workbook_passes_the_inspection():
    inspect_xlsx_zip(remittance_xlsx(remittance_rows()))


def test_number_cells_are_money_only_when_exact():
    assert money_of_number(1230.5, "A1") == Decimal("1230.5")
    assert money_of_number(250.07, "A1") == Decimal("250.07")
    assert money_of_number(1001, "A1") == Decimal(1001)
    with pytest.raises(UnreadableDocument) as caught:
        money_of_number(0.1 + 0.2, "row 3, amount_paid")
    assert caught.value.reason == "inexact_amount" and "row 3, amount_paid" in caught.value.message
    with pytest.raises(UnreadableDocument):
        money_of_number(float("nan"), "A1")


def test_an_inexact_float_cell_in_a_sheet_is_refused_with_its_cell():
    rows = remittance_rows()
    rows[0][-1] = 980 + 1 / 3  # a formula result kept as a binary fraction
    with pytest.raises(UnreadableDocument, match="not an exact amount"):
        extract_document(remittance_xlsx(rows), filename="remit.xlsx")
