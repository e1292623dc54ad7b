"""Customer resolution: who sent this document? Indexed keys first (CustomerAlias), then fuzzy with a margin."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

from rapidfuzz import fuzz
from sqlalchemy import Row, bindparam, func, select
from sqlalchemy.orm import Session

from o2c.core.db import membership
from o2c.core.errors import NotFound
from o2c.ledger.models import Customer, CustomerAlias
from o2c.ledger.names import alias_key, domain_key, legal_name, simple_name
from o2c.matching.policy import MatchingPolicy

# built once (every order and advice asks); values come in as parameters
_CUSTOMER = select(Customer).where(Customer.customer_id == bindparam("customer_id"))
_ALIASES = select(CustomerAlias).where(CustomerAlias.alias_key.in_(bindparam("keys", expanding=True)))
_AGREEMENT = 85  # fuzzy score at which a name or an address read agrees with master data

__all__ = ["CustomerMatch", "CustomerLookup", "customer_keys", "resolve_customer", "legal_name", "simple_name"]


class CustomerLookup:
    """Where customer resolution reads master data. Without prefetch every look-up is one indexed query (one
    document at a time); `prefetch` loads the customers and alias keys a whole batch needs in a few IN queries,
    and the look-ups then answer from memory (a key not prefetched still falls back to its query), so a batch
    resolves exactly as the same documents would one by one."""

    def __init__(self, session: Session) -> None:
        self.session = session
        self._customers: dict[str, Customer | Row | None] = {}  # an ORM object or a prefetched row
        self._aliases: dict[str, CustomerAlias | Row | None] = {}
        self._fuzzy_rows: list[tuple[str, str]] | None = None
        self._domain_owners: dict[str, set[str]] | None = None

    def prefetch(self, hints: set[str], keys: set[str]) -> None:
        """Load the customers named by `hints` (ids) and the alias rows of `keys` in chunked IN queries."""
        hints = {h for h in hints if h} - set(self._customers)
        keys = {k for k in keys if k} - set(self._aliases)
        aliases = CustomerAlias.__table__.c
        self._aliases.update(dict.fromkeys(keys))
        for clause in membership(self.session, aliases.alias_key, keys):
            for row in self.session.execute(select(*aliases).where(clause)):
                self._aliases[row.alias_key] = row
        self.prefetch_customers(hints | {a.customer_id for a in self._aliases.values() if a is not None})

    def prefetch_customers(self, ids: set[str]) -> None:
        """Load these customers' master records in chunked IN queries (Core rows: the attributes are the
        columns, read as from the ORM objects, without building thousands of them)."""
        customers = Customer.__table__.c
        ids = set(ids) - set(self._customers)
        self._customers.update(dict.fromkeys(ids))
        for clause in membership(self.session, customers.customer_id, ids):
            for row in self.session.execute(select(*customers).where(clause)):
                self._customers[row.customer_id] = row

    def known_ids(self) -> set[str]:
        """Every customer id prefetched so far (by id or through an alias): a batch's possible payers."""
        return {c for c, row in self._customers.items() if row is not None}

    def possible_ids(self, hint: str, keys) -> set[str]:
        """The customers a prefetched hint and alias keys could resolve to (a fuzzy match is not foreseen)."""
        ids = {a.customer_id for k in keys if (a := self._aliases.get(k)) is not None}
        if hint and self._customers.get(hint) is not None:
            ids.add(hint)
        return ids

    def customer(self, customer_id: str) -> Customer | Row | None:
        """The customer with exactly this id."""
        if customer_id not in self._customers:
            self._customers[customer_id] = self.session.scalar(_CUSTOMER, {"customer_id": customer_id})
        return self._customers[customer_id]

    def by_id(self, hint: str) -> str | None:
        """A printed customer id as master data spells it (exact, then case-insensitive)."""
        customer = self.customer(hint)
        if customer is not None:
            return customer.customer_id
        # printed in another case: the unique index does not help, but the table is small per hit
        return self.session.scalar(select(Customer.customer_id).where(func.upper(Customer.customer_id) == hint.upper()))

    def aliases(self, keys) -> list[CustomerAlias | Row]:
        """The alias rows of these keys, in id order."""
        missing = [k for k in keys if k not in self._aliases]
        if missing:
            self._aliases.update(dict.fromkeys(missing))
            for row in self.session.scalars(_ALIASES, {"keys": missing}):
                self._aliases[row.alias_key] = row
        return sorted((a for k in set(keys) if (a := self._aliases[k]) is not None), key=lambda a: a.id)

    def fuzzy_rows(self) -> list[tuple[str, str]]:
        """(customer_id, alias_key) of every active name alias: what the fuzzy match scores (read once)."""
        if self._fuzzy_rows is None:
            self._fuzzy_rows = list(
                self.session.execute(
                    select(CustomerAlias.customer_id, CustomerAlias.alias_key)
                    .where(CustomerAlias.active.is_(True), ~CustomerAlias.alias_key.startswith("@"))
                    .order_by(CustomerAlias.id)
                ).tuples()
            )
        return self._fuzzy_rows

    def domain_owners(self, key: str) -> set[str]:
        """The customers whose master data lists this '@domain' key (read once, only when a domain is shared)."""
        if self._domain_owners is None:
            owners: dict[str, set[str]] = defaultdict(set)
            for customer_id, domains in self.session.execute(select(Customer.customer_id, Customer.email_domains)):
                for domain in domains or []:
                    if isinstance(domain, str) and domain_key(domain):
                        owners[domain_key(domain)].add(customer_id)
            self._domain_owners = dict(owners)
        return self._domain_owners.get(key, set())


