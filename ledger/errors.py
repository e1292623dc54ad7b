"""Named ledger errors: each states the business rule that was broken."""

from __future__ import annotations

from o2c.core.errors import Conflict, InvalidInput, NotFound


class MasterDataError(InvalidInput):
    """A master-data file has missing columns or bad rows; nothing from it was applied."""

    code = "master_data_error"


class UnbalancedEntry(InvalidInput):
    """A journal entry's debits and credits differ in some currency, or it names an unknown account."""

    code = "unbalanced_entry"


class ImmutableEntry(Conflict):
    """A posted journal entry was edited or deleted; entries are never changed, only reversed."""

    code = "immutable_entry"


class DuplicateOrder(Conflict):
    """This customer's PO number has already been posted."""

    code = "duplicate_order"


class OrderNotPostable(Conflict):
    """The order fails validation (price, credit, customer...); `detail["reasons"]` says why."""

    code = "order_not_postable"


class UnknownCustomer(NotFound):
    """No customer with that customer_id exists in master data."""

    code = "unknown_customer"


class InvoiceNotFound(NotFound):
    """No invoice with that id exists."""

    code = "invoice_not_found"


class InvoiceNumberTaken(Conflict):
    """The next number of the invoice sequence is already used (e.g. by an imported invoice)."""

    code = "invoice_number_taken"


class OverApplication(Conflict):
    """Applying this amount (plus discount) would take an invoice's open amount below zero."""

    code = "over_application"


class InsufficientUnappliedBalance(Conflict):
    """The payment has less unapplied cash than the application needs."""

    code = "insufficient_unapplied_balance"


class CurrencyMismatch(Conflict):
    """A payment and an invoice (or an order and its customer) are in different currencies."""

    code = "currency_mismatch"


class CustomerMismatch(Conflict):
    """The invoice belongs to another customer than the payment's payer."""

    code = "customer_mismatch"


class DiscountNotAllowed(Conflict):
    """The discount taken exceeds what the invoice's payment terms allow on the payment date."""

    code = "discount_not_allowed"


class AlreadyReversed(Conflict):
    """The posting has already been reversed; a reversal is never reversed twice."""

    code = "already_reversed"


class ConcurrentUpdate(Conflict):
    """Another transaction changed the row between reading and writing it; the caller retries."""

    code = "concurrent_update"


class DuplicatePayment(Conflict):
    """A payment with the same payer, reference, amount and date is already posted; it posts only once."""

    code = "duplicate_payment"


class DeductionNotFound(NotFound):
    """The deduction does not exist."""

    code = "deduction_not_found"


class DeductionAlreadySettled(Conflict):
    """A deduction is settled once: written off, credited, re-billed; only an open or disputed one can be settled."""

    code = "deduction_already_settled"


class InvalidDeductionOutcome(InvalidInput):
    """A deduction is settled as write_off, credit_memo, rebill or dispute, with a known reason code."""

    code = "invalid_deduction_outcome"
