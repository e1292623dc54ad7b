"""A procedural layout generator for purchase orders and remittance advices, separate from tests/fixtures.

A *family* is one sender's template: a fixed draw of many independent choices (label language and wording,
colons, labels left of or above their values, where the header block sits, which columns and in what order,
a line-number column, the customer's part number beside our SKU, '10 EA' in one cell, wrapped descriptions,
a tax-rate column, number and date formats, currency symbol before or after, font and size, rules or
whitespace, letterhead or a 'Bill To' block, HTML e-mail style, quoted replies and forwards, CSV headers).
Documents of a family differ only in their content. Families are split once into tuned and held-out
(bench/families.json): nothing may be tuned or calibrated on a held-out family.

The vocabulary here is the generator's own, written apart from extraction/lexicon.json, and it includes
wordings the reader's lexicon does not have: that is what column roles read from cell content are for.
"""

from __future__ import annotations

import json
import random
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path

from bench.layoutgen_words import ADJ, CITIES, LEGAL, METHODS, NAME_WORDS, NOUNS, STREETS, TRADES, WORDS

D = Decimal
CENT = D("0.01")
SPLIT_FILE = Path(__file__).with_name("families.json")
CHANNELS = ("digital_pdf", "emailed_pdf", "scan", "emailed_scan", "html_body", "text_body", "csv")
SUPPLIER = ("Northwind Industrial Supply", "400 Harbor Blvd", "Tacoma, WA 98421")


@dataclass(frozen=True)
class Product:
    """One catalogue item: our SKU, description, unit of measure and list price."""

    sku: str
    description: str
    uom: str
    price: Decimal


@dataclass(frozen=True)
class Customer:
    """A customer: id, printed name, address lines, currency, terms, its part-number style."""

    customer_id: str
    name: str
    address: tuple[str, ...]
    currency: str
    terms: str
    lang: str
    domain: str


@dataclass
class MasterData:
    """What the benchmark's 'ERP' knows: the catalogue, customers and their part numbers."""

    products: list[Product]
    customers: list[Customer]
    part_numbers: dict[tuple[str, str], str] = field(default_factory=dict)  # (customer, sku) -> their part no.


def _sku(rng: random.Random, style: int) -> str:
    letters = "".join(rng.choice("ABCDEFGHJKLMNPRSTUVWXZ") for _ in range(rng.randint(2, 3)))
    n = rng.randrange(10**4, 10**5)
    return [
        f"{letters}-{n}",
        f"{rng.randrange(10**5):06d}",
        f"{letters[:2]}{rng.randint(1, 9)}-{n % 10000:04d}",
        f"{letters}{n}",
        f"{n // 10}-{letters[:1]}{rng.randint(10, 99)}",
        f"{letters}-{n % 1000:03d}-{rng.choice('ABC')}",
    ][style % 6]


def master_data(seed: int = 7) -> MasterData:
    """A catalogue of 160 products in six SKU styles and 40 customers in six languages."""
    rng = random.Random(seed)
    products, seen = [], set()
    while len(products) < 160:
        sku = _sku(rng, len(products))
        if sku in seen:
            continue
        seen.add(sku)
        size = rng.choice(["", str(rng.randint(6, 80)) + "mm ", "M8 ", "12V "])
        desc = f"{rng.choice(ADJ)} {rng.choice(NOUNS)} {size}"
        products.append(
            Product(
                sku,
                " ".join(desc.split()),
                rng.choice(["EA", "EA", "PC", "BX", "SET", "M"]),
                D(rng.randint(20, 250000)) / 100,
            )
        )
    customers = []
    langs = ["en", "en", "de", "fr", "nl", "es", "it"]
    names = set()
    while len(customers) < 40:
        lang = langs[len(customers) % len(langs)]
        name = f"{rng.choice(NAME_WORDS)} {rng.choice(TRADES)} {rng.choice(LEGAL[lang])}"
        if name in names:
            continue
        names.add(name)
        cid = f"C-{2000 + len(customers)}"
        address = (f"{rng.randint(1, 999)} {rng.choice(STREETS)}", rng.choice(CITIES[lang]))
        currency = "USD" if lang == "en" and rng.random() < 0.8 else ("GBP" if lang == "en" else "EUR")
        domain = name.split()[0].lower() + "-" + name.split()[1].lower() + ".example"
        customers.append(
            Customer(
                cid, name, address, currency, rng.choice(["Net 30", "2/10 Net 30", "Net 45", "Net 60"]), lang, domain
            )
        )
    md = MasterData(products, customers)
    for c in customers:
        for p in products:
            md.part_numbers[(c.customer_id, p.sku)] = f"{c.customer_id[2:]}-{rng.randrange(10**5):05d}"
    return md


