"""Notifications of finished operations (upgrade, rollback, recovery, restore) over Apprise URLs."""
