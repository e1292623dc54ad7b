"""Layout: words into lines and segments, labelled values (right of or below the label), address blocks."""

from __future__ import annotations

import re
import unicodedata
from bisect import insort
from dataclasses import dataclass, field
from functools import lru_cache
from statistics import median

from o2c.extraction.pages import Page, Word

_NOT_KEY = re.compile(r"[^a-z0-9#äöüßàâçéèêëîïôûùÿñáíóúìº°]")


@lru_cache(maxsize=65_536)
def compact(text: str) -> str:
    """A label's comparison key: lower case, letters, digits and '#' only ('P.O. Number:' -> 'ponumber').

    Accented letters are kept (German umlauts, French/Spanish/Italian accents; 'Qté' stays 'qté')."""
    return _NOT_KEY.sub("", text.lower())


@lru_cache(maxsize=65_536)
def fold_accents(key: str) -> str:
    """A compacted key without diacritics ('qté' -> 'qte'): OCR often loses accents, and so do some printers."""
    return "".join(c for c in unicodedata.normalize("NFKD", key) if not unicodedata.combining(c))


@dataclass
class Line:
    """Words sharing a baseline, left to right, split into segments wherever a column gap opens."""

    page: int
    words: list[Word]
    segments: list[list[Word]] = field(default_factory=list)
    # worked out once from the words, which are set when the line is made (group_lines) and never change:
    top: float = field(init=False, repr=False, compare=False)  # top of the highest word
    bottom: float = field(init=False, repr=False, compare=False)  # bottom of the lowest word
    height: float = field(init=False, repr=False, compare=False)  # median word height: the font size, roughly

    def __post_init__(self) -> None:
        self.top = min(w.top for w in self.words)
        self.bottom = max(w.bottom for w in self.words)
        self.height = median(w.height for w in self.words)

    @property
    def text(self) -> str:
        """The line's words joined by single spaces."""
        return " ".join(w.text for w in self.words)


@dataclass
class Hit:
    """A value found for a field: its text, the words it was read from, and the label that led to it."""

    field: str
    text: str
    words: list[Word]
    page: int
    label: str = ""

    @property
    def bbox(self) -> list[float]:
        """[x0, top, x1, bottom] around the value's words."""
        return bbox(self.words)

    @property
    def ocr_confidence(self) -> float:
        """The lowest word confidence (1.0 for a text layer)."""
        return min((w.confidence for w in self.words), default=1.0)


def bbox(words: list[Word]) -> list[float]:
    """[x0, top, x1, bottom] around words, rounded to 0.1 pt."""
    return [
        round(min(w.x0 for w in words), 1),
        round(min(w.top for w in words), 1),
        round(max(w.x1 for w in words), 1),
        round(max(w.bottom for w in words), 1),
    ]


def group_lines(page: Page) -> list[Line]:
    """The page's words grouped into lines (by vertical overlap) and each line into gap-split segments."""
    words = sorted(_split_glued_labels(page.words), key=lambda w: (w.top, w.x0))
    lines: list[list[Word]] = []
    # each line's word tops and bottoms kept sorted, so its median top and bottom cost no sort per word
    edges: list[tuple[list[float], list[float]]] = []
    line: list[Word] | Line  # a line's words while grouping, then the Line
    for word in words:
        centre = (word.top + word.bottom) / 2
        for index in range(len(lines) - 1, max(len(lines) - 4, -1), -1):
            tops, bottoms = edges[index]
            if _sorted_median(tops) - 0.5 <= centre <= _sorted_median(bottoms) + 0.5:
                lines[index].append(word)
                insort(tops, word.top)
                insort(bottoms, word.bottom)
                break
        else:
            lines.append([word])
            edges.append(([word.top], [word.bottom]))
    out: list[Line] = []
    for line_words in lines:
        line_words.sort(key=lambda w: w.x0)
        line = Line(page.number, line_words)
        line.segments = _segments(line_words, line.height)
        out.append(line)
    out.sort(key=lambda ln: ln.top)
    return out


def _sorted_median(values: list[float]) -> float:
    """statistics.median of an already sorted list."""
    half = len(values) // 2
    return values[half] if len(values) % 2 else (values[half - 1] + values[half]) / 2


