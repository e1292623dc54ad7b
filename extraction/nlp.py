"""A blank spaCy pipeline with our own entity rules (PO_REF, INVOICE_REF, MONEY, DATE, PAY_METHOD) for free text.

spaCy is imported the first time a document needs these rules (free text: email bodies, .txt files), not when
extraction is imported: it costs about a second, and PDFs, images and structured files never use it."""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from typing import TYPE_CHECKING, Any, cast

if TYPE_CHECKING:
    from spacy.language import Language
    from spacy.pipeline import EntityRuler

_REF = r"^[A-Za-z]{0,6}[-/#]?\d[\w\-/.]*$"
_AMOUNT = r"^\(?-?\d{1,3}([,.' ]?\d{3})*([.,]\d{1,2})?\)?-?$"
_CURRENCY = r"^([$€£¥]|USD|EUR|GBP|CHF|CAD|AUD|US\$)$"

PATTERNS: list[dict[str, Any]] = [
    {
        "label": "PO_REF",
        "pattern": [
            {"LOWER": {"IN": ["po", "p.o.", "po#", "p.o", "purchase"]}},
            {"LOWER": {"IN": ["order"]}, "OP": "?"},
            {"LOWER": {"IN": ["#", "no", "no.", "number", "nr", "nr.", ":", "#:"]}, "OP": "*"},
            {"TEXT": {"REGEX": _REF}},
        ],
    },
    {"label": "PO_REF", "pattern": [{"TEXT": {"REGEX": r"^(PO|P\.O\.)[-#]?\d[\w\-/]*$"}}]},
    {
        "label": "PO_REF",
        "pattern": [
            {"LOWER": {"IN": ["bestellung", "bestellnummer", "bestell-nr."]}},
            {"LOWER": {"IN": ["nr", "nr.", ":", "#"]}, "OP": "*"},
            {"TEXT": {"REGEX": _REF}},
        ],
    },
    {"label": "INVOICE_REF", "pattern": [{"TEXT": {"REGEX": r"^(INV|RE|RG|R)[-#/]?\d[\w\-/]*$"}}]},
    {
        "label": "INVOICE_REF",
        "pattern": [
            {"LOWER": {"IN": ["invoice", "invoices", "inv", "inv.", "rechnung"]}},
            {"LOWER": {"IN": ["#", "no", "no.", "number", "nr", "nr.", ":"]}, "OP": "*"},
            {"TEXT": {"REGEX": _REF}},
        ],
    },
    {"label": "MONEY", "pattern": [{"TEXT": {"REGEX": _CURRENCY}}, {"TEXT": {"REGEX": _AMOUNT}}]},
    {"label": "MONEY", "pattern": [{"TEXT": {"REGEX": _AMOUNT}}, {"TEXT": {"REGEX": _CURRENCY}}]},
    {"label": "MONEY", "pattern": [{"TEXT": {"REGEX": r"^[$€£][\d.,]+$"}}]},
    {
        "label": "PAY_METHOD",
        "pattern": [
            {
                "LOWER": {
                    "IN": [
                        "ach",
                        "wire",
                        "check",
                        "cheque",
                        "sepa",
                        "eft",
                        "überweisung",
                        "swift",
                        "bacs",
                        "lastschrift",
                    ]
                }
            }
        ],
    },
    {"label": "PAY_METHOD", "pattern": [{"LOWER": {"IN": ["bank", "credit"]}}, {"LOWER": "transfer"}]},
]


@dataclass(frozen=True)
class Entity:
    """One entity found in free text, with its character span."""

    label: str
    text: str
    start: int
    end: int


@lru_cache(maxsize=1)
def pipeline() -> Language:
    """The shared blank English pipeline with our entity rules (built once per process, spaCy loaded here)."""
    import spacy  # noqa: PLC0415 - deferred on purpose: see the module docstring

    nlp = spacy.blank("en")
    ruler = cast("EntityRuler", nlp.add_pipe("entity_ruler", config={"overwrite_ents": True}))
    ruler.add_patterns(PATTERNS)
    return nlp


def is_loaded() -> bool:
    """True once this process has built the pipeline (spaCy imported)."""
    return pipeline.cache_info().currsize > 0


def find_entities(text: str) -> list[Entity]:
    """PO and invoice references, money, payment methods found in text, in order."""
    doc = pipeline()(text[:100_000])
    return [Entity(e.label_, e.text, e.start_char, e.end_char) for e in doc.ents]


def entity_counts(text: str) -> dict[str, int]:
    """How many entities of each label text holds (classification evidence)."""
    counts: dict[str, int] = {}
    for entity in find_entities(text):
        counts[entity.label] = counts.get(entity.label, 0) + 1
    return counts