# ------------------------------------------------------------------------------------------------ families


@dataclass(frozen=True)
class Family:
    """One template: every layout choice, fixed; documents of a family differ in content only."""

    id: str
    kind: str  # "po" or "remit"
    lang: str
    words: dict  # role -> the wording this template prints
    colon: bool
    label_above: bool
    header_right: bool
    buyer_block: str  # "letterhead" | "billto"
    columns: tuple[str, ...]
    qty_with_uom: bool
    qty_decimals: int
    wrap: bool
    number_style: str  # "us" | "eu" | "plain" | "space"
    currency_mark: str  # "before" | "after" | "code" | "none"
    date_style: str
    font: str
    size: float
    rules: bool
    upper_headers: bool
    page: str
    subtotal: bool
    tax: bool
    html_style: str  # "outlook" | "gmail"
    wrapper: str  # "none" | "reply" | "forward"
    sign_initials: bool
    line_step: int  # 1 (1, 2, 3) or 10 (10, 20, 30)


def _pick(rng: random.Random, options):
    return options[rng.randrange(len(options))]


def make_family(index: int, kind: str, *, draw: random.Random | None = None, prefix: str = "") -> Family:
    """The template drawn for family index (deterministic); draw= replaces the per-index random source."""
    rng = draw if draw is not None else random.Random(f"{kind}-{index}")
    lang = _pick(rng, ["en", "en", "en", "de", "fr", "nl", "es", "it"])
    vocab = WORDS[lang]
    words = {role: _pick(rng, options) for role, options in vocab.items()}
    if kind == "po":
        core = ["sku", "desc", "qty", "price", "amount"]
        if rng.random() < 0.5:
            core.insert(core.index("qty") + rng.choice((0, 1)), "uom")
        if rng.random() < 0.25:
            core.insert(rng.choice((0, 1)), "cpn")
        if rng.random() < 0.2:
            core.insert(core.index("amount"), "tax")
        if rng.random() < 0.25:  # description first, then the code
            core.remove("desc")
            core.insert(0, "desc")
        if rng.random() < 0.5:
            core.insert(0, "line")
        columns = tuple(core)
    else:
        cols = ["inv", "invdate", "gross", "disc", "net"]
        if rng.random() < 0.3:
            cols.remove("invdate")
        if rng.random() < 0.3:
            cols.remove("gross")
            cols.remove("disc")
        if rng.random() < 0.3:
            cols.insert(0, "line")
        columns = tuple(cols)
    number_style = _pick(rng, ["us", "us", "plain"] if lang == "en" else ["eu", "eu", "space", "us"])
    return Family(
        id=f"{prefix}{kind}-{index:02d}",
        kind=kind,
        lang=lang,
        words=words,
        colon=rng.random() < 0.7,
        label_above=rng.random() < 0.3,
        header_right=rng.random() < 0.6,
        buyer_block=_pick(rng, ["letterhead", "letterhead", "billto"]),
        columns=columns,
        qty_with_uom="uom" not in columns and rng.random() < 0.3,
        qty_decimals=_pick(rng, [0, 0, 0, 2]),
        wrap=rng.random() < 0.3,
        number_style=number_style,
        currency_mark=_pick(rng, ["before", "after", "code", "none", "none"]),
        date_style=_pick(
            rng, ["iso", "us", "dmy_dot", "long", "dmy_slash"] if lang == "en" else ["dmy_dot", "iso", "dmy_slash"]
        ),
        font=_pick(rng, ["Helvetica", "Times-Roman", "Courier", "Helvetica"]),
        size=_pick(rng, [8.5, 9, 10, 10.5]),
        rules=rng.random() < 0.5,
        upper_headers=rng.random() < 0.3,
        page=_pick(rng, ["letter", "a4"]),
        subtotal=rng.random() < 0.6,
        tax=rng.random() < 0.4,
        html_style=_pick(rng, ["outlook", "gmail"]),
        wrapper=_pick(rng, ["none", "none", "reply", "forward"]),
        sign_initials=rng.random() < 0.5,
        line_step=_pick(rng, [1, 1, 10]),
    )


