"""The extraction benchmark's corpus: every layout in four channels, each document with its ground truth.

Channels: ``digital`` (the PDF as drawn), ``scan300`` (300 dpi grey, rotated up to ±2°, light noise and blur,
as an image-only PDF, PNG or multi-page TIFF), ``scan200`` (200 dpi, heavier noise and blur, JPEG artefacts,
as JPEG, image-only PDF with JPEG inside or TIFF), and ``email`` (.eml with the PDF attached, or an order or
a remittance written in the body). Deterministic for a seed; nothing is committed.
"""

from __future__ import annotations

import io
import random
from dataclasses import dataclass, replace
from datetime import date, timedelta
from decimal import Decimal

import pypdfium2
from PIL import Image, ImageChops, ImageFilter

from tests.fixtures import masterdata as md
from tests.fixtures.generate import Mail, build_eml, order_contract, remittance_contract
from tests.fixtures.layouts import Line, PurchaseOrder, RemitItem, Remittance, fmt_date, fmt_money, fmt_qty
from tests.fixtures.layouts_more import PO_LAYOUTS, REMIT_LAYOUTS, REMIT_WITHOUT_GROSS, TRAITS, render

D = Decimal
CHANNELS = ("digital", "scan300", "scan200", "email")


@dataclass
class Case:
    """One benchmark file: its name, bytes, channel, layout, page count and expected extractions."""

    name: str
    content: bytes
    channel: str
    layout: str
    pages: int
    expected: list[dict]


def _order_spec(rng: random.Random, layout: str, n: int) -> PurchaseOrder:
    german = layout in ("german", "bestell")
    usd = [c for c in md.CUSTOMERS if c.currency == "USD"]
    c = md.CUSTOMER["C-1002"] if german else rng.choice(usd)
    skus = sorted(
        {p.sku for p in md.PRICES if p.customer_id == c.customer_id} if german else {p.sku for p in md.PRODUCTS}
    )
    n_lines = rng.randint(9, 14) if layout == "multipage" else rng.randint(1, min(8, len(skus)))
    order_date = date(2026, 3, 1) + timedelta(days=rng.randrange(28))
    traits = TRAITS.get(layout, {})
    has_uom = layout in ("classic", "multipage") or traits.get("uom", False)
    has_tax = layout == "multipage" or traits.get("tax", False)
    lines = []
    for sku in rng.sample(skus, min(n_lines, len(skus))):
        qty = D(rng.choice((1, 2, 3, 4, 5, 8, 10, 12, 15, 20, 24, 25, 40, 50, 100, 150, 200, 500, 1200)))
        price = md.applicable_price(c.customer_id, sku, qty, order_date)
        lines.append(Line(sku, md.PRODUCT[sku].description, qty, price, md.PRODUCT[sku].uom if has_uom else None))
    if layout == "multipage":  # wrap two long descriptions the way the layout prints them
        for ln in lines[1:4:2]:
            words = ln.description.split()
            if len(words) > 2:
                ln.description = " ".join(words[:2]) + "\n" + " ".join(words[2:])
    style = "de" if german else rng.choice(("us", "iso", "long", "dmy"))
    return PurchaseOrder(
        layout=layout,
        customer_id=c.customer_id,
        buyer_name=c.name,
        buyer_address=c.address,
        po_number=f"{c.customer_id[2:]}-{rng.randrange(100000):05d}" if n % 3 else f"PO{rng.randrange(10**6):06d}",
        order_date=order_date,
        date_style=style,
        currency=c.currency,
        ship_to=(c.name, "Receiving Dock " + str(rng.randint(1, 9)), *c.address),
        lines=lines,
        payment_terms=c.payment_terms,
        delivery_date=order_date + timedelta(days=rng.randrange(7, 30)),
        customer_no=c.customer_id if layout == "german" else None,
        tax_rate=D(rng.choice(("6.00", "7.25", "19.00"))) if has_tax else None,
        freight=D(rng.randrange(0, 200)).quantize(D("0.01")) if layout in ("multipage", "orderform") else None,
        contact=rng.choice(("Purchasing", "Dana Whitfield", "M. Keller", "J. Ortiz")),
        note="Corpus document." if layout == "multipage" else "",
    )


