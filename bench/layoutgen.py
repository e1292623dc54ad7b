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

import io
import json
import random
import re
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal
from email.message import EmailMessage
from email.policy import default as DEFAULT_POLICY
from html import escape
from pathlib import Path

from reportlab.lib.pagesizes import A4, LETTER
from reportlab.pdfbase.pdfmetrics import stringWidth
from reportlab.pdfgen.canvas import Canvas

D = Decimal
CENT = D("0.01")
SPLIT_FILE = Path(__file__).with_name("families.json")
CHANNELS = ("digital_pdf", "emailed_pdf", "scan", "emailed_scan", "html_body", "text_body", "csv")
SUPPLIER = ("Northwind Industrial Supply", "400 Harbor Blvd", "Tacoma, WA 98421")

# label wordings per language (the generator's own vocabulary)
WORDS = {
    "en": {
        "title": ["PURCHASE ORDER", "Purchase Order", "PURCHASE ORDER FORM"],
        "po": ["PO Number", "P.O. No.", "Order No.", "PO #", "Purchase Order No.", "Order Ref"],
        "date": ["Date", "Order Date", "PO Date", "Issue Date"],
        "delivery": ["Delivery Date", "Required By", "Need By", "Requested Delivery"],
        "terms": ["Payment Terms", "Terms"],
        "ship": ["Ship To", "Deliver To", "Delivery Address"],
        "bill": ["Bill To", "Invoice To"],
        "vendor": ["Vendor", "Supplier", "To"],
        "line": ["Line", "#", "Ln", "Pos."],
        "sku": ["Item No.", "SKU", "Part No.", "Item Code", "Product Code", "Our Item", "Catalog #", "Item"],
        "cpn": ["Cust. Part", "Your Ref", "Buyer Part No.", "Customer Item"],
        "desc": ["Description", "Item Description", "Details"],
        "qty": ["Qty", "Quantity", "Order Qty", "Qty Ord."],
        "uom": ["UOM", "Unit", "U/M"],
        "price": ["Unit Price", "Price", "Unit Cost", "Price Each", "Rate"],
        "tax": ["Tax %", "VAT %", "Tax Rate"],
        "amount": ["Amount", "Line Total", "Extended", "Ext. Price", "Total"],
        "subtotal": ["Subtotal", "Net Total", "Sub Total"],
        "taxsum": ["Tax", "Sales Tax", "VAT"],
        "total": ["Total", "Order Total", "Grand Total", "Total Due"],
        "signed": ["Authorized by", "Approved", "Signature"],
        "rtitle": ["REMITTANCE ADVICE", "Payment Advice", "Remittance Advice"],
        "payer": ["Payer", "Paid By", "From"],
        "paydate": ["Payment Date", "Date Paid", "Pay Date", "Value Date"],
        "payref": ["Payment Reference", "Check No.", "Reference", "Check/EFT #", "Trace No."],
        "method": ["Payment Method", "Method"],
        "payamount": ["Payment Amount", "Amount Paid", "Total Paid"],
        "inv": ["Invoice No.", "Invoice #", "Invoice", "Your Invoice", "Document No."],
        "invdate": ["Invoice Date", "Inv. Date", "Date"],
        "gross": ["Gross", "Invoice Amount", "Original Amount"],
        "disc": ["Discount", "Deduction", "Disc. Taken"],
        "net": ["Net Paid", "Amount Paid", "Paid", "Net"],
    },
    "de": {
        "title": ["BESTELLUNG", "Bestellung"],
        "po": ["Bestellnummer", "Bestell-Nr."],
        "date": ["Datum", "Bestelldatum"],
        "delivery": ["Liefertermin", "Lieferdatum"],
        "terms": ["Zahlungsbedingungen"],
        "ship": ["Lieferanschrift"],
        "bill": ["Rechnungsanschrift"],
        "vendor": ["Lieferant"],
        "line": ["Pos.", "Pos"],
        "sku": ["Artikelnummer", "Art.-Nr."],
        "cpn": ["Ihre Art.-Nr.", "Kunden-Art."],
        "desc": ["Bezeichnung"],
        "qty": ["Menge"],
        "uom": ["Einheit", "ME"],
        "price": ["Einzelpreis", "Preis"],
        "tax": ["MwSt %"],
        "amount": ["Gesamtpreis", "Betrag"],
        "subtotal": ["Zwischensumme", "Summe netto"],
        "taxsum": ["MwSt"],
        "total": ["Gesamtbetrag", "Gesamtsumme"],
        "signed": ["Freigabe", "Unterschrift"],
        "rtitle": ["ZAHLUNGSAVIS", "Zahlungsavis"],
        "payer": ["Zahler"],
        "paydate": ["Zahlungsdatum", "Valuta"],
        "payref": ["Zahlungsreferenz", "Referenz"],
        "method": ["Zahlungsart"],
        "payamount": ["Zahlbetrag"],
        "inv": ["Rechnungsnummer", "Rechnung"],
        "invdate": ["Rechnungsdatum"],
        "gross": ["Rechnungsbetrag", "Brutto"],
        "disc": ["Skonto", "Abzug"],
        "net": ["Zahlbetrag", "Bezahlt"],
    },
    "fr": {
        "title": ["BON DE COMMANDE", "Bon de commande"],
        "po": ["N° de commande", "Commande N°"],
        "date": ["Date", "Date de commande"],
        "delivery": ["Date de livraison", "Livraison souhaitée"],
        "terms": ["Conditions de paiement"],
        "ship": ["Adresse de livraison", "Livrer à"],
        "bill": ["Adresse de facturation"],
        "vendor": ["Fournisseur"],
        "line": ["Ligne", "N°"],
        "sku": ["Référence", "Code article"],
        "cpn": ["Réf. client"],
        "desc": ["Désignation", "Description"],
        "qty": ["Quantité", "Qté"],
        "uom": ["Unité"],
        "price": ["Prix unitaire", "P.U."],
        "tax": ["TVA %"],
        "amount": ["Montant", "Montant HT"],
        "subtotal": ["Total HT", "Sous-total"],
        "taxsum": ["TVA"],
        "total": ["Total TTC", "Montant total"],
        "signed": ["Visa", "Signature"],
        "rtitle": ["AVIS DE PAIEMENT", "Avis de paiement"],
        "payer": ["Payeur"],
        "paydate": ["Date de paiement"],
        "payref": ["Référence de paiement", "Référence"],
        "method": ["Mode de paiement"],
        "payamount": ["Montant payé"],
        "inv": ["N° facture", "Facture"],
        "invdate": ["Date facture"],
        "gross": ["Montant facture"],
        "disc": ["Escompte"],
        "net": ["Montant payé", "Payé"],
    },
    "nl": {
        "title": ["INKOOPORDER", "Bestelling"],
        "po": ["Bestelnummer", "Ordernummer"],
        "date": ["Datum", "Orderdatum"],
        "delivery": ["Leverdatum", "Gewenste leverdatum"],
        "terms": ["Betalingsvoorwaarden"],
        "ship": ["Afleveradres", "Leveradres"],
        "bill": ["Factuuradres"],
        "vendor": ["Leverancier"],
        "line": ["Regel", "Nr."],
        "sku": ["Artikelnummer", "Artikelcode"],
        "cpn": ["Uw art.nr."],
        "desc": ["Omschrijving"],
        "qty": ["Aantal"],
        "uom": ["Eenheid"],
        "price": ["Prijs", "Stukprijs"],
        "tax": ["BTW %"],
        "amount": ["Bedrag", "Totaal"],
        "subtotal": ["Subtotaal"],
        "taxsum": ["BTW"],
        "total": ["Totaal", "Totaalbedrag"],
        "signed": ["Akkoord"],
        "rtitle": ["BETALINGSADVIES", "Betaaladvies"],
        "payer": ["Betaler"],
        "paydate": ["Betaaldatum"],
        "payref": ["Betalingskenmerk", "Kenmerk"],
        "method": ["Betaalwijze"],
        "payamount": ["Betaald bedrag"],
        "inv": ["Factuurnummer", "Factuur"],
        "invdate": ["Factuurdatum"],
        "gross": ["Factuurbedrag"],
        "disc": ["Korting"],
        "net": ["Betaald"],
    },
    "es": {
        "title": ["PEDIDO", "ORDEN DE COMPRA"],
        "po": ["N.º de pedido", "Número de pedido"],
        "date": ["Fecha", "Fecha de pedido"],
        "delivery": ["Fecha de entrega"],
        "terms": ["Condiciones de pago"],
        "ship": ["Dirección de entrega", "Enviar a"],
        "bill": ["Dirección de facturación"],
        "vendor": ["Proveedor"],
        "line": ["Línea", "N.º"],
        "sku": ["Referencia", "Código"],
        "cpn": ["Ref. cliente"],
        "desc": ["Descripción"],
        "qty": ["Cantidad", "Cant."],
        "uom": ["Unidad"],
        "price": ["Precio unitario", "Precio"],
        "tax": ["IVA %"],
        "amount": ["Importe"],
        "subtotal": ["Subtotal", "Base imponible"],
        "taxsum": ["IVA"],
        "total": ["Total", "Importe total"],
        "signed": ["Firma"],
        "rtitle": ["AVISO DE PAGO", "Aviso de pago"],
        "payer": ["Pagador"],
        "paydate": ["Fecha de pago"],
        "payref": ["Referencia de pago"],
        "method": ["Método de pago"],
        "payamount": ["Importe pagado"],
        "inv": ["N.º factura", "Factura"],
        "invdate": ["Fecha factura"],
        "gross": ["Importe factura"],
        "disc": ["Descuento"],
        "net": ["Pagado", "Importe pagado"],
    },
    "it": {
        "title": ["ORDINE D'ACQUISTO", "Ordine"],
        "po": ["N. ordine", "Numero ordine"],
        "date": ["Data", "Data ordine"],
        "delivery": ["Data di consegna", "Consegna richiesta"],
        "terms": ["Condizioni di pagamento"],
        "ship": ["Indirizzo di consegna", "Destinazione"],
        "bill": ["Indirizzo di fatturazione"],
        "vendor": ["Fornitore"],
        "line": ["Riga", "N."],
        "sku": ["Codice", "Codice articolo"],
        "cpn": ["Cod. cliente"],
        "desc": ["Descrizione"],
        "qty": ["Quantità", "Q.tà"],
        "uom": ["UdM", "Unità"],
        "price": ["Prezzo unitario", "Prezzo"],
        "tax": ["IVA %"],
        "amount": ["Importo", "Totale riga"],
        "subtotal": ["Imponibile", "Subtotale"],
        "taxsum": ["IVA"],
        "total": ["Totale", "Totale ordine"],
        "signed": ["Firma"],
        "rtitle": ["AVVISO DI PAGAMENTO", "Avviso di pagamento"],
        "payer": ["Pagatore"],
        "paydate": ["Data pagamento"],
        "payref": ["Riferimento pagamento"],
        "method": ["Metodo di pagamento"],
        "payamount": ["Importo pagato"],
        "inv": ["N. fattura", "Fattura"],
        "invdate": ["Data fattura"],
        "gross": ["Importo fattura"],
        "disc": ["Sconto"],
        "net": ["Pagato", "Importo pagato"],
    },
}
METHODS = {
    "en": ["ACH", "Wire", "Check", "EFT"],
    "de": ["Überweisung", "SEPA"],
    "fr": ["Virement", "SEPA"],
    "nl": ["SEPA", "Overboeking"],
    "es": ["Transferencia", "SEPA"],
    "it": ["Bonifico", "SEPA"],
}
LEGAL = {
    "en": ["Inc.", "LLC", "Corp.", "Ltd."],
    "de": ["GmbH", "AG"],
    "fr": ["SARL", "SA"],
    "nl": ["B.V.", "N.V."],
    "es": ["S.L.", "S.A."],
    "it": ["S.r.l.", "S.p.A."],
}
CITIES = {
    "en": ["Dayton, OH 45402", "Reno, NV 89501", "Leeds LS1 4AP", "Austin, TX 78701"],
    "de": ["80331 München", "50667 Köln", "20095 Hamburg"],
    "fr": ["69003 Lyon", "75011 Paris"],
    "nl": ["3511 AB Utrecht", "1012 JS Amsterdam"],
    "es": ["28013 Madrid", "08002 Barcelona"],
    "it": ["20121 Milano", "10121 Torino"],
}
STREETS = [
    "Industrial Pkwy",
    "Harbor Rd",
    "Main Street",
    "Hauptstraße",
    "Rue de la Paix",
    "Kanaalweg",
    "Calle Mayor",
    "Via Roma",
    "Mill Lane",
    "Station Road",
]
NAME_WORDS = [
    "Keller",
    "Vantage",
    "Orion",
    "Delta",
    "Brightwater",
    "Meridian",
    "Halvorsen",
    "Castell",
    "Verdi",
    "Lumen",
    "Boreal",
    "Summit",
    "Kestrel",
    "Aurora",
    "Granite",
    "Tessaro",
    "Nordic",
    "Pioneer",
    "Falcon",
    "Corvid",
    "Marlow",
    "Zenith",
    "Arden",
    "Solano",
]
TRADES = [
    "Dental Labs",
    "Machining",
    "Hydraulics",
    "Packaging",
    "Motors",
    "Fabrication",
    "Instruments",
    "Tooling",
    "Plastics",
    "Robotics",
    "Foods",
    "Logistics",
]
NOUNS = [
    "bearing",
    "V-belt",
    "coupling",
    "bushing",
    "gasket",
    "valve",
    "sensor",
    "bracket",
    "spring clip",
    "seal kit",
    "hose",
    "motor",
    "filter",
    "pulley",
    "shaft",
    "relay",
    "fuse",
    "clamp",
    "nozzle",
    "washer",
]
ADJ = ["Ball", "Heavy-duty", "Micro", "Stainless", "Nylon", "Brass", "Hex", "Flanged", "Sealed", "Compact"]


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
