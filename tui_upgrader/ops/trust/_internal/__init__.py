"""Private modules of ``ops.trust``: only ``ops.trust`` imports them (import-linter)."""
