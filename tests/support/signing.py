"""Sign a test release store and pin its root, the way a publisher and an admin do."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

from tui_upgrader.ops.release.keys import generate_keys
from tui_upgrader.ops.release.signing import Expiry, sign_store
from tui_upgrader.ops.settings import Settings
from tui_upgrader.ops.trust.anchor import pin_root


def sign(store: Path, keydir: Path, expiry: Expiry | None = None) -> Path:
    """Keys in ``keydir`` (made on first use), then ``store`` signed with them."""
    if not (keydir / "root.json").exists():
        generate_keys(keydir)
    sign_store(store, keydir, expiry)
    return keydir


def trust(settings: Settings, keydir: Path) -> Settings:
    """``settings`` with ``keydir``'s root pinned in its data dir, unsigned refused."""
    pin_root(settings, (keydir / "root.json").read_bytes(), str(keydir / "root.json"))
    return replace(settings, allow_unsigned=False)


def signed(settings: Settings, store: Path, keydir: Path) -> Settings:
    return trust(settings, sign(store, keydir))
