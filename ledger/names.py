"""Lookup keys for names and codes, stored in indexed columns so resolution is one query, not a scan.

Lives in the ledger because master-data import writes the keys; matching computes the same keys to look up."""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

_LEGAL_FORMS = re.compile(
    r"\b(incorporated|inc|corporation|corp|company|co|limited|ltd|llc|l\s?l\s?c|gmbh|ag|kg|plc|sa|sas|sarl|bv|"
    r"nv|srl|spa|pty|lp|llp)\b"
)
_NOT_WORD = re.compile(r"[^a-z0-9]+")
_SKU_SEPARATORS = re.compile(r"[\s\-_./]+")


@lru_cache(maxsize=1 << 16)  # pure; a batch of advices folds each payer's name several times
def simple_name(text: str | None) -> str:
    """Case- and space-folded name, accents removed ('ACME  Corp.' -> 'acme corp.')."""
    if not text:
        return ""
    folded = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return " ".join(folded.lower().split())


def legal_name(text: str | None) -> str:
    """The name without punctuation and legal forms ('ACME Holdings, Inc.' -> 'acme holdings')."""
    words = _NOT_WORD.sub(" ", simple_name(text).replace("&", " and "))
    return " ".join(_LEGAL_FORMS.sub(" ", words).split())


@lru_cache(maxsize=1 << 16)  # pure; customer_keys asks it once per look-up of a document's name
def alias_key(text: str | None) -> str:
    """The CustomerAlias lookup key of a name: legal_name, falling back to the folded name if nothing is left."""
    return legal_name(text) or simple_name(text)


def domain_key(domain: str | None) -> str:
    """The CustomerAlias key of an email domain ('@acme.com'), so domains share the alias index."""
    clean = (domain or "").strip().lower().lstrip("@").rstrip(".")
    return f"@{clean}" if clean else ""


def sku_key(text: str | None) -> str:
    """Uppercase without spaces, dashes, dots, slashes, underscores ('brg 6204-2rs' -> 'BRG62042RS')."""
    return _SKU_SEPARATORS.sub("", (text or "").upper())
