"""Private modules of ``ops.images``: only ``ops.images`` imports them (import-linter)."""
