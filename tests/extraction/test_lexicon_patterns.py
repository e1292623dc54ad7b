"""The lexicon's phrase patterns are tries (extraction.lexicon.longest_first): each must find exactly what the
alternation of its phrases sorted longest first finds, on text built to tempt it (prefixes, spacing, case,
phrases glued to words)."""

from __future__ import annotations

import random
import re

from o2c.extraction.lexicon import _language_patterns, language_labels, longest_first

PHRASES = ["order no", "order number", "order", "ord", "net amount", "net", "netto betrag", "n°", "qty.", "q.ty"]


def _alternation(phrases: list[str]) -> re.Pattern:
    body = "|".join(r"\s+".join(re.escape(w) for w in p.split()) for p in sorted(phrases, key=len, reverse=True))
    return re.compile(rf"(?i)(?<!\w)({body})(?!\w)")


def _texts(phrases: list[str], seed: int, count: int = 400) -> list[str]:
    draw = random.Random(seed)
    glue = [" ", "  ", "\n", "\t", ":", "-", "", "x", "9", ". ", "\u00a0"]
    texts = []
    for _ in range(count):
        parts = []
        for _ in range(draw.randint(1, 8)):
            phrase = draw.choice(phrases)
            if draw.random() < 0.3:
                phrase = phrase.upper()
            if draw.random() < 0.3:
                phrase = phrase.replace(" ", draw.choice(["  ", "\n", " \t "]))
            if draw.random() < 0.2:
                phrase = phrase[: draw.randint(1, len(phrase))]
            parts.append(phrase + draw.choice(glue))
        texts.append("".join(parts))
    return texts


def test_a_trie_finds_what_the_sorted_alternation_finds():
    trie = re.compile(rf"(?i)(?<!\w)({longest_first(PHRASES)})(?!\w)")
    plain = _alternation(PHRASES)
    for text in _texts(PHRASES, seed=7):
        assert [m.span() for m in trie.finditer(text)] == [m.span() for m in plain.finditer(text)], text


def test_the_language_patterns_agree_with_their_alternations():
    patterns = _language_patterns()
    for index, (lang, phrases) in enumerate(sorted(language_labels().items())):
        plain = _alternation(phrases)
        for text in _texts(phrases, seed=index, count=100):
            assert [m.span() for m in patterns[lang].finditer(text)] == [m.span() for m in plain.finditer(text)], (
                lang,
                text,
            )
