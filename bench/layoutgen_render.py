"""The generated documents drawn: a PDF in the family's layout, and the e-mail bodies, CSV files and .eml messages
the e-mailed channels carry (bench/layoutgen.py makes the documents; this module only prints them)."""

from __future__ import annotations

import io
import re
from email.message import EmailMessage
from email.policy import default as DEFAULT_POLICY
from html import escape

from reportlab.lib.pagesizes import A4, LETTER
from reportlab.pdfbase.pdfmetrics import stringWidth
from reportlab.pdfgen.canvas import Canvas

from bench.layoutgen import SUPPLIER, Doc, Family


def _label(fam: Family, role: str) -> str:
    text = fam.words[role]
    return text + (":" if fam.colon else "")


def _head(fam: Family, role: str) -> str:
    text = fam.words[role]
    return text.upper() if fam.upper_headers else text


# ------------------------------------------------------------------------------------------------ PDF


def render_pdf(doc: Doc) -> bytes:
    """The document drawn as a PDF in its family's layout (several pages when its rows do not fit)."""
    fam = doc.family
    size = LETTER if fam.page == "letter" else A4
    width, height = size
    buf = io.BytesIO()
    c = Canvas(buf, pagesize=size, invariant=1)
    fs = fam.size

    def text(x, y, s, *, font=None, sz=None, right=False):
        c.setFont(font or fam.font, sz or fs)
        (c.drawRightString if right else c.drawString)(x, height - y, s)

    bold = {"Helvetica": "Helvetica-Bold", "Times-Roman": "Times-Bold", "Courier": "Courier-Bold"}[fam.font]
    y = 50
    cust = doc.buyer
    title = fam.words["title" if fam.kind == "po" else "rtitle"]
    if fam.buyer_block == "letterhead" or fam.kind == "remit":
        text(40, y, cust.name, font=bold, sz=fs + 5)
        for i, ln in enumerate(cust.address):
            text(40, y + 16 + i * (fs + 3), ln)
        text(width - 40, y, title, font=bold, sz=fs + 4, right=True)
    else:
        text(40, y, title, font=bold, sz=fs + 5)
    hx = width - 250 if fam.header_right else 40
    hy = y + 30 if fam.header_right else y + 30 + 3 * (fs + 3) + (0 if fam.buyer_block == "letterhead" else 0)
    if not fam.header_right and fam.buyer_block == "letterhead":
        hy = y + 16 + len(cust.address) * (fs + 3) + 14
    if fam.label_above:
        x = 40
        hy = max(hy, 120)
        for role, value in doc.header:
            text(x, hy, _label(fam, role), font=bold)
            text(x, hy + fs + 4, value)
            x += max(110, 6 * len(value) + 20)
        hy += 2 * (fs + 4)
    else:
        for i, (role, value) in enumerate(doc.header):
            text(hx, hy + i * (fs + 5), _label(fam, role), font=bold)
            text(hx + 120, hy + i * (fs + 5), value)
        hy += len(doc.header) * (fs + 5)
    by = max(hy, y + 16 + len(cust.address) * (fs + 3)) + 24
    if fam.kind == "po":
        text(40, by, _label(fam, "vendor") + " " + SUPPLIER[0])
        text(300, by, _label(fam, "ship"), font=bold)
        for i, ln in enumerate((cust.name, *cust.address)):
            text(300, by + (i + 1) * (fs + 3), ln)
        if fam.buyer_block == "billto":
            text(40, by + fs + 8, _label(fam, "bill"), font=bold)
            for i, ln in enumerate((cust.name, *cust.address)):
                text(40, by + fs + 8 + (i + 1) * (fs + 3), ln)
        by += 5 * (fs + 3) + 20
    else:
        text(40, by, _label(fam, "payer") + " " + cust.name)
        by += 2 * (fs + 4)
    # the table
    widths = {
        "line": 34,
        "sku": 95,
        "cpn": 80,
        "desc": 180,
        "qty": 55,
        "uom": 38,
        "price": 70,
        "tax": 45,
        "amount": 80,
        "inv": 100,
        "invdate": 80,
        "gross": 90,
        "disc": 75,
        "net": 90,
    }
    if fam.qty_with_uom:
        widths["qty"] = 70
    for col in fam.columns:  # a column is at least as wide as its bold header and its widest cell
        cells = [_head(fam, col)] + [row[col] for row in doc.rows]
        widths[col] = max(widths[col], max(stringWidth(t, bold, fs) for t in cells) + 12)
    total_w = sum(widths[col] for col in fam.columns)
    scale = min(1.0, (width - 80) / total_w)
    xs, x = [], 40.0
    for col in fam.columns:
        xs.append(x)
        x += widths[col] * scale
    numeric = {"qty", "price", "tax", "amount", "gross", "disc", "net"}

    def header_row(yy):
        for col, x0 in zip(fam.columns, xs, strict=True):
            w = widths[col] * scale
            label = _head(fam, col)
            if col in numeric:
                text(x0 + w - 6, yy, label, font=bold, right=True)
            else:
                text(x0, yy, label, font=bold)
        if fam.rules:
            c.line(40, height - yy - 4, x, height - yy - 4)

    ty = by
    header_row(ty)
    ty += fs + 8
    for row in doc.rows:
        if ty > height - 120:
            c.showPage()
            ty = 60
            header_row(ty)
            ty += fs + 8
        extra = 0
        for col, x0 in zip(fam.columns, xs, strict=True):
            w = widths[col] * scale
            value = row[col]
            if col in numeric:
                text(x0 + w - 6, ty, value, right=True)
            elif col == "desc" and fam.wrap and len(value.split()) > 2:
                words = value.split()
                text(x0, ty, " ".join(words[:2]))
                text(x0, ty + fs + 2, " ".join(words[2:]))
                extra = fs + 2
            else:
                text(x0, ty, value)
        ty += fs + 6 + extra
        if fam.rules:
            c.setLineWidth(0.3)
            c.line(40, height - ty + fs - 2, x, height - ty + fs - 2)
    ty += 14
    for role, value in doc.totals:
        text(x - 170, ty, _label(fam, role), font=bold)
        text(x - 6, ty, value, right=True)
        ty += fs + 6
    if fam.kind == "po":
        ty += 20
        initials = "".join(w[0] for w in cust.name.split()[:2]).upper()
        text(40, ty, _label(fam, "signed") + " " + (initials if fam.sign_initials else "Purchasing"))
    c.showPage()
    c.save()
    return buf.getvalue()


