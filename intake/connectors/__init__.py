"""Connectors: long-running entry points that fetch raw files from outside and hand them to a `deliver` callback.

A connector knows nothing of what happens after intake: the composition root (the CLI) gives it `deliver`,
which receives and processes the file. `deliver` MUST be idempotent per `source_key` (intake's receipts are
unique per channel and source key), because a connector that crashes between delivering and recording
delivers the same item again."""