def _segments(words: list[Word], height: float) -> list[list[Word]]:
    # OCR boxes hug the ink, so a line's height undersells its font size; a typewriter font's word spacing is a
    # full character cell wide. Either way a column gap is wider than 1.6 characters of the line's own text.
    widths = [(w.x1 - w.x0) / len(w.text) for w in words if len(w.text) >= 3]
    char = median(widths) if widths else 0.0
    gap = max(0.8 * height, 1.6 * char, 4.0)
    segments: list[list[Word]] = [[words[0]]]
    for prev, word in zip(words, words[1:], strict=False):
        if word.x0 - prev.x1 > gap:
            segments.append([word])
        else:
            segments[-1].append(word)
    return segments


_GLUED_LABEL = re.compile(r"^([A-Za-zÄÖÜäöüß.#\- ]{2,}:)(\S.*)$")
_URL_SCHEME = re.compile(r"https?:", re.I)


def _split_glued_labels(words: list[Word]) -> list[Word]:
    """'PO#:45821' or 'Datum:14.03.2026' printed without a space: split at the colon so labels match."""
    out = []
    for w in words:
        m = _GLUED_LABEL.match(w.text) if ":" in w.text else None
        if not m or _URL_SCHEME.fullmatch(m.group(1)):
            out.append(w)
            continue
        cut = w.x0 + (w.x1 - w.x0) * len(m.group(1)) / len(w.text)
        left_span = right_span = None
        if w.span:
            left_span = (w.span[0], w.span[0] + len(m.group(1)))
            right_span = (left_span[1], w.span[1])
        out.append(Word(m.group(1), w.x0, w.top, cut, w.bottom, w.confidence, left_span))
        out.append(Word(m.group(2), cut, w.top, w.x1, w.bottom, w.confidence, right_span))
    return out


def _unaccented(key: str) -> str:
    """A compacted label without accents or degree signs ('númerodepedido' -> 'numerodepedido', 'n°' -> 'n')."""
    folded = unicodedata.normalize("NFKD", key.replace("°", "").replace("º", ""))
    return "".join(c for c in folded if not unicodedata.combining(c))


_ORDINAL_READINGS = ("2", "o")  # what Tesseract makes of a printed 'º' / '°' besides dropping it
MAX_LABEL_WORDS = 5  # the most words one label spans
_MAX_STEPS = 4_096  # keys a LabelSet remembers (a long-running worker sees many words; then it stops adding)