@dataclass
class CustomerMatch:
    """The resolved customer (None if unknown or ambiguous), its score, why, and the candidates considered."""

    customer_id: str | None
    score: float
    reasons: list[str] = field(default_factory=list)
    candidates: list[dict] = field(default_factory=list)

    @property
    def resolved(self) -> bool:
        """True when exactly one customer was identified."""
        return self.customer_id is not None


def customer_keys(name: str | None, email_domain: str | None) -> dict[str, str]:
    """The CustomerAlias keys a document's name and sender domain look up: key -> "name" or "domain"."""
    key = alias_key(name)
    domain = domain_key(email_domain)
    keys = {key: "name"} if key else {}
    if domain:
        keys.update({domain_key(d): "domain" for d in _parent_domains(domain[1:])})
    return keys


def _parent_domains(domain: str) -> list[str]:
    parts = domain.split(".")
    return [".".join(parts[i:]) for i in range(len(parts) - 1)]  # a.b.acme.com -> ..., acme.com


def resolve_customer(
    session: Session,
    *,
    customer_id_hint: str | None,
    name: str | None,
    email_domain: str | None,
    address: str | None,
    policy: MatchingPolicy,
    lookup: CustomerLookup | None = None,
) -> CustomerMatch:
    """Printed customer id, name/alias/legal-form key, email domain (CustomerAlias, indexed), then fuzzy name.

    Exact signals that point at different customers make the match ambiguous (None); so does a name key that
    master data found on two customers (an inactive alias marked ambiguous). A From: domain that several
    customers use (one group's companies) only says the sender is one of them: it supports a match among
    them and contradicts one outside them, and never decides. `lookup`: a batch's prefetched master data
    (default: one query per look-up)."""
    lookup = lookup or CustomerLookup(session)
    strong: dict[str, list[str]] = defaultdict(list)
    support: dict[str, list[str]] = defaultdict(list)  # evidence that backs a match but never decides one
    notes: list[str] = []
    if customer_id_hint and customer_id_hint.strip():
        hint = customer_id_hint.strip()
        found = lookup.by_id(hint)
        if found is None:
            notes.append(f"printed customer id {hint!r} not in master data")
        elif (agreement := _id_agreement(lookup, found, name, address)) is not None:
            strong[found].append(f"customer.id printed {hint!r} ({agreement})")
        else:  # an OCR 3/8 swap names another real customer: the id alone never decides
            support[found].append(f"customer.id printed {hint!r}")
            notes.append(f"printed customer id {hint!r} is not backed by the name or address")
    keys = customer_keys(name, email_domain)
    blocked: list[str] = []
    shared: list[tuple[str, set[str]]] = []  # a From: domain several customers use: one of them sent it
    if keys:
        for row in lookup.aliases(list(keys)):
            if not row.active:
                if not (row.provenance and row.provenance.startswith("ambiguous")):
                    continue
                owners = lookup.domain_owners(row.alias_key) if keys[row.alias_key] == "domain" else set()
                if owners:
                    shared.append((row.alias, owners))
                else:
                    blocked.append(f"{row.alias!r} is {row.provenance}")
                continue
            if keys[row.alias_key] == "name":
                label = "customer.name exact" if simple_name(row.alias) == simple_name(name) else "customer.alias"
                strong[row.customer_id].append(f"{label} {name!r} ({row.provenance or 'alias'})")
            else:  # a From: domain is easy to forge and unauthenticated here: it supports, never decides
                support[row.customer_id].append(f"customer.email_domain {row.alias!r} (supporting)")
    if len(strong) == 1 and not blocked:
        ((customer_id, reasons),) = strong.items()
        _shared_support(support, shared, customer_id)
        others = sorted(c for c in support if c != customer_id)
        if not others:
            reasons = reasons + support.get(customer_id, [])
            return CustomerMatch(
                customer_id, 100.0, reasons + notes, [{"customer_id": customer_id, "score": 100.0, "reasons": reasons}]
            )
        strong.update({c: support[c] for c in others})
    if strong or blocked:
        candidates = [{"customer_id": cid, "score": 100.0, "reasons": rs} for cid, rs in sorted(strong.items())]
        why = "exact signals point at different customers" if len(strong) > 1 else "name is ambiguous"
        return CustomerMatch(None, 0.0, notes + blocked + [why], candidates)
    match = _fuzzy(lookup, legal_name(name) or simple_name(name), address, policy, notes)
    _shared_support(support, shared, match.customer_id)
    return _with_support(match, support)


