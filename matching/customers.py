"""Customer resolution: who sent this document? Exact keys first, then a fuzzy name match with a margin."""

from __future__ import annotations

import re
import unicodedata
from collections import defaultdict
from dataclasses import dataclass, field

from rapidfuzz import fuzz
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ledger.models import Customer
from matching.policy import MatchingPolicy

_LEGAL_FORMS = re.compile(
    r"\b(incorporated|inc|corporation|corp|company|co|limited|ltd|llc|l\s?l\s?c|gmbh|ag|kg|plc|sa|sas|sarl|bv|"
    r"nv|srl|spa|pty|lp|llp)\b"
)
_NOT_WORD = re.compile(r"[^a-z0-9]+")


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


def simple_name(text: str | None) -> str:
    """Case- and space-folded name, accents removed ('ACME  Corp.' -> 'acme corp.')."""
    if not text:
        return ""
    folded = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return " ".join(folded.lower().split())


def legal_name(text: str | None) -> str:
    """The name without punctuation and legal forms ('ACME Holdings, Inc.' -> 'acme holdings')."""
    words = _NOT_WORD.sub(" ", simple_name(text).replace("&", " and "))
    return " ".join(_LEGAL_FORMS.sub(" ", words).split())


def _domain_matches(domain: str, owned: str) -> bool:
    return domain == owned or domain.endswith("." + owned)


def resolve_customer(
    session: Session,
    *,
    customer_id_hint: str | None,
    name: str | None,
    email_domain: str | None,
    address: str | None,
    policy: MatchingPolicy,
) -> CustomerMatch:
    """Printed customer id, exact name/alias, legal-form-normalized name, email domain, then fuzzy name.

    Exact signals that point at different customers make the match ambiguous (None). v1 reads all customers
    per call (aliases live in JSON); fine for thousands of customers, an alias table would index it."""
    customers = session.scalars(select(Customer)).all()
    strong: dict[str, list[str]] = defaultdict(list)
    notes: list[str] = []
    if customer_id_hint:
        hint = customer_id_hint.strip()
        found = session.scalar(select(Customer).where(func.upper(Customer.customer_id) == hint.upper()))
        if found is not None:
            strong[found.customer_id].append(f"customer.id printed {hint!r}")
        else:
            notes.append(f"printed customer id {hint!r} not in master data")
    exact, legal = simple_name(name), legal_name(name)
    domain = (email_domain or "").lower().strip().lstrip("@")
    for customer in customers:
        names = [customer.name, *(customer.aliases or [])]
        if exact and any(simple_name(n) == exact for n in names):
            strong[customer.customer_id].append(f"customer.name exact {name!r}")
        elif legal and any(legal_name(n) == legal for n in names):
            strong[customer.customer_id].append(f"customer.name normalized {legal!r}")
        if domain and any(_domain_matches(domain, d.lower()) for d in customer.email_domains or []):
            strong[customer.customer_id].append(f"customer.email_domain {domain!r}")
    if len(strong) == 1:
        ((customer_id, reasons),) = strong.items()
        return CustomerMatch(
            customer_id,
            100.0,
            reasons + notes,
            [{"customer_id": customer_id, "score": 100.0, "reasons": reasons}],
        )
    if len(strong) > 1:
        candidates = [
            {"customer_id": cid, "score": 100.0, "reasons": rs} for cid, rs in sorted(strong.items())
        ]
        return CustomerMatch(None, 0.0, notes + ["exact signals point at different customers"], candidates)
    return _fuzzy(customers, legal or exact, address, policy, notes)


def _fuzzy(
    customers, query: str, address: str | None, policy: MatchingPolicy, notes: list[str]
) -> CustomerMatch:
    if not query:
        return CustomerMatch(None, 0.0, notes + ["no name to match"], [])
    scored = []
    for customer in customers:
        best = max(
            max(fuzz.token_sort_ratio(query, legal_name(n)), fuzz.WRatio(query, legal_name(n)))
            for n in [customer.name, *(customer.aliases or [])]
        )
        entry = {"customer_id": customer.customer_id, "name": customer.name, "score": round(best, 1)}
        if address and customer.address:
            entry["address_score"] = round(
                fuzz.token_set_ratio(simple_name(address), simple_name(customer.address)), 1
            )
        scored.append(entry)
    scored.sort(key=lambda c: (-c["score"], c["customer_id"]))
    candidates = scored[: policy.max_candidates]
    if not candidates:
        return CustomerMatch(None, 0.0, notes + ["no customers in master data"], [])
    top = candidates[0]["score"]
    runner_up = candidates[1]["score"] if len(candidates) > 1 else 0.0
    if top >= policy.customer_match_score and top - runner_up >= policy.customer_match_margin:
        reason = f"customer.name fuzzy {top:.1f} (runner-up {runner_up:.1f})"
        return CustomerMatch(candidates[0]["customer_id"], top, notes + [reason], candidates)
    why = "below score" if top < policy.customer_match_score else "margin over runner-up too small"
    return CustomerMatch(None, top, notes + [f"customer.name fuzzy {top:.1f}: {why}"], candidates)
