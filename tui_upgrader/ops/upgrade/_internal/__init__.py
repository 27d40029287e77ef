"""Private modules of ``ops.upgrade``: only ``ops.upgrade`` imports them (import-linter)."""
