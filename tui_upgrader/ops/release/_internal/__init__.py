"""Private modules of ``ops.release``: only ``ops.release`` imports them (import-linter)."""
