"""Private modules of ``ops.download``: only ``ops.download`` imports them (import-linter)."""
