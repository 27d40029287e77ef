"""Private modules of ``ops.backup``: only ``ops.backup`` imports them (import-linter)."""
