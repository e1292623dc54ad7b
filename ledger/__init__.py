"""Ledger: master data, prices, orders, invoices, payments, cash applications and the journal."""