def _shared_support(support: dict[str, list[str]], shared: list[tuple[str, set[str]]], chosen: str | None) -> None:
    """A domain several customers share backs the chosen customer when it is one of them, else all of them
    (which then contradicts the choice, as another customer's domain would)."""
    for domain, owners in shared:
        for owner in [chosen] if chosen in owners else sorted(owners):
            support[owner].append(f"customer.email_domain {domain!r} (shared by {len(owners)}; supporting)")


def _with_support(match: CustomerMatch, support: dict[str, list[str]]) -> CustomerMatch:
    """A fuzzy name match and supporting evidence (domain, printed id) must not point at different customers."""
    if not support:
        return match
    if match.customer_id is not None:  # resolved
        if set(support) - {match.customer_id}:
            return CustomerMatch(
                None,
                0.0,
                match.reasons
                + [f"supporting evidence points at {', '.join(sorted(set(support) - {match.customer_id}))}"],
                match.candidates,
            )
        return CustomerMatch(
            match.customer_id, match.score, match.reasons + support[match.customer_id], match.candidates
        )
    extra = [{"customer_id": cid, "score": 0.0, "reasons": rs} for cid, rs in sorted(support.items())]
    return CustomerMatch(
        None, match.score, match.reasons + ["supporting evidence alone never decides"], match.candidates + extra
    )


def _id_agreement(lookup: CustomerLookup, customer_id: str, name: str | None, address: str | None) -> str | None:
    """Why a printed customer id is believed: the name read agrees with that customer's name or an alias, or the
    address read agrees with its address; None when neither does."""
    customer = lookup.customer(customer_id)
    if customer is None:
        raise NotFound(f"customer {customer_id} does not exist")
    query = simple_name(name) if name else ""
    if query:
        for text in [customer.name, *(customer.aliases or [])]:
            if fuzz.token_set_ratio(query, simple_name(text)) >= _AGREEMENT:
                return f"name agrees with {text!r}"
    if (
        address
        and customer.address
        and fuzz.token_set_ratio(simple_name(address), simple_name(customer.address)) >= _AGREEMENT
    ):
        return "address agrees"
    return None


def _fuzzy(
    lookup: CustomerLookup, query: str, address: str | None, policy: MatchingPolicy, notes: list[str]
) -> CustomerMatch:
    """Score every customer name and alias; only reached when no indexed key matched (unknown or misspelt)."""
    if not query:
        return CustomerMatch(None, 0.0, notes + ["no name to match"], [])
    best: dict[str, float] = {}
    names: dict[str, str] = {}
    for customer_id, key in lookup.fuzzy_rows():
        score = max(fuzz.token_sort_ratio(query, key), fuzz.WRatio(query, key))
        if score > best.get(customer_id, -1):
            best[customer_id], names[customer_id] = score, key
    top_ids = sorted(best, key=lambda c: (-best[c], c))[: policy.max_candidates]
    addresses = (
        dict(
            lookup.session.execute(
                select(Customer.customer_id, Customer.address).where(Customer.customer_id.in_(top_ids))
            )
            .tuples()
            .all()
        )
        if top_ids
        else {}
    )
    candidates: list[dict[str, Any]] = []
    for customer_id in top_ids:
        entry = {"customer_id": customer_id, "name": names[customer_id], "score": round(best[customer_id], 1)}
        if address and addresses.get(customer_id):
            entry["address_score"] = round(
                fuzz.token_set_ratio(simple_name(address), simple_name(addresses[customer_id])), 1
            )
        candidates.append(entry)
    if not candidates:
        return CustomerMatch(None, 0.0, notes + ["no customers in master data"], [])
    top = candidates[0]["score"]
    runner_up = candidates[1]["score"] if len(candidates) > 1 else 0.0
    if top >= policy.customer_match_score and top - runner_up >= policy.customer_match_margin:
        reason = f"customer.name fuzzy {top:.1f} (runner-up {runner_up:.1f})"
        address_score = candidates[0].get("address_score")
        if address_score is not None:
            reason += f"; address {address_score:.1f}"
        return CustomerMatch(candidates[0]["customer_id"], top, notes + [reason], candidates)
    if top >= policy.customer_match_score and _address_decides(candidates):
        reason = (
            f"customer.name fuzzy {top:.1f} (runner-up {runner_up:.1f}); bill-to address "
            f"{candidates[0]['address_score']:.1f} vs {candidates[1].get('address_score', 0):.1f}"
        )
        return CustomerMatch(candidates[0]["customer_id"], top, notes + [reason], candidates)
    why = "below score" if top < policy.customer_match_score else "margin over runner-up too small"
    return CustomerMatch(None, top, notes + [f"customer.name fuzzy {top:.1f}: {why}"], candidates)


def _address_decides(candidates: list[dict]) -> bool:
    """Two names too close to call: the bill-to/ship-to address settles it only when it clearly fits one."""
    if len(candidates) < 2 or "address_score" not in candidates[0]:
        return False
    return candidates[0]["address_score"] >= 90 and candidates[1].get("address_score", 0) < 60