class LabelSet:
    """Field names and their printed labels (English and German), matched on compacted text."""

    def __init__(self, labels: dict[str, list[str]]):
        self.keys: list[tuple[str, str, int]] = []  # (compact label, field, words in label)
        for name, synonyms in labels.items():
            for synonym in synonyms:
                self.keys.append((compact(synonym), name, len(synonym.split())))
        self.keys.sort(key=lambda k: len(k[0]), reverse=True)
        # compacted text -> (field, label): the first label in `keys` order that the text equals (or equals
        # followed by '#') wins, exactly as a scan of `keys` would decide, in one dictionary lookup
        self._index: dict[str, tuple[str, str]] = {}
        for label, name, _ in self.keys:
            self._index.setdefault(label, (name, label))
            self._index.setdefault(label + "#", (name, label))
        for label, name, _ in self.keys:  # the same labels with their accents lost, after every exact spelling
            self._index.setdefault(fold_accents(label), (name, label))
            self._index.setdefault(fold_accents(label) + "#", (name, label))
        for label, name, _ in self.keys:  # OCR also reads 'N°' as 'N*' or drops the sign: the label without it
            bare = _unaccented(label)
            if bare != label and len(bare) >= 4:
                self._index.setdefault(bare, (name, label))
                self._index.setdefault(bare + "#", (name, label))
        for label, name, _ in self.keys:  # or reads the underlined ordinal 'º' as '2' or 'o' ('N2 FACTURA')
            for glyph in _ORDINAL_READINGS if re.search("[º°]", label) else ():
                misread = _unaccented(re.sub("[º°]", glyph, label))
                if len(misread) >= 4:
                    self._index.setdefault(misread, (name, label))
                    self._index.setdefault(misread + "#", (name, label))
        self._prefixes = {key[:end] for key in self._index for end in range(1, len(key) + 1)}
        self._steps: dict[str, tuple[str | None, bool]] = {}  # match_at's verdict per key (_step)

    def unglue_value(self, key: str, name: str, value: list[Word]) -> list[Word]:
        """The value with the rest of a longer label of the same field cut off its first word: a label too wide
        for its column runs into the value ('Riferimento pagamentoPAY-1' is 'Riferimento pagamento' + 'PAY-1')."""
        first = value[0]
        for label, field_name, _ in self.keys:  # longest labels first
            if field_name != name or len(label) <= len(key) or not label.startswith(key):
                continue
            cut = _chars_spelling(first.text, label[len(key) :])
            if cut is not None and re.match(r"[A-Z0-9#]", first.text[cut:]):
                at = first.x0 + (first.x1 - first.x0) * cut / len(first.text)
                rest = Word(first.text[cut:], at, first.top, first.x1, first.bottom, first.confidence, None)
                return [rest, *value[1:]]
        return value

    def match_at(self, words: list[Word], i: int) -> tuple[str, int, str] | None:
        """(field, words consumed, label key) when a label starts at words[i], longest label first. The key grows
        a word at a time (compacting is per character, so it equals compacting the joined words) and stops as
        soon as no label starts with it: most words start no label and cost one compact and one set lookup."""
        best: tuple[int, str] | None = None
        key = ""
        steps = self._steps
        for n in range(1, min(MAX_LABEL_WORDS, len(words) - i) + 1):
            key += compact(words[i + n - 1].text)
            if not key:
                continue
            probe, more = steps.get(key) or self._step(key)
            if probe is not None:
                best = (n, probe)
            if not more:
                break
        if best is None:
            return None
        found = self._index[best[1]]
        return found[0], best[0], found[1]

    def _step(self, key: str) -> tuple[str | None, bool]:
        """What match_at learns from a key: the label it is (its index key, accents lost if need be) or None, and
        whether a longer label could start with it. Worked out once per key: documents repeat their words."""
        probe = key if key in self._index else fold_accents(key)  # OCR may lose accents the label has
        if probe not in self._index:  # or print a degree sign for the ordinal ('N.°FACTURA' for 'N.º factura')
            probe = _unaccented(key)
        more = key in self._prefixes or fold_accents(key) in self._prefixes or _unaccented(key) in self._prefixes
        step = (probe if probe in self._index else None, more)
        if len(self._steps) < _MAX_STEPS:
            self._steps[key] = step
        return step


def _chars_spelling(text: str, key: str) -> int | None:
    """How many leading characters of text compact to key ('pagamentoPAY-1', 'pagamento' -> 9), else None."""
    k = 0
    for j, char in enumerate(text):
        if k == len(key):
            return j
        c = compact(char)
        if not c:
            continue
        if c != key[k] and fold_accents(c) != fold_accents(key[k]):
            return None
        k += 1
    return None  # the whole word spells the rest of the label: no value glued to it


def find_labelled(lines: list[Line], labels: LabelSet, *, skip: set[int] | None = None) -> dict[str, list[Hit]]:
    """Every labelled value in reading order: the rest of the label's segment, else the next segment, else below."""
    hits: dict[str, list[Hit]] = {}
    skip = skip or set()
    for li, line in enumerate(lines):
        if id(line) in skip:
            continue
        for si, segment in enumerate(line.segments):
            i = 0
            while i < len(segment):
                found = labels.match_at(segment, i)
                if not found or not _label_position_ok(segment, i, found[1]):
                    i += 1
                    continue
                name, n, key = found
                value = _value_right(segment, i + n, labels)
                if value and value[0] is segment[i + n]:
                    value = labels.unglue_value(key, name, value)
                if not value:
                    value = _next_segment(line, si, labels)
                beside = bool(value)
                if not value:
                    value = _value_below(lines, li, segment[i : i + n], labels)
                if value:
                    text = " ".join(w.text for w in value)
                    hits.setdefault(name, []).append(Hit(name, text, value, line.page, key))
                if beside and not re.search(r"\d", " ".join(w.text for w in value)):
                    # no digit right of the label: labels over their values run into each other ('Referencia de
                    # pago Método de pago'), so the value below is a candidate too (callers wanting a number take it)
                    below = _value_below(lines, li, segment[i : i + n], labels)
                    if below:
                        hits[name].append(Hit(name, " ".join(w.text for w in below), below, line.page, key))
                i += n + (len(value) if value and value[0] in segment else 0)
    return hits


