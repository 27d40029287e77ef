"""Fault injection on the real engine: exactly old or exactly new, nothing lost (#10)."""
