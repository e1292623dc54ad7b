"""The label lexicon: every printed label extraction knows, in one data file (lexicon.json), by section and field.

Sections: ``order`` (PO header fields), ``line_columns`` (PO line table headers), ``remittance`` (remittance
header fields), ``item_columns`` (remittance item table headers) and ``totals`` (subtotal, tax, freight, total
rows) and ``titles`` (what a purchase order or a remittance advice is called). Each field lists
its labels per language (en, de, fr, nl, es, it); abbreviations are labels like any
other. Labels are compared on their compacted form (layout.compact), so case, spaces, dots and colons do not
matter. A field named ``_ignored`` names columns that are read and set aside (line numbers, tax rates).
"""

from __future__ import annotations

import json
import re
from functools import cache
from pathlib import Path

from o2c.extraction.layout import LabelSet, compact

LEXICON_FILE = Path(__file__).with_name("lexicon.json")
LANGUAGES = ("en", "de", "fr", "nl", "es", "it")
SECTIONS = ("order", "line_columns", "remittance", "item_columns", "totals", "titles")


@cache
def _load() -> dict[str, dict[str, dict[str, list[str]]]]:
    data = json.loads(LEXICON_FILE.read_text(encoding="utf-8"))
    missing = set(SECTIONS) - set(data)
    if missing:
        raise ValueError(f"lexicon.json lacks sections {sorted(missing)}")
    return data


def labels(section: str) -> dict[str, list[str]]:
    """Field -> every label for it, all languages, in file order (duplicates removed)."""
    fields = _load()[section]
    return {
        name: list(dict.fromkeys(label for lang in LANGUAGES for label in by_lang.get(lang, [])))
        for name, by_lang in fields.items()
    }


def label_set(section: str) -> LabelSet:
    """The section as a LabelSet for layout.find_labelled and the table reader."""
    return LabelSet(labels(section))


def conflicts(section: str) -> list[tuple[str, list[str]]]:
    """Compacted labels that name two fields in one section (a lexicon error: the test keeps this empty)."""
    owners: dict[str, set[str]] = {}
    for name, synonyms in labels(section).items():
        for label in synonyms:
            owners.setdefault(compact(label), set()).add(name)
    return sorted((key, sorted(names)) for key, names in owners.items() if len(names) > 1)


def title_pattern(kind: str) -> str:
    """A regex alternation of every title of a document kind ('purchase_order', 'remittance_advice'), longest
    first, for a case-insensitive pattern."""
    titles = sorted(labels("titles")[kind], key=len, reverse=True)
    return in_order([t for t in titles if len(t) > 2], gap=r"\s+")


@cache
def language_labels() -> dict[str, list[str]]:
    """Per language, its labels no other language prints (long enough not to be chance), casefolded."""
    raw = _load()
    owners: dict[str, set[str]] = {}
    for fields in raw.values():
        for by_lang in fields.values():
            for lang, synonyms in by_lang.items():
                for label in synonyms:
                    owners.setdefault(label.casefold(), set()).add(lang)
    by_language: dict[str, list[str]] = {}
    for lang in LANGUAGES:
        own = sorted(k for k, langs in owners.items() if langs == {lang} and len(k) >= 5)
        if own:
            by_language[lang] = own
    return by_language


@cache
def _language_patterns() -> dict[str, re.Pattern]:
    """Per language, its own labels as one pattern."""
    return {lang: re.compile(rf"(?i)(?<!\w)({longest_first(own)})(?!\w)") for lang, own in language_labels().items()}


_SPACE = " "


def longest_first(phrases: list[str]) -> str:
    """A regex matching any of the phrases (words apart by any whitespace), the longest one that matches at a
    place winning, as the alternation of them sorted longest first would; built as a trie, so a place where no
    phrase starts costs one character test instead of one test per phrase."""
    trie: dict = {}
    for phrase in phrases:
        node = trie
        for part in _SPACE.join(phrase.split()):
            node = node.setdefault(part, {})
        node[""] = {}  # a phrase ends here
    return _trie_regex(trie)


def _trie_regex(node: dict) -> str:
    ends = "" in node
    branches = [
        (r"\s+" if part == _SPACE else re.escape(part)) + _trie_regex(child)
        for part, child in sorted(node.items())
        if part
    ]
    if not branches:
        return ""
    body = branches[0] if len(branches) == 1 else "(?:" + "|".join(branches) + ")"
    # greedy: the longer phrase first, this one (ends) when the rest does not match; every phrase word is
    # whitespace-free, so the text itself picks the one branch that can go on
    return f"(?:{body})?" if ends else body


