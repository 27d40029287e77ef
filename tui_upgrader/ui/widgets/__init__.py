"""Widgets the screens compose (bars, lists, logs)."""