def _remit_spec(rng: random.Random, layout: str) -> Remittance:
    usd = [c for c in md.CUSTOMERS if c.currency == "USD" and any(i.customer_id == c.customer_id for i in md.INVOICES)]
    c = rng.choice(usd)
    chosen = rng.sample(
        [i for i in md.INVOICES if i.customer_id == c.customer_id],
        rng.randint(1, len([i for i in md.INVOICES if i.customer_id == c.customer_id])),
    )
    pay_date = date(2026, 3, 1) + timedelta(days=rng.randrange(30))
    items = []
    for inv in chosen:
        discount = (inv.open_amount * D("0.02")).quantize(D("0.01")) if rng.random() < 0.3 else D("0.00")
        gross = None if layout in REMIT_WITHOUT_GROSS else inv.open_amount
        items.append(
            RemitItem(
                inv.invoice_number,
                inv.invoice_date,
                gross,
                None if layout in REMIT_WITHOUT_GROSS else discount,
                inv.open_amount - discount,
            )
        )
    method = {"remit_advice": "Check", "remit_eft": "EFT", "remit_wire": "Wire", "remit_german": "Überweisung"}
    german = layout == "remit_german"
    return Remittance(
        layout=layout,
        payer_name=c.name,
        payer_address=c.address,
        payment_date=pay_date,
        date_style="de" if german else rng.choice(("us", "iso", "dmy", "long")),
        payment_reference=f"{'CHK' if layout == 'remit_advice' else 'PAY'}-{pay_date:%Y%m%d}-"
        f"{rng.randrange(10**4):04d}",
        payment_method=method.get(layout, "ACH"),
        currency="USD",
        items=items,
        voucher=f"V{rng.randrange(100000):05d}",
    )


def expected_order(po: PurchaseOrder, source: str, **kw) -> dict:
    """The golden contract for a PO in any layout (which optional fields it prints follows TRAITS)."""
    traits = TRAITS.get(po.layout)
    contract = order_contract(po, source, with_subtotal=bool(traits and traits["subtotal"]), **kw)
    if traits:
        contract["order"]["bill_to"] = (
            "\n".join(po.bill_to or (po.buyer_name, *po.buyer_address)) if traits["bill_to"] else None
        )
    return contract


def render_pages(pdf: bytes, dpi: int) -> list[Image.Image]:
    """Every page of a PDF as a grey image at dpi."""
    doc = pypdfium2.PdfDocument(pdf)
    try:
        return [page.render(scale=dpi / 72, grayscale=True).to_pil().convert("L") for page in doc]
    finally:
        doc.close()