def families(n_po: int = 16, n_remit: int = 10) -> list[Family]:
    """Every family of the benchmark."""
    return [make_family(i, "po") for i in range(n_po)] + [make_family(i, "remit") for i in range(n_remit)]


FRESH_SEED = 20261203  # the never-seen families' seed: fixed once, never chosen by looking at results


def _spec(fam: Family) -> tuple:
    """Every layout choice of a family, its id left out (two families with equal specs are one template)."""
    return tuple((k, json.dumps(v, sort_keys=True)) for k, v in vars(fam).items() if k != "id")


def fresh_families(n: int, seed: int = FRESH_SEED) -> list[Family]:
    """n never-seen families: the kind and every independent choice drawn at random from seed.

    They come from the same generator (vocabulary, formats, layouts) but not from the hand-numbered family
    list, so no rule can have been written while looking at them. Ids are 'fresh-po-00', 'fresh-remit-01', ...
    (numbered in draw order). A draw whose choices equal a listed family or an earlier fresh one is redrawn.
    Deterministic for a given (n, seed); the first k of n are the families drawn for n = k.
    """
    rng = random.Random(f"fresh-{seed}")
    seen = {_spec(f) for f in families()}
    out: list[Family] = []
    while len(out) < n:
        kind = "po" if rng.random() < 16 / 26 else "remit"  # the listed families' mix
        fam = make_family(len(out), kind, draw=random.Random(rng.getrandbits(64)), prefix="fresh-")
        if _spec(fam) in seen:
            continue
        seen.add(_spec(fam))
        out.append(fam)
    return out


def read_split(path: Path = SPLIT_FILE) -> dict[str, list[str]]:
    """The frozen split: {'tuned': [...], 'held_out': [...]} family ids."""
    return json.loads(path.read_text())


