"""Email messages: the body as text and every attachment (nested messages recursively), within part/depth limits."""

from __future__ import annotations

import email
import re
from dataclasses import dataclass, field
from datetime import date
from email import policy
from email.message import EmailMessage, Message
from email.utils import getaddresses
from typing import cast

from o2c.extraction.errors import UnreadableDocument
from o2c.extraction.htmlbody import html_to_layout_text

BODY = "body"
_SKIPPED = {
    "application/pkcs7-signature",
    "application/x-pkcs7-signature",
    "application/pgp-signature",
    "application/pgp-keys",
    "text/calendar",
    "text/x-vcard",
    "text/vcard",
}
_BUSINESS_TYPES = ("application/pdf", "image/", "message/rfc822", "text/plain", "text/html", "application/octet")


@dataclass
class MessagePart:
    """One readable part of an email: a body (text) or an attachment (bytes), named for provenance."""

    name: str
    media_type: str
    content: bytes = b""
    text: str | None = None
    sender: str | None = None
    sent_on: date | None = None


@dataclass
class _Walk:
    max_parts: int
    max_depth: int
    seen: int = 0
    parts: list[MessagePart] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    def add(self, part: MessagePart) -> None:
        """Keep a part, renaming it when an earlier part has the same name (names are provenance keys)."""
        names = {p.name for p in self.parts}
        base, n = part.name, 2
        while part.name in names:
            part.name = f"{base}~{n}"
            n += 1
        self.parts.append(part)


def read_message(content: bytes, *, max_parts: int, max_depth: int) -> tuple[list[MessagePart], list[str]]:
    """The bodies and attachments of an email (.eml bytes), plus warnings about anything skipped."""
    if not content.strip():
        raise UnreadableDocument("email is empty", reason="empty")
    try:
        message = email.message_from_bytes(content, policy=policy.default)
    except Exception as exc:  # the parser is lenient; anything that escapes it is beyond recovery
        raise UnreadableDocument(f"email cannot be parsed: {exc!r}", reason="corrupt") from exc
    if not message.keys() and not message.get_payload():
        raise UnreadableDocument("no email headers or body", reason="corrupt")
    walk = _Walk(max_parts, max_depth)
    _read(message, walk, prefix="", depth=0)
    return walk.parts, walk.warnings


def sender_of(message: Message) -> str | None:
    """The From address (lower case), tolerant of malformed headers."""
    try:
        raw = message.get_all("From") or []
        addresses = [addr for _, addr in getaddresses([str(h) for h in raw]) if addr]
    except Exception:  # a header the parser cannot fold
        return None
    return addresses[0].strip().lower() if addresses else None


def sent_on(message: Message) -> date | None:
    """The day the message was sent, from its Date header (None if absent or unparseable)."""
    try:
        header = message.get("Date")
        moment = getattr(header, "datetime", None)
    except Exception:  # a Date header the parser rejects
        return None
    return moment.date() if moment else None


def _read(message: Message, walk: _Walk, *, prefix: str, depth: int) -> None:
    sender = sender_of(message)
    day = sent_on(message)
    body_part = _body_part(message)
    if body_part is not None:
        text = _text_of(body_part)
        if body_part.get_content_type() == "text/html":
            text = html_to_layout_text(text)
        walk.add(MessagePart(prefix + BODY, "text/plain", text=text, sender=sender, sent_on=day))
    for index, part in enumerate(_leaves(message, walk), 1):
        if part is body_part:
            continue
        media_type = part.get_content_type()
        name = _part_name(part, index, media_type)
        if media_type == "message/rfc822":
            if depth + 1 > walk.max_depth:
                walk.warnings.append(f"{prefix}{name}: nested deeper than {walk.max_depth} messages; skipped")
                continue
            inner = _inner_message(part)
            if inner is not None:
                _read(inner, walk, prefix=f"{prefix}{name}/", depth=depth + 1)
            continue
        if media_type in _SKIPPED or media_type.startswith(("audio/", "video/")):
            continue  # signatures and media carry no business document
        if not part.get_filename() and media_type.startswith("text/"):
            continue  # an alternative rendering of the body, or a signature
        if not media_type.startswith(_BUSINESS_TYPES) and not part.get_filename():
            continue
        payload = part.get_payload(decode=True) or b""
        walk.add(MessagePart(prefix + name, media_type, content=payload, sender=sender, sent_on=day))


def _leaves(message: Message, walk: _Walk):
    """Leaf parts and nested messages, counting every part against the limit."""
    stack = [message]
    while stack:
        part = stack.pop(0)
        walk.seen += 1
        if walk.seen > walk.max_parts:
            walk.warnings.append(f"email has more than {walk.max_parts} parts; the rest were skipped")
            return
        if part.get_content_type() == "message/rfc822" and part is not message:
            yield part
        elif part.is_multipart():
            payload = part.get_payload()
            stack[0:0] = cast(list[Message], payload) if isinstance(payload, list) else []  # a multipart's parts
        else:
            yield part


def _body_part(message: Message) -> Message | None:
    if isinstance(message, EmailMessage):
        try:
            body = message.get_body(preferencelist=("plain", "html"))
        except Exception:  # malformed multipart structure
            body = None
        if body is not None and not body.get_filename():
            html = _html_with_table(message) if body.get_content_type() == "text/plain" else None
            return html or body  # the plain rendition of an HTML table has lost its columns
    if not message.is_multipart() and message.get_content_maintype() == "text":
        return message
    return None


def _html_with_table(message: EmailMessage) -> Message | None:
    """The HTML alternative of a body when it holds a table (mail clients flatten tables in the plain one)."""
    try:
        html = message.get_body(preferencelist=("html",))
    except Exception:  # malformed multipart structure
        return None
    if html is None or html.get_filename():
        return None
    return html if re.search(r"(?i)<t[dh]\b", _text_of(html)) else None


def _text_of(part: Message) -> str:
    """A text part's content; unknown or lying charsets fall back to UTF-8, then Latin-1, with replacement."""
    try:
        content = part.get_content() if isinstance(part, EmailMessage) else None  # (policy.default parts are)
        if isinstance(content, str):
            return content
    except Exception:  # LookupError for an unknown charset, decoding errors
        pass
    raw = cast("bytes | None", part.get_payload(decode=True)) or b""  # decode=True gives bytes (or None)
    for charset in (part.get_content_charset() or "utf-8", "utf-8"):
        try:
            return raw.decode(charset)
        except (LookupError, UnicodeDecodeError):
            continue
    return raw.decode("latin-1", errors="replace")


def _inner_message(part: Message) -> Message | None:
    payload = part.get_payload()
    if isinstance(payload, list) and payload:
        return cast(Message, payload[0])  # a message/rfc822 part holds the message
    raw = cast("bytes | None", part.get_payload(decode=True))
    if raw:
        return email.message_from_bytes(raw, policy=policy.default)
    return None


def _part_name(part: Message, index: int, media_type: str) -> str:
    try:
        name = part.get_filename()
    except Exception:  # an undecodable RFC 2231 name
        name = None
    if name:
        return re.sub(r"[\r\n#/\\]+", "_", str(name)).strip() or f"part-{index}"
    extension = {
        "application/pdf": ".pdf",
        "message/rfc822": ".eml",
        "image/png": ".png",
        "image/jpeg": ".jpg",
        "image/tiff": ".tif",
        "text/plain": ".txt",
        "text/html": ".html",
    }.get(media_type, "")
    return f"part-{index}{extension}"
