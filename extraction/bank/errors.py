"""Named errors of the bank-statement readers: each states what is wrong with the file."""

from __future__ import annotations

from o2c.core.errors import InvalidInput


class BankStatementError(InvalidInput):
    """The bank file cannot be read into statements."""

    code = "bank_statement_error"


class UnknownStatementFormat(BankStatementError):
    """The file is none of camt.052/053/054, BAI2 or MT940."""

    code = "unknown_statement_format"


class UnknownCamtVersion(BankStatementError):
    """The camt message is of a version (namespace) this reader does not know."""

    code = "unknown_camt_version"


class MalformedStatement(BankStatementError):
    """The file is of a known format but broken (a bad record, a missing field, a truncated file)."""

    code = "malformed_statement"


class UnbalancedStatement(BankStatementError):
    """Opening balance plus credits minus debits is not the closing balance (or a control total is wrong)."""

    code = "unbalanced_statement"