def write_split(path: Path = SPLIT_FILE, *, seed: int = 20260312) -> None:
    """Split the families once, a third held out (run once; the file is committed and never redrawn)."""
    rng = random.Random(seed)
    split: dict[str, list[str]] = {"tuned": [], "held_out": []}
    for kind in ("po", "remit"):
        ids = [f.id for f in families() if f.kind == kind]
        held = set(rng.sample(ids, len(ids) // 3))
        for fid in ids:
            split["held_out" if fid in held else "tuned"].append(fid)
    path.write_text(json.dumps(split, indent=1) + "\n")


# ------------------------------------------------------------------------------------------------ formats


def fmt_number(value: Decimal, style: str, decimals: int = 2) -> str:
    """1234.5 as '1,234.50' (us), '1.234,50' (eu), '1234.50' (plain) or '1 234,50' (space)."""
    q = value.quantize(D(1).scaleb(-decimals), rounding=ROUND_HALF_UP) if decimals else value.quantize(D(1))
    sign = "-" if q < 0 else ""
    whole, _, frac = f"{abs(q):f}".partition(".")
    groups = []
    while len(whole) > 3:
        groups.insert(0, whole[-3:])
        whole = whole[:-3]
    groups.insert(0, whole)
    sep, dec = {"us": (",", "."), "eu": (".", ","), "plain": ("", "."), "space": (" ", ",")}[style]
    if style == "space" and len(groups) > 1:
        sep = "."  # a space inside a number would split it into two words: print it as eu
    text = sep.join(groups)
    return sign + (text + dec + frac if frac else text)


def fmt_money(value: Decimal, fam: Family, currency: str, *, mark: bool = False) -> str:
    """A money amount in the family's style, with its currency mark where the family prints one."""
    text = fmt_number(value, fam.number_style)
    if not mark:
        return text
    symbol = {"USD": "$", "EUR": "€", "GBP": "£"}.get(currency, currency)
    return {"before": f"{symbol}{text}", "after": f"{text} {symbol}", "code": f"{text} {currency}", "none": text}[
        fam.currency_mark
    ]


MONTHS = [
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
]


def fmt_date(d: date, style: str) -> str:
    """A date in one of the family's styles."""
    return {
        "iso": d.isoformat(),
        "us": f"{d.month:02d}/{d.day:02d}/{d.year}",
        "dmy_dot": f"{d.day:02d}.{d.month:02d}.{d.year}",
        "dmy_slash": f"{d.day:02d}/{d.month:02d}/{d.year}",
        "long": f"{MONTHS[d.month - 1]} {d.day}, {d.year}",
    }[style]


# ------------------------------------------------------------------------------------------------ documents


@dataclass
class Doc:
    """One generated document: its family, content and the contract the reader should return."""

    family: Family
    truth: dict  # {"document_type", "order" | "remittance"}
    header: list[tuple[str, str]]  # (label role, printed value)
    rows: list[dict[str, str]]  # column role -> printed cell
    totals: list[tuple[str, str]]
    buyer: Customer
    currency: str


def make_order(fam: Family, md: MasterData, rng: random.Random) -> Doc:
    """A purchase order of this family with random content."""
    langs = [c for c in md.customers if c.lang == fam.lang] or md.customers
    cust = rng.choice(langs)
    products = rng.sample(md.products, rng.randint(1, 7))
    order_date = date(2026, 1, 5) + timedelta(days=rng.randrange(300))
    delivery = order_date + timedelta(days=rng.randrange(5, 40))
    po_number = _pick(
        rng,
        [
            f"{rng.randrange(10**7, 10**8)}",
            f"PO-{rng.randrange(10**5):05d}",
            f"{cust.customer_id[2:]}-{rng.randrange(10**4):04d}",
            f"45{rng.randrange(10**8):08d}",
        ],
    )
    rows, lines = [], []
    for k, p in enumerate(products):
        qty = D(rng.choice([1, 2, 3, 4, 5, 6, 8, 10, 12, 15, 20, 24, 25, 30, 40, 50, 60, 100, 120, 200, 250, 500]))
        price = p.price
        amount = (qty * price).quantize(CENT, rounding=ROUND_HALF_UP)
        desc = p.description
        cell = {
            "line": str((k + 1) * fam.line_step),
            "sku": p.sku,
            "desc": desc,
            "cpn": md.part_numbers.get((cust.customer_id, p.sku), f"{cust.customer_id[2:]}-{k:05d}"),
            "qty": fmt_number(qty, fam.number_style, fam.qty_decimals),
            "uom": p.uom,
            "price": fmt_money(price, fam, cust.currency),
            "tax": "19%" if fam.lang != "en" else "0%",
            "amount": fmt_money(amount, fam, cust.currency),
        }
        if fam.qty_with_uom:
            cell["qty"] = f"{cell['qty']} {p.uom}"
        rows.append(cell)
        has_uom = "uom" in fam.columns or fam.qty_with_uom
        lines.append(
            {
                "sku": p.sku,
                "description": desc,
                "quantity": str(qty),
                "uom": p.uom if has_uom else None,
                "unit_price": str(price),
                "amount": str(amount),
            }
        )
    subtotal = sum((D(ln["amount"]) for ln in lines), D(0))
    tax = (subtotal * D("0.19" if fam.lang != "en" else "0.0725")).quantize(CENT) if fam.tax else D(0)
    total = subtotal + tax
    header = [
        ("po", po_number),
        ("date", fmt_date(order_date, fam.date_style)),
        ("delivery", fmt_date(delivery, fam.date_style)),
        ("terms", cust.terms),
    ]
    totals = [("subtotal", fmt_money(subtotal, fam, cust.currency, mark=True))] if fam.subtotal or fam.tax else []
    if fam.tax:
        totals.append(("taxsum", fmt_money(tax, fam, cust.currency, mark=True)))
    totals.append(("total", fmt_money(total, fam, cust.currency, mark=True)))
    truth = {
        "document_type": "purchase_order",
        "order": {
            "po_number": po_number,
            "order_date": order_date.isoformat(),
            "buyer_name": cust.name,
            "currency": cust.currency if fam.currency_mark != "none" else None,
            "requested_delivery_date": delivery.isoformat(),
            "payment_terms": cust.terms,
            "total": str(total),
            "subtotal": str(subtotal) if fam.subtotal or fam.tax else None,
            "tax": str(tax) if fam.tax else None,
            "ship_to": "\n".join((cust.name, *cust.address)),
            "bill_to": "\n".join((cust.name, *cust.address)) if fam.buyer_block == "billto" else None,
            "lines": lines,
        },
        "remittance": None,
    }
    return Doc(fam, truth, header, rows, totals, cust, cust.currency)


def make_remittance(fam: Family, md: MasterData, rng: random.Random) -> Doc:
    """A remittance advice of this family with random content."""
    cust = rng.choice([c for c in md.customers if c.lang == fam.lang] or md.customers)
    pay_date = date(2026, 1, 5) + timedelta(days=rng.randrange(300))
    n = rng.randint(1, 6)
    rows, items = [], []
    has_gross = "gross" in fam.columns
    for k in range(n):
        number = _pick(
            rng,
            [
                f"INV-{rng.randrange(10**5):05d}",
                f"90{rng.randrange(10**6):06d}",
                f"2026-{rng.randrange(10**5):05d}",
                f"RE{rng.randrange(10**6):06d}",
            ],
        )
        gross = D(rng.randint(5000, 2500000)) / 100
        disc = (gross * D("0.02")).quantize(CENT) if has_gross and rng.random() < 0.3 else D(0)
        net = gross - disc
        inv_date = pay_date - timedelta(days=rng.randrange(5, 60))
        rows.append(
            {
                "line": str(k + 1),
                "inv": number,
                "invdate": fmt_date(inv_date, fam.date_style),
                "gross": fmt_money(gross, fam, cust.currency),
                "disc": fmt_money(disc, fam, cust.currency),
                "net": fmt_money(net, fam, cust.currency),
            }
        )
        items.append(
            {
                "invoice_number": number,
                "amount_paid": str(net),
                "discount": str(disc) if has_gross else None,
                "invoice_amount": str(gross) if has_gross else None,
                "po_number": None,
            }
        )
    amount = sum((D(i["amount_paid"]) for i in items), D(0))
    method = rng.choice(METHODS[fam.lang])
    ref = _pick(
        rng,
        [
            f"{rng.randrange(10**6, 10**7)}",
            f"PAY-{pay_date:%Y%m%d}-{rng.randrange(10**4):04d}",
            f"EFT{rng.randrange(10**8):08d}",
            f"CHK-{rng.randrange(10**5):05d}",
        ],
    )
    header = [
        ("paydate", fmt_date(pay_date, fam.date_style)),
        ("payref", ref),
        ("method", method),
        ("payamount", fmt_money(amount, fam, cust.currency, mark=True)),
    ]
    totals = [("total", fmt_money(amount, fam, cust.currency, mark=True))]
    truth = {
        "document_type": "remittance_advice",
        "order": None,
        "remittance": {
            "payer_name": cust.name,
            "payment_date": pay_date.isoformat(),
            "payment_reference": ref,
            "payment_method": method,
            "currency": cust.currency if fam.currency_mark != "none" else None,
            "amount": str(amount),
            "items": items,
        },
    }
    return Doc(fam, truth, header, rows, totals, cust, cust.currency)


def make_doc(fam: Family, md: MasterData, rng: random.Random) -> Doc:
    """A document of the family's kind."""
    return make_order(fam, md, rng) if fam.kind == "po" else make_remittance(fam, md, rng)
