"""The `o2c` command line: a thin shell over the pipeline and the ledger services."""