@cache
def _language_label_starts() -> re.Pattern:
    """Where a label of some language starts (a zero-width match): the only places a language's pattern can."""
    phrases = sorted({label for own in language_labels().values() for label in own})
    return re.compile(rf"(?i)(?<!\w)(?=(?:{longest_first(phrases)})(?!\w))")


def label_languages(text: str) -> dict[str, int]:
    """How many distinct labels of each language the text prints (labels several languages share not counted).

    One scan finds where any language's label starts; each language's pattern is then tried only there, left
    to right and never inside its previous match, which is what scanning the text with it finds."""
    starts = [m.start() for m in _language_label_starts().finditer(text)]
    counts = {}
    for lang, pattern in _language_patterns().items():
        found, end = set(), 0
        for at in starts:
            if at >= end and (m := pattern.match(text, at)):
                found.add(m.group(0).casefold())
                end = m.end()
        if found:
            counts[lang] = len(found)
    return counts


def in_order(phrases: list[str], *, gap: str) -> str:
    r"""The alternation of the phrases in the order given (words apart by `gap`, r"\s+" or r"\s*"), for a
    case-insensitive pattern: the first phrase that matches at a place wins, exactly as in 'a|b|c', but
    factored by leading characters, so a place where no phrase starts costs a few tests instead of one per
    phrase. Only alternatives that cannot match the same text are regrouped; order is kept wherever it decides."""
    alternatives = []
    for phrase in phrases:
        tokens: list[str] = []
        for k, word in enumerate(phrase.split()):
            tokens += [gap, *word] if k else list(word)
        alternatives.append(tuple(tokens))
    return _in_order(alternatives)


def _in_order(alternatives: list[tuple[str, ...]]) -> str:
    if len(alternatives) == 1:
        return _literal(alternatives[0])
    branches: list[str] = []
    run: list[tuple[str, ...]] = []
    for alternative in alternatives:
        if alternative:
            run.append(alternative)
            continue
        # a phrase ends here: the ones before it are tried first, the ones after it only when it fails
        branches += _grouped(run)
        branches.append("")
        run = []
    branches += _grouped(run)
    return branches[0] if len(branches) == 1 else "(?:" + "|".join(branches) + ")"


def _grouped(run: list[tuple[str, ...]]) -> list[str]:
    """The run's alternatives as one branch per leading token, their order kept inside each; the run as it
    is when two leading tokens could match the same character."""
    groups: dict[str, list[tuple[str, ...]]] = {}
    for alternative in run:
        groups.setdefault(_lead(alternative[0]), []).append(alternative)
    if len(groups) > 1 and not _exclusive(groups):
        return [_literal(alternative) for alternative in run]
    return [_token(members[0][0]) + _in_order([m[1:] for m in members]) for members in groups.values()]


def _lead(token: str) -> str:
    return token if len(token) > 1 or len(token.lower()) > 1 else token.lower()


def _exclusive(groups: dict[str, list[tuple[str, ...]]]) -> bool:
    r"""True when no character can start two of the groups. A gap r"\s+" starts with whitespace, which no
    phrase character is; a gap r"\s*" may also be empty, so the characters after it count too."""
    chars = [lead for lead in groups if len(lead) == 1]
    gaps = [lead for lead in groups if len(lead) > 1]
    if len(gaps) > 1:
        return False
    if gaps and gaps[0] == r"\s*":
        after = {_lead(m[1]) for m in groups[gaps[0]]}  # a phrase's word is never empty: a character follows
        if any(_same_char(a, c) for a in after for c in chars):
            return False
    return not any(_same_char(a, b) for i, a in enumerate(chars) for b in chars[i + 1 :])


def _same_char(a: str, b: str) -> bool:
    """Whether a case-insensitive pattern's characters a and b (lower case) match a common character."""
    if a == b:
        return True
    if a.isascii() and b.isascii():
        return False
    # the regex engine's case-insensitive equivalences (i and dotless ı, s and long ſ, k and the Kelvin sign, µ
    # and μ, ß and ẞ, ...) are all characters that share a case mapping
    return a.lower() == b.lower() or a.upper() == b.upper() or a.casefold() == b.casefold()


def _token(token: str) -> str:
    return token if len(token) > 1 else re.escape(token)


def _literal(tokens: tuple[str, ...]) -> str:
    return "".join(_token(t) for t in tokens)
