"""Private modules of ``ops.stack``: only ``ops.stack`` imports them (import-linter)."""
