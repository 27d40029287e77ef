"""Backups of a deploy dir: create, list, verify, restore, delete, prune; the catalogue."""
