"""o2c: self-hosted document intelligence for order-to-cash.

The repository root is this package (setuptools `package-dir` maps `o2c` to it), so every module is imported as
`o2c.<room>.<module>`: `o2c.intake`, `o2c.extraction`, `o2c.matching`, `o2c.ledger`, `o2c.review`, `o2c.erp`,
`o2c.pipeline`, and the shells `o2c.api`, `o2c.cli`, `o2c.worker`."""

__version__ = "0.1.0"
