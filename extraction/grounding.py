"""Grounding: master data handed to extraction as plain data (extraction never imports ledger).

The pipeline builds one Grounding from its master data (matching.grounding.GroundingCache) and passes it to
extract_document; tests hand-make one. Known codes locate and confirm the item column and are independent
evidence for a SKU read; an OCR-folded match (O/0, I/1, T/1, S/5, B/8, Z/2) counts only where the row's arithmetic
agrees. Known names locate the buyer's or payer's block.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

_FOLD = str.maketrans(
    {"O": "0", "Q": "0", "D": "0", "I": "1", "L": "1", "T": "1", "S": "5", "B": "8", "Z": "2", "G": "6"}
)
_LEGAL = re.compile(
    r"(?i)\b(inc|llc|ltd|gmbh|ag|corp|co|company|corporation|sa|s\.a|plc|kg|bv|b\.v|nv|srl|sarl|"
    r"spa|s\.p\.a|sl|limited|the|s\.r\.l|s\.l|s\.a\.s|n\.v|s\.r\.o)\b\.?"
)


def code_key(text: str) -> str:
    """A code's comparison key: upper case, letters and digits only ('brg-6204' -> 'BRG6204')."""
    return re.sub(r"[^A-Z0-9]", "", text.upper())


def folded_key(text: str) -> str:
    """The code key with OCR look-alikes folded to digits (so 'BRG-62O4' and 'BRG-6204' meet)."""
    return code_key(text).translate(_FOLD)


def name_key(text: str) -> str:
    """A company name's comparison key: case-folded words, legal forms and punctuation dropped."""
    return " ".join(re.sub(r"[^\w\s]", " ", _LEGAL.sub(" ", text.casefold())).split())


@dataclass(frozen=True)
class Grounding:
    """What master data knows: our SKUs, customers' part numbers, customer names/aliases/addresses/domains."""

    skus: frozenset[str] = frozenset()
    customer_part_numbers: frozenset[str] = frozenset()
    customer_names: frozenset[str] = frozenset()  # names and aliases
    addresses: frozenset[str] = frozenset()
    domains: frozenset[str] = frozenset()
    _codes: dict[str, str] = field(default_factory=dict, compare=False, repr=False)
    _folded: dict[str, set[str]] = field(default_factory=dict, compare=False, repr=False)
    _names: dict[str, str] = field(default_factory=dict, compare=False, repr=False)
    _shared: set[str] = field(default_factory=set, compare=False, repr=False)  # keys two known names share

    def __post_init__(self):
        for code in (*sorted(self.skus), *sorted(self.customer_part_numbers)):
            self._codes.setdefault(code_key(code), code)
            self._folded.setdefault(folded_key(code), set()).add(code)
        for name in sorted(self.customer_names):
            key = name_key(name)
            if len(key) >= 3 and self._names.setdefault(key, name) != name:
                self._shared.add(key)

    @property
    def empty(self) -> bool:
        """True when there is nothing to ground against."""
        return not (self.skus or self.customer_part_numbers or self.customer_names)

    def known_sku(self, text: str) -> str | None:
        """Our SKU this text spells exactly (up to case and punctuation), else None (part numbers excluded)."""
        code = self.known_code(text)
        return code if code in self.skus else None

    def known_code(self, text: str) -> str | None:
        """The master-data code this text spells exactly (up to case and punctuation), else None."""
        key = code_key(text)
        return self._codes.get(key) if key else None

    def folded_code(self, text: str) -> str | None:
        """The one master-data code this text spells after OCR folding, else None (ambiguous folds say nothing)."""
        found = self._folded.get(folded_key(text), set())
        return next(iter(found)) if len(found) == 1 else None

    def find_name(self, text: str) -> str | None:
        """The known customer name (or alias) printed in this text, longest first, else None."""
        key = f" {name_key(text)} "
        for known in sorted(self._names, key=len, reverse=True):
            if f" {known} " in key:
                return self._names[known]
        return None

    def ocr_spelling(self, text: str) -> str | None:
        """The one known name or address line this OCR-read text misspells by a letter or two, else None.

        OCR confuses look-alike glyphs ('S.r.l.' read 'S.r.I.', 'Hauptstraße' read 'HauptstraBe'): a read
        within one edit (two from ten characters on) of exactly one known spelling, and clearly nearer
        to it than to any other, is that spelling. Exact reads and unknown text are left alone (None)."""
        read = " ".join(text.split())
        if len(read) < 6:
            return None
        known = self._spellings()
        if read in known:
            return None
        limit = 1 if len(read) < 10 else 2
        squeezed = _squeezed(read)  # 'S.r.l.' read 'Sirk': compared on letters and digits too, dots aside
        scored = sorted(
            (min(_distance(read, k, limit + 2), _distance(squeezed, _squeezed(k), limit + 2)), k)
            for k in known
            if abs(len(k) - len(read)) <= limit + 3
        )
        if not scored or scored[0][0] > limit:
            return None
        if len(scored) > 1 and scored[1][0] <= scored[0][0] + 1:
            return None  # two known spellings about as near: the read names neither for sure
        return scored[0][1]

    def _spellings(self) -> frozenset[str]:
        cached = self.__dict__.get("_spelling_cache")
        if cached is None:
            lines = {" ".join(n.split()) for n in self.customer_names}
            lines |= {" ".join(part.split()) for a in self.addresses for part in re.split(r"[\n,]", a) if part.strip()}
            cached = frozenset(x for x in lines if len(x) >= 6)
            object.__setattr__(self, "_spelling_cache", cached)
        return cached

    def name_in_lines(self, lines) -> tuple[list, int | None] | None:
        """The words of the first known name printed in laid-out lines (each with .segments of words), and
        the page they are on; None when no known name is printed."""
        for line in lines:
            for segment in line.segments:
                where = self.locate_name([w.text for w in segment])
                if where:
                    return segment[where[0] : where[1]], line.page
        return None

    def spelling_of(self, text: str) -> str | None:
        """The master-data spelling of the one known name this text is (legal form and punctuation aside)."""
        key = name_key(text)
        return self._names.get(key) if key and key not in self._shared else None

    def locate_name(self, texts: list[str]) -> tuple[int, int] | None:
        """Where in a run of words a known name is printed: (first, end) word indexes, legal form included."""
        if not self._names:
            return None
        for i in range(len(texts)):
            if not name_key(texts[i]):
                continue
            for j in range(i + 1, min(len(texts), i + 8) + 1):
                key = name_key(" ".join(texts[i:j]))
                if key in self._names:
                    while j < len(texts) and name_key(texts[j]) == "" and re.search(r"\w", texts[j]):
                        j += 1  # the legal form ('Inc.', 'GmbH') belongs to the name
                    return i, j
        return None


def _squeezed(text: str) -> str:
    return re.sub(r"[\W_]+", "", text.casefold())


def _distance(a: str, b: str, cap: int) -> int:
    """Levenshtein distance of a and b, stopping early once it exceeds cap (then cap + 1)."""
    previous = list(range(len(b) + 1))
    for i, ca in enumerate(a, start=1):
        current = [i]
        for j, cb in enumerate(b, start=1):
            current.append(min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (ca != cb)))
        if min(current) > cap:
            return cap + 1
        previous = current
    return previous[-1]
