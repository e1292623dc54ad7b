"""Named connector errors."""

from o2c.core.errors import O2CError


class ConnectorMisconfigured(O2CError):
    """A connector was started without the settings it needs (host, user, a password or token, a folder)."""

    status = 500
    code = "connector_misconfigured"


class MailboxUnavailable(O2CError):
    """The IMAP server could not be reached, or the connection broke mid-poll; the poll may be retried."""

    status = 503
    code = "mailbox_unavailable"


class MailboxLoginFailed(MailboxUnavailable):
    """The IMAP server refused the credentials (password or XOAUTH2 token)."""

    code = "mailbox_login_failed"
