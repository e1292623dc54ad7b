"""What a bank statement says: the account, its balances and its credit and debit lines. Money is Decimal."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

ZERO = Decimal("0")


@dataclass(frozen=True)
class StructuredReference:
    """A structured remittance item carried by the bank line: an invoice (or creditor) reference and amounts."""

    reference: str
    amount: Decimal | None = None
    discount: Decimal | None = None
    invoice_amount: Decimal | None = None
    kind: str = "invoice"  # invoice | creditor_reference


@dataclass(frozen=True)
class BankLine:
    """One booked line of a statement; `amount` is positive, the class says its direction."""

    amount: Decimal
    currency: str
    value_date: date | None = None
    booking_date: date | None = None
    payer_name: str | None = None
    payer_account: str | None = None
    remittance_info: str | None = None
    references: tuple[StructuredReference, ...] = ()
    end_to_end_id: str | None = None
    bank_reference: str | None = None
    type_code: str | None = None
    reversal: bool = False

    @property
    def signed_amount(self) -> Decimal:
        """The amount as it moves the balance: positive for a credit, negative for a debit."""
        return self.amount if isinstance(self, StatementCredit) else -self.amount


@dataclass(frozen=True)
class StatementCredit(BankLine):
    """Money in: the cash that a remittance advice explains."""


@dataclass(frozen=True)
class BankDebit(BankLine):
    """Money out (or a returned credit): never applied to receivables."""


@dataclass
class BankStatement:
    """One statement (or notification / report) of one account, as read from a bank file."""

    format: str  # mt940 | bai2 | camt.053.001.02 | ...
    statement_id: str | None
    account: str | None  # IBAN where the bank gives one, else the bank's account number
    currency: str | None
    opening_balance: Decimal | None = None
    closing_balance: Decimal | None = None
    opening_date: date | None = None
    closing_date: date | None = None
    lines: list[BankLine] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    @property
    def credits(self) -> list[StatementCredit]:
        """The credit lines."""
        return [line for line in self.lines if isinstance(line, StatementCredit)]

    @property
    def debits(self) -> list[BankDebit]:
        """The debit lines."""
        return [line for line in self.lines if isinstance(line, BankDebit)]

    @property
    def balance_difference(self) -> Decimal | None:
        """closing - (opening + credits - debits); None when the statement carries no balances to check."""
        if self.opening_balance is None or self.closing_balance is None:
            return None
        moved = sum((line.signed_amount for line in self.lines), ZERO)
        return self.closing_balance - (self.opening_balance + moved)
