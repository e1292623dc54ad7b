"""Who really sent an email: the From: domain counts as authenticated only when the receiving server's
Authentication-Results say DKIM (header.d), SPF (smtp.mailfrom) or DMARC passed for that same domain."""

from __future__ import annotations

import re
from email.parser import BytesHeaderParser
from email.utils import parseaddr

_RESULT = re.compile(r"\b(dkim|spf|dmarc)\s*=\s*(\w+)([^;]*)", re.IGNORECASE)
_DOMAIN = re.compile(
    r"(?:header\.d|header\.from|smtp\.mailfrom|header\.i)\s*=\s*(?:[^@\s;]*@)?([\w.-]+)", re.IGNORECASE
)


def _aligned(domain: str, claimed: str) -> bool:
    return domain == claimed or domain.endswith("." + claimed) or claimed.endswith("." + domain)


def authenticated_sender_domain(raw: bytes) -> str | None:
    """The From: domain of a raw RFC 822 message when a pass result in Authentication-Results vouches for it
    (DKIM/DMARC/SPF, aligned with that domain); None when unauthenticated, failed, or not an email."""
    try:
        headers = BytesHeaderParser().parsebytes(raw)
    except Exception:  # noqa: BLE001 - not an email: nothing vouches for it
        return None
    sender = parseaddr(str(headers.get("From") or ""))[1]
    if "@" not in sender:
        return None
    domain = sender.rsplit("@", 1)[1].lower().rstrip(".")
    for header in headers.get_all("Authentication-Results") or []:
        for _method, result, rest in _RESULT.findall(str(header)):
            if result.lower() != "pass":
                continue
            claimed = _DOMAIN.search(rest)
            if claimed and _aligned(domain, claimed.group(1).lower().rstrip(".")):
                return domain
    return None