# ------------------------------------------------------------------------------------------------ e-mail bodies


def text_body(doc: Doc) -> str:
    """The document written in a plain-text e-mail: labelled lines and a space-aligned table."""
    fam = doc.family
    title = fam.words["title" if fam.kind == "po" else "rtitle"].lower()
    out = ["Hello,", "", f"please find our {title} below.", ""]
    if fam.kind == "remit":
        out.append(f"{_label(fam, 'payer')} {doc.buyer.name}")
    for role, value in doc.header:
        out.append(f"{_label(fam, role)} {value}")
    out.append("")
    cols = fam.columns
    table = [[_head(fam, col) for col in cols]] + [[row[col] for col in cols] for row in doc.rows]
    widths = [max(len(r[i]) for r in table) for i in range(len(cols))]
    for r in table:
        out.append("   ".join(cell.ljust(w) for cell, w in zip(r, widths, strict=True)).rstrip())
    out.append("")
    for role, value in doc.totals:
        out.append(f"{_label(fam, role)} {value}")
    out += ["", "Best regards,", "Purchasing" if fam.kind == "po" else "Accounts Payable", doc.buyer.name]
    return "\n".join(out) + "\n"


def html_body(doc: Doc) -> str:
    """The document as an HTML e-mail body with real table markup, Outlook or Gmail flavoured."""
    fam = doc.family
    p = (
        (lambda s: f'<p class="MsoNormal">{escape(s)}<o:p></o:p></p>')
        if fam.html_style == "outlook"
        else (lambda s: f"<div>{escape(s)}</div>")
    )
    cell = (
        (
            lambda s, tag: (
                f'<{tag} style="border:solid #999 1pt;padding:2pt"><p class="MsoNormal">{escape(s)}</p></{tag}>'
            )
        )
        if fam.html_style == "outlook"
        else (lambda s, tag: f"<{tag}>{escape(s)}</{tag}>")
    )
    parts = [
        p("Hello,"),
        p("please find our order details below." if fam.kind == "po" else "please find the payment details below."),
    ]
    if fam.kind == "remit":
        parts.append(p(f"{_label(fam, 'payer')} {doc.buyer.name}"))
    parts += [p(f"{_label(fam, role)} {value}") for role, value in doc.header]
    head = "".join(cell(_head(fam, col), "th") for col in fam.columns)
    body = "".join("<tr>" + "".join(cell(row[col], "td") for col in fam.columns) + "</tr>" for row in doc.rows)
    parts.append(f'<table border="1" cellspacing="0" cellpadding="3"><tr>{head}</tr>{body}</table>')
    parts += [p(f"{_label(fam, role)} {value}") for role, value in doc.totals]
    parts += [p("Best regards,"), p("Purchasing" if fam.kind == "po" else "Accounts Payable"), p(doc.buyer.name)]
    inner = "\n".join(parts)
    if fam.wrapper == "reply":
        inner = (
            f'{p("Thanks - see below.")}<div class="gmail_quote"><div>On Mon, 16 Mar 2026, '
            f'{escape(doc.buyer.name)} wrote:</div><blockquote class="gmail_quote">{inner}</blockquote></div>'
        )
    elif fam.wrapper == "forward":
        inner = (
            f"{p('FYI')}<div>---------- Forwarded message ---------<br>From: {escape(doc.buyer.name)}"
            f"<br>Subject: Order</div><br>{inner}"
        )
    if fam.html_style == "outlook":
        return (
            '<html xmlns:o="urn:schemas-microsoft-com:office:office"><head><style>p.MsoNormal{margin:0}'
            f'</style></head><body lang="EN-US"><div class="WordSection1">{inner}</div></body></html>'
        )
    return f'<div dir="ltr">{inner}</div>'


