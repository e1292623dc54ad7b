"""ERP delivery: what leaves o2c for the company's ERP (cursor feeds with acknowledgements, the webhook outbox)."""
