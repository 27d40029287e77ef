"""Private modules of ``ops.archive``: only ``ops.archive`` imports them (import-linter)."""