def csv_remittance(doc: Doc) -> bytes:
    """A remittance as a CSV file with the family's header wording: one row per invoice paid."""
    fam = doc.family
    header = [fam.words["payer"], fam.words["paydate"], fam.words["payref"]] + [
        fam.words[c] for c in fam.columns if c != "line"
    ]
    pay = dict(doc.header)
    lines = [",".join(f'"{h}"' for h in header)]
    for row in doc.rows:
        values = [doc.buyer.name, pay["paydate"], pay["payref"]] + [row[c] for c in fam.columns if c != "line"]
        lines.append(",".join(f'"{v}"' for v in values))
    return ("\n".join(lines) + "\n").encode("utf-8")


def build_mail(
    doc: Doc,
    name: str,
    *,
    body: str | None = None,
    html: str | None = None,
    attachment: tuple[str, bytes, str] | None = None,
) -> bytes:
    """An .eml from the customer, with a plain or HTML body and at most one attachment."""
    msg = EmailMessage(policy=DEFAULT_POLICY)
    msg["From"] = f"{doc.buyer.name} <orders@{doc.buyer.domain}>"
    msg["To"] = "Northwind Orders <orders@northwind.example>"
    msg["Subject"] = doc.family.words["title" if doc.family.kind == "po" else "rtitle"]
    msg["Date"] = "Mon, 16 Mar 2026 09:12:00 -0400"
    msg["Message-ID"] = f"<{name}@bench.example>"
    if html is not None:  # mail clients send a flattened plain rendition beside the HTML: one cell a line
        msg.set_content(_flattened(html))
        msg.add_alternative(html, subtype="html")
    else:
        msg.set_content(body or "Please see the attached document.\n\nRegards\n")
    if attachment:
        filename, data, media = attachment
        maintype, subtype = media.split("/")
        msg.add_attachment(data, maintype=maintype, subtype=subtype, filename=filename)
    if msg.is_multipart():
        msg.set_boundary("=_o2c_" + name.replace(".", "_"))
    return msg.as_bytes()


def _flattened(html: str) -> str:
    text = re.sub(r"(?i)</(p|div|tr|th|td|table)>|<br\s*/?>", "\n", html)
    text = re.sub(r"<[^>]+>", "", text)
    return "\n".join(line.strip() for line in text.splitlines() if line.strip()) + "\n"
