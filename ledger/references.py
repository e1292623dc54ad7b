"""Invoice-reference keys: how a printed reference ("Inv. No. 000123") compares with our invoice numbers.

Lives in the ledger so an invoice's key can be stored (and indexed) when it is issued or imported."""

from __future__ import annotations

import re
from functools import lru_cache

_PREFIX = re.compile(r"^(?:INVOICE|INV|RI|BILL)(?:\s*(?:NUMBER|NO|NR|NUM|#))?(?![A-Z])")
_NUMBER_WORD = re.compile(r"^(?:NUMBER|NO|NR|NUM|#)(?![A-Z])")
_NOT_ALNUM = re.compile(r"[^A-Z0-9]")
# OCR commonly confuses these letters with digits: O/0, I/1, S/5, B/8.
_OCR_STRICT = str.maketrans({"O": "0", "I": "1", "S": "5", "B": "8"})


@lru_cache(maxsize=1 << 16)  # pure; a lockbox batch normalizes each reference several times
def normalize_reference(text: str | None) -> str:
    """Uppercase, prefix ('INV', 'RI', 'Invoice No.') removed, separators removed, leading zeros removed."""
    if not text:
        return ""
    s = text.strip().upper()
    s = _PREFIX.sub("", s).lstrip(" .:-#/_")
    s = _NUMBER_WORD.sub("", s)
    s = _NOT_ALNUM.sub("", s)
    stripped = s.lstrip("0")
    return stripped if stripped or not s else "0"


def ocr_key(text: str | None) -> str:
    """The normalized reference with OCR-confusable letters (O/0, I/1, S/5, B/8) folded onto digits."""
    key = normalize_reference(text).translate(_OCR_STRICT)
    stripped = key.lstrip("0")
    return stripped if stripped or not key else "0"


_PO_PREFIX = re.compile(r"^(?:PURCHASE\s*ORDER|P\.?\s*O\.?)(?:\s*(?:NUMBER|NO|NR|NUM|#))?(?=[^A-Z]|$)")


def po_key(text: str | None) -> str:
    """A PO number as a duplicate key: case, whitespace, separators, leading zeros and a 'PO' prefix removed
    ('PO-45821', 'po 045821' and '45821 ' are all '45821')."""
    if not text:
        return ""
    s = _PO_PREFIX.sub("", text.strip().upper())
    s = _NOT_ALNUM.sub("", s)
    stripped = s.lstrip("0")
    return stripped if stripped or not s else "0"


def payment_reference_key(text: str | None) -> str:
    """A payment reference (check number, end-to-end id) as a duplicate key: case, separators, leading zeros."""
    if not text:
        return ""
    s = _NOT_ALNUM.sub("", text.strip().upper())
    stripped = s.lstrip("0")
    return stripped if stripped or not s else "0"