def degrade(img: Image.Image, rng: random.Random, *, noise: int, blur: float, jpeg: int | None) -> Image.Image:
    """A printed-and-scanned look: rotation up to ±2°, grain, dust, blur, optional JPEG artefacts."""
    angle = rng.uniform(-2.0, 2.0)
    img = img.rotate(angle, resample=Image.Resampling.BICUBIC, expand=False, fillcolor=255)
    w, h = img.size
    if noise:
        grain = Image.frombytes("L", (w, h), rng.randbytes(w * h)).point(lambda v: v % noise)
        img = ImageChops.subtract(img, grain)
        lift = Image.frombytes("L", (w, h), rng.randbytes(w * h)).point(lambda v: v % (noise // 2 + 1))
        img = ImageChops.add(img, lift)
    px = img.load()
    for _ in range(w * h // 4000):
        px[rng.randrange(w), rng.randrange(h)] = rng.randrange(0, 120)
    if blur:
        img = img.filter(ImageFilter.GaussianBlur(blur))
    if jpeg:
        buf = io.BytesIO()
        img.save(buf, format="JPEG", quality=jpeg)
        img = Image.open(io.BytesIO(buf.getvalue())).convert("L")
    return img


def _scan_file(pdf: bytes, rng: random.Random, channel: str, fmt: str) -> tuple[bytes, str]:
    dpi = 300 if channel == "scan300" else 200
    strong = channel == "scan200"
    images = [
        degrade(
            img,
            rng,
            noise=60 if strong else 30,
            blur=rng.uniform(0.6, 1.0) if strong else 0.5,
            jpeg=rng.randint(35, 60) if strong else None,
        )
        for img in render_pages(pdf, dpi)
    ]
    return save_scan(images, fmt, dpi, jpeg_quality=rng.randint(40, 70)), fmt


def save_scan(images: list[Image.Image], fmt: str, dpi: int, *, jpeg_quality: int = 60) -> bytes:
    """Scanned pages as one file: image-only PDF, multi-page TIFF, PNG or JPEG (the first page only)."""
    out = io.BytesIO()
    if fmt == "pdf":
        images[0].save(out, format="PDF", resolution=float(dpi), save_all=True, append_images=images[1:])
    elif fmt == "tiff":
        images[0].save(
            out, format="TIFF", dpi=(dpi, dpi), compression="tiff_deflate", save_all=True, append_images=images[1:]
        )
    elif fmt == "png":
        images[0].save(out, format="PNG", dpi=(dpi, dpi))
    else:
        images[0].save(out, format="JPEG", dpi=(dpi, dpi), quality=jpeg_quality)
    return out.getvalue()


def _body_order(rng: random.Random, po: PurchaseOrder) -> str:
    lines = "\n".join(f"  {fmt_qty(ln.quantity):>4} x {ln.sku} at {fmt_money(ln.unit_price)}" for ln in po.lines)
    return (
        f"Hi Northwind team,\n\nPlease ship PO {po.po_number}:\n\n{lines}\n\n"
        f"Total: ${fmt_money(po.total)}\n\nShip to:\n"
        + "\n".join(po.ship_to)
        + f"\n\nNeeded by {fmt_date(po.delivery_date, 'long')}. Terms as usual ({po.payment_terms}).\n\n"
        f"Thanks,\n{po.contact}\nPurchasing, {po.buyer_name}\n"
    )


def _body_remittance(rng: random.Random, r: Remittance) -> str:
    refs = [i.invoice_number for i in r.items]
    listed = ", ".join(refs[:-1]) + " and " + refs[-1] if len(refs) > 1 else refs[0]
    rows = "\n".join(f"  {i.invoice_number}   ${fmt_money(i.amount_paid)}" for i in r.items)
    return (
        f"Hello,\n\nThis is to advise that we sent an ACH payment of ${fmt_money(r.amount)}\n"
        f"for {listed} on {fmt_date(r.payment_date, 'us')}.\nPayment reference: {r.payment_reference}\n\n"
        f"{rows}\n\nRegards,\nAccounts Payable\n{r.payer_name}\n"
    )


def build_corpus(seed: int, per_layout: int = 2, *, scans: bool = True, only: str = "") -> list[Case]:
    """per_layout digital documents per layout, one scan300 and one scan200 per layout, and emails."""
    rng = random.Random(seed)
    cases: list[Case] = []
    formats300 = ["pdf", "png", "tiff"]
    formats200 = ["jpeg", "pdf", "tiff"]
    specs = [(layout, _order_spec(rng, layout, n)) for layout in PO_LAYOUTS for n in range(per_layout + 3)]
    specs += [(layout, _remit_spec(rng, layout)) for layout in REMIT_LAYOUTS for _ in range(per_layout + 3)]
    by_layout: dict[str, int] = {}
    for layout, spec in specs:
        k = by_layout[layout] = by_layout.get(layout, -1) + 1
        pdf = render(spec)
        n_pages = len(pypdfium2.PdfDocument(pdf))
        channel = "digital" if k < per_layout else ("scan300", "scan200", "email")[k - per_layout]
        if (channel.startswith("scan") and not scans) or only not in layout:
            continue
        stem = f"{layout}_{k}"
        if channel == "digital":
            name, content = f"{stem}.pdf", pdf
        elif channel.startswith("scan"):
            pool = formats300 if channel == "scan300" else formats200
            fmt = pool[len(cases) % len(pool)]
            if n_pages > 1 and fmt in ("png", "jpeg"):
                fmt = "tiff"
            content, fmt = _scan_file(pdf, rng, channel, fmt)
            name = f"{stem}_{channel}.{'jpg' if fmt == 'jpeg' else fmt}"
        else:
            name, content = f"{stem}.eml", b""
        part_channel = "ocr" if channel.startswith("scan") else "digital"
        if isinstance(spec, PurchaseOrder):
            truth = expected_order(spec, name, channel=part_channel)
        else:
            truth = remittance_contract(spec, name, channel=part_channel)
        if channel == "email":
            attach = f"{stem}.pdf"
            sender = f"buyer@{spec.customer_id.lower() if isinstance(spec, PurchaseOrder) else 'payer'}.example"
            mail = Mail(
                name,
                "Sender",
                sender,
                f"Document {stem}",
                "Mon, 16 Mar 2026 09:12:00 -0400",
                f"<{stem}.{seed}@bench.example>",
                "Hello,\n\nPlease see the attached document.\n\nRegards,\nPurchasing\n",
                ((attach, pdf),),
            )
            content = build_eml(mail)
            truth = {**truth, "source": f"{name}#{attach}", "part": attach, "sender": sender}
        cases.append(Case(name, content, channel, layout, n_pages, [truth]))
    cases += _body_cases(rng, seed)
    return cases


def _body_cases(rng: random.Random, seed: int) -> list[Case]:
    """Orders and remittances written in an email body (three of each)."""
    cases = []
    for k in range(3):
        po = _order_spec(rng, "classic", 1 + k)
        po = replace(
            po,
            lines=[replace(ln, description="", uom=None) for ln in po.lines[:4]],
            tax_rate=None,
            freight=None,
            currency="USD",
        )
        po.ship_to = po.ship_to[:1] + po.ship_to[2:]
        name = f"body_po_{k}.eml"
        sender = f"buyer{k}@customer.example"
        mail = Mail(
            name,
            po.contact,
            sender,
            f"PO {po.po_number}",
            "Mon, 16 Mar 2026 10:05:00 -0400",
            f"<body{k}.{seed}@bench.example>",
            _body_order(rng, po),
        )
        truth = order_contract(
            po,
            f"{name}#body",
            channel="email",
            part="body",
            sender=sender,
            order_date=date(2026, 3, 16),
            describe=False,
            uom=False,
        )
        cases.append(Case(name, build_eml(mail), "email", "email_body_po", 0, [truth]))
    for k in range(3):
        r = _remit_spec(rng, "remit_table")
        r = replace(
            r,
            payment_method="ACH",
            payment_reference=f"ACH-{r.payment_date:%Y%m%d}-{k:04d}",
            items=[RemitItem(i.invoice_number, None, None, None, i.amount_paid) for i in r.items],
        )
        name = f"body_remit_{k}.eml"
        sender = f"ap{k}@customer.example"
        mail = Mail(
            name,
            "Accounts Payable",
            sender,
            "Remittance advice",
            "Tue, 17 Mar 2026 14:30:00 -0400",
            f"<remit{k}.{seed}@bench.example>",
            _body_remittance(rng, r),
        )
        truth = remittance_contract(r, f"{name}#body", channel="email", part="body", sender=sender)
        cases.append(Case(name, build_eml(mail), "email", "email_body_remit", 0, [truth]))
    return cases
