"""The document's road as one package: `door.ingest` is where every file enters; `documents` (purchase orders and
remittance advices), `statements` (bank statements) and `resolutions` (a reviewer's decision) are its roads."""
