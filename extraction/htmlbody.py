"""HTML e-mail bodies read from the DOM (lxml.html): tables stay tables.

A data table (one that holds no other table) is laid out as aligned columns of text, each cell padded to its
column's width, so the layout reader finds its header and rows as on a printed page. Layout tables (Outlook
and Gmail wrap whole messages in them) are read cell by cell as blocks. Quoted replies and forwards are kept:
a forwarded order is still the order.
"""

from __future__ import annotations

import re

import lxml.html
from lxml import etree

_BLOCKS = {
    "p",
    "div",
    "br",
    "tr",
    "li",
    "ul",
    "ol",
    "h1",
    "h2",
    "h3",
    "h4",
    "h5",
    "h6",
    "table",
    "section",
    "blockquote",
    "pre",
    "hr",
    "article",
    "header",
    "footer",
    "address",
    "center",
    "dl",
    "dt",
    "dd",
}
_SKIP = {"script", "style", "head", "title", "meta", "link", "noscript", "template"}
COLUMN_GAP = 3  # spaces between cells: wider than a word space, so the layout reader splits columns there


def html_to_layout_text(html: str) -> str:
    """Visible text of an HTML body: blocks on their own lines, data tables as space-aligned columns."""
    root = _parse(html)
    if root is None:
        return ""
    out: list[str] = []
    _walk(root, out)
    text = "".join(out).replace("\xa0", " ")
    lines = [line.rstrip() for line in text.split("\n")]
    text = "\n".join(lines)
    return re.sub(r"\n{3,}", "\n\n", text).strip("\n")


def _parse(html: str):
    if not html.strip():
        return None
    try:
        return lxml.html.document_fromstring(html)
    except ValueError:  # a str with an XML encoding declaration
        return lxml.html.document_fromstring(html.encode("utf-8", errors="replace"))
    except (etree.ParserError, etree.XMLSyntaxError):
        return None


def _walk(node, out: list[str]) -> None:
    tag = node.tag if isinstance(node.tag, str) else ""
    tag = tag.lower()
    if tag in _SKIP or not isinstance(node.tag, str):
        _tail(node, out)
        return
    if tag == "table" and not node.xpath(".//table"):
        _newline(out)
        out.append(_grid(node))
        _newline(out)
        _tail(node, out)
        return
    if tag in _BLOCKS:
        _newline(out)
    if tag in ("td", "th"):
        out.append("   ")  # a layout table's cells: keep them apart on a line
    if node.text and tag != "pre":
        out.append(re.sub(r"\s+", " ", node.text))
    elif node.text:
        out.append(node.text)
    for child in node:
        _walk(child, out)
    if tag in _BLOCKS:
        _newline(out)
    _tail(node, out)


def _tail(node, out: list[str]) -> None:
    if node.tail:
        out.append(re.sub(r"\s+", " ", node.tail))


def _newline(out: list[str]) -> None:
    if out and not out[-1].endswith("\n"):
        out.append("\n")


def _cell_text(cell) -> str:
    for br in cell.iter("br"):
        br.tail = " " + (br.tail or "")
    text = " ".join(cell.text_content().replace("\xa0", " ").split())
    return text


def _grid(table) -> str:
    rows: list[list[str]] = []
    for tr in table.iter("tr"):
        cells = []
        for cell in tr:
            if not isinstance(cell.tag, str) or cell.tag.lower() not in ("td", "th"):
                continue
            text = _cell_text(cell)
            cells.append(text)
            try:
                span = min(int(cell.get("colspan", "1")), 20)
            except ValueError:
                span = 1
            cells.extend([""] * (span - 1))
        if any(cells):
            rows.append(cells)
    if not rows:
        return ""
    n = max(len(r) for r in rows)
    # a column left empty in every row (spacer cells) takes no room
    keep = [c for c in range(n) if any(c < len(r) and r[c] for r in rows)]
    widths = {c: max(len(r[c]) if c < len(r) else 0 for r in rows) for c in keep}
    lines = []
    for r in rows:
        filled = [c for c in keep if c < len(r) and r[c]]
        if len(filled) == 1 and len(keep) > 2:
            lines.append(r[filled[0]])  # a title or a note spanning the table
            continue
        parts = []
        for c in keep:
            text = r[c] if c < len(r) else ""
            parts.append(text.ljust(widths[c]))
        lines.append((" " * COLUMN_GAP).join(parts).rstrip())
    return "\n".join(lines)