def _label_position_ok(segment: list[Word], i: int, n: int) -> bool:
    """A label starts a segment, or ends in ':' (so 'Date' inside a sentence is not a label)."""
    return (
        i == 0
        or segment[i + n - 1].text.endswith(":")
        or (i + n < len(segment) and segment[i + n].text in (":", "#", "#:"))
    )


def _value_right(segment: list[Word], start: int, labels: LabelSet) -> list[Word]:
    value: list[Word] = []
    for j in range(start, len(segment)):
        found = labels.match_at(segment, j) if value else None
        if found and segment[j + found[1] - 1].text.endswith(":"):
            break  # another 'Label:' on the same segment
        value.append(segment[j])
    while value and value[0].text in (":", "#", "#:", "-", "–"):
        value = value[1:]
    return value


def _next_segment(line: Line, si: int, labels: LabelSet) -> list[Word]:
    if si + 1 >= len(line.segments):
        return []
    nxt = line.segments[si + 1]
    found = labels.match_at(nxt, 0)
    if found and (found[1] == len(nxt) or nxt[found[1] - 1].text.endswith(":")):
        return []  # the next segment is another label
    return _value_right(nxt, 0, labels)


def _value_below(lines: list[Line], li: int, label_words: list[Word], labels: LabelSet) -> list[Word]:
    line = lines[li]
    x0, x1 = label_words[0].x0, label_words[-1].x1
    for below in lines[li + 1 : li + 3]:
        if below.page != line.page or below.top - line.bottom > 2.5 * line.height:
            return []
        for segment in below.segments:
            if segment[0].x0 < x1 + 10 and segment[-1].x1 > x0 - 10:
                found = labels.match_at(segment, 0)
                if found and found[1] < len(segment) + 1 and segment[found[1] - 1].text.endswith(":"):
                    return []
                return segment
    return []


def read_block(lines: list[Line], labels: LabelSet, label_field: str, *, max_lines: int = 6) -> Hit | None:
    """An address block under (or right of) a label, confined to the label's column when blocks sit side by side."""
    for li, line in enumerate(lines):
        for si, segment in enumerate(line.segments):
            found = labels.match_at(segment, 0)
            if not found or found[0] != label_field:
                continue
            label_words = segment[: found[1]]
            left = label_words[0].x0 - 4
            right = _column_right_edge(line, si)
            collected: list[list[Word]] = []
            rest = _value_right(segment, found[1], labels)
            if rest:
                collected.append(rest)
            last_bottom = line.bottom
            for below in lines[li + 1 : li + 1 + 2 * max_lines]:
                if (
                    below.page != line.page
                    or below.top - last_bottom > 1.0 * line.height
                    or len(collected) >= max_lines
                ):
                    break
                words = [w for w in below.words if left <= (w.x0 + w.x1) / 2 < right]
                if not words:
                    continue
                # the segments that start under the label: a block printed beside it on the same line is not ours
                seg = [
                    w
                    for segment in below.segments
                    if segment[0].x0 < label_words[-1].x1 + 40
                    for w in segment
                    if left <= (w.x0 + w.x1) / 2 < right
                ]
                if not seg:
                    # a block beside this one, its lines printed between ours: passed over (the gap to the
                    # last line read still ends the block)
                    continue
                if ((at := labels.match_at(seg, 0)) and seg[at[1] - 1].text.endswith(":")) or (
                    seg[-1].text.endswith(":") or not re.search(r"\w", seg[0].text)
                ):
                    break
                collected.append(seg)
                last_bottom = below.bottom
            if collected:
                words = [w for row in collected for w in row]
                text = "\n".join(" ".join(w.text for w in row) for row in collected)
                return Hit(label_field, text, words, line.page, found[2])
    return None


def _column_right_edge(line: Line, si: int) -> float:
    """Where the next block label on the same line starts (side-by-side Bill To / Ship To), else far right."""
    if si + 1 < len(line.segments):
        return line.segments[si + 1][0].x0 - 4
    return float("inf")


def all_lines(pages: list[Page]) -> list[Line]:
    """Lines of every page, in page order."""
    return [line for page in pages for line in group_lines(page)]
