"""The lexicon's phrase patterns are tries (extraction.lexicon.longest_first) or factored alternations
(extraction.lexicon.in_order): each must find exactly what the alternation of its phrases finds (sorted longest
first, or in the order given), on text built to tempt it (prefixes, spacing, case, phrases glued to words)."""

from __future__ import annotations

import random
import re

from o2c.extraction.lexicon import (
    _language_patterns,
    in_order,
    label_languages,
    labels,
    language_labels,
    longest_first,
)

PHRASES = ["order no", "order number", "order", "ord", "net amount", "net", "netto betrag", "n°", "qty.", "q.ty"]


def _alternation(phrases: list[str], gap: str = r"\s+", *, ordered: bool = False) -> re.Pattern:
    phrases = phrases if ordered else sorted(phrases, key=len, reverse=True)
    body = "|".join(gap.join(re.escape(w) for w in p.split()) for p in phrases)
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


def test_a_factored_alternation_finds_what_the_plain_one_finds():
    """Phrases glued by an optional gap ('P.O.Number'), phrases ending where a longer one goes on, a phrase
    placed before a longer one it starts (the order decides, not the length), case pairs and accents."""
    phrases = PHRASES + ["ab", "abc", "a b", "a bc d", "abcd-e", "Qté", "QTE", "qt", "ÄRA", "ära x", "ſa", "sa"]
    for gap in (r"\s+", r"\s*"):
        for order in (phrases, sorted(phrases, key=len, reverse=True), phrases[::-1]):
            factored = re.compile(rf"(?i)(?<!\w)({in_order(order, gap=gap)})(?!\w)")
            plain = _alternation(order, gap, ordered=True)
            for text in _texts(order, seed=len(order) + len(gap), count=300):
                assert [m.span() for m in factored.finditer(text)] == [m.span() for m in plain.finditer(text)], text


def test_the_lexicon_sections_factor_like_their_alternations():
    """Every section's labels, longest first with an optional gap, as the classifier reads them."""
    for index, section in enumerate(("order", "line_columns", "remittance", "titles")):
        phrases = sorted({label for names in labels(section).values() for label in names}, key=len, reverse=True)
        body = in_order(phrases, gap=r"\s*")
        factored = re.compile(rf"(?i)(?<!\w)({body})(?!\w)")
        plain = _alternation(phrases, r"\s*", ordered=True)
        for text in _texts(phrases, seed=100 + index, count=150):
            assert [m.span() for m in factored.finditer(text)] == [m.span() for m in plain.finditer(text)], text


def test_label_languages_counts_what_each_language_pattern_finds_scanning():
    """Tried only where some language's label starts, each pattern finds what a scan of the whole text finds."""
    patterns = _language_patterns()
    phrases = [label for own in language_labels().values() for label in own]
    for text in _texts(phrases, seed=11, count=300) + [" ".join(phrases), "".join(phrases)]:
        scanned = {lang: {m.group(0).casefold() for m in p.finditer(text)} for lang, p in patterns.items()}
        assert label_languages(text) == {lang: len(found) for lang, found in scanned.items() if found}, text
