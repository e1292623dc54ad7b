"""Customer and product resolution: exact keys first, fuzzy only with score and margin; descriptions suggest."""

from decimal import Decimal

from o2c.ledger.aliases import sync_customer_aliases
from o2c.ledger.models import Customer, CustomerPartNumber, Product
from o2c.matching.customers import legal_name, resolve_customer
from o2c.matching.policy import MatchingPolicy
from o2c.matching.products import resolve_product

POLICY = MatchingPolicy()


def resolve(session, name=None, hint=None, domain=None, address=None):
    return resolve_customer(
        session, customer_id_hint=hint, name=name, email_domain=domain, address=address, policy=POLICY
    )


def test_legal_name():
    assert legal_name("ACME Industrial Supply, Inc.") == legal_name("Acme Industrial Supply Incorporated")
    assert legal_name("Bolt & Nut GmbH") == "bolt and nut"


def test_exact_signals(seeded):
    assert resolve(seeded, hint="c-1002", name="Bolt and Nut").customer_id == "C-1002"
    assert resolve(seeded, hint="C-1002", address="Hauptstr. 5, Berlin").customer_id == "C-1002"
    assert resolve(seeded, name="ACME").customer_id == "C-1001"  # alias
    assert resolve(seeded, name="Acme Industrial Supply Incorporated").customer_id == "C-1001"
    assert resolve(seeded, name="Globex", domain="mail.globex.com").customer_id == "C-1003"
    conflict = resolve(seeded, name="Globex", domain="acme.com")
    assert conflict.customer_id is None and {c["customer_id"] for c in conflict.candidates} == {
        "C-1001",
        "C-1003",
    }


def test_fuzzy_needs_score_and_margin(seeded):
    match = resolve(seeded, name="Acme Industrial Suply")
    assert match.customer_id == "C-1001" and match.score >= 90
    extra = Customer(customer_id="C-2001", name="Acme Industrial Supplies Ltd", currency="USD")
    seeded.add(extra)
    seeded.flush()
    sync_customer_aliases(seeded, [extra])  # customers are found through their CustomerAlias keys
    close = resolve(seeded, name="Acme Industrial Suppl")
    assert close.customer_id is None and len(close.candidates) >= 2
    assert resolve(seeded, name="Totally Unknown Traders").customer_id is None


def test_products(seeded):
    assert resolve_product(seeded, customer_id="C-1001", sku="BRG-6204", description=None).rule == "sku.exact"
    assert resolve_product(seeded, customer_id="C-1001", sku="brg 6204", description=None).sku == "BRG-6204"
    seeded.add(CustomerPartNumber(customer_id="C-1001", part_number="ACME-778", sku="GRS-1KG"))
    seeded.flush()
    assert resolve_product(seeded, customer_id="C-1001", sku="ACME-778", description=None).sku == "GRS-1KG"
    assert resolve_product(seeded, customer_id="C-1002", sku="ACME-778", description=None).sku is None
    suggestion = resolve_product(seeded, customer_id="C-1001", sku=None, description="grease lithium 1kg")
    assert suggestion.sku is None and suggestion.candidates[0]["sku"] == "GRS-1KG"
    seeded.add(Product(sku="BRG6204", description="dup", unit_price=Decimal("1"), currency="USD"))
    seeded.flush()
    assert resolve_product(seeded, customer_id=None, sku="brg.6204", description=None).sku is None


def test_address_settles_two_close_names(seeded):
    extra = Customer(
        customer_id="C-2002", name="Acme Industrial Supplies Ltd", currency="USD", address="77 Harbour Road, Portsmouth"
    )
    seeded.add(extra)
    seeded.flush()
    sync_customer_aliases(seeded, [extra])
    assert resolve(seeded, name="Acme Industrial Suppl").customer_id is None
    match = resolve(seeded, name="Acme Industrial Suppl", address="1 Main St")
    assert match.customer_id == "C-1001" and "address" in match.reasons[-1]


def test_email_domain_and_subdomain_support_through_the_alias_table(seeded):
    match = resolve(seeded, name="Bolt & Nut GmbH", domain="eu.boltnut.de")
    assert match.customer_id == "C-1002" and any("email_domain" in r for r in match.reasons)
    # an unauthenticated From: domain never decides alone: the candidate is shown, nothing is resolved
    alone = resolve(seeded, name=None, domain="eu.boltnut.de")
    assert alone.customer_id is None and [c["customer_id"] for c in alone.candidates] == ["C-1002"]
    # a fuzzy name supported by the domain of the same customer resolves; by another customer's domain, not
    assert resolve(seeded, name="Acme Industrial Suply", domain="acme.com").customer_id == "C-1001"
    assert resolve(seeded, name="Acme Industrial Suply", domain="globex.com").customer_id is None


def test_printed_customer_id_needs_name_or_address_agreement(seeded):
    """Case 5: an OCR 3/8 swap turns C-1003 into C-1008 or the other way: the id alone never decides."""
    assert resolve(seeded, hint="C-1003").customer_id is None
    swapped = resolve(seeded, hint="C-1003", name="Acme Industrial Supply Inc.")  # Acme's document, id misread
    assert swapped.customer_id is None
    assert {c["customer_id"] for c in swapped.candidates} == {"C-1001", "C-1003"}
    assert resolve(seeded, hint="C-1003", name="Globex Corp").customer_id == "C-1003"


def test_a_domain_two_customers_share_supports_one_of_them_and_contradicts_the_rest(seeded):
    """One group's companies write from one domain: the domain key is retired as ambiguous, yet it still says
    the sender is one of them. A name that resolves among them posts; a name outside them is a conflict."""
    group = [
        Customer(
            customer_id="C-3001", name="Delta Motors Corp.", email_domains=["delta-motors.example"], currency="USD"
        ),
        Customer(
            customer_id="C-3002", name="Delta Motors S.r.l.", email_domains=["delta-motors.example"], currency="EUR"
        ),
    ]
    seeded.add_all(group)
    seeded.flush()
    sync_customer_aliases(seeded, group)
    match = resolve(seeded, name="Delta Motors S.r.l.", domain="delta-motors.example")
    assert match.customer_id == "C-3002" and any("shared by 2" in r for r in match.reasons)
    assert resolve(seeded, name="Delta Motors Corp.", domain="eu.delta-motors.example").customer_id == "C-3001"
    outside = resolve(seeded, name="Acme Industrial Supply", domain="delta-motors.example")
    assert outside.customer_id is None and {"C-1001", "C-3001", "C-3002"} <= {
        c["customer_id"] for c in outside.candidates
    }
    assert resolve(seeded, name=None, domain="delta-motors.example").customer_id is None
    fuzzy_outside = resolve(seeded, name="Acme Industrial Suply", domain="delta-motors.example")
    assert fuzzy_outside.customer_id is None
