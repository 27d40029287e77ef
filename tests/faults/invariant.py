"""The one invariant every fault case ends with: exactly old or exactly new, nothing lost.

- the deploy dir (content, modes, symlinks, empty dirs; ``data/`` included) is
  byte-identical to the pristine 1.0.0 or to what a clean upgrade to 1.1.0 leaves;
- ``state.toml`` names that version and nothing else is left in ``.tui-upgrader/``
  (no journal, no staging or previous tree);
- every service runs that version's image and is healthy;
- no catalogue record is stuck ``in_progress``, and every completed one verifies
  (``backup verify`` through the CLI);
- the package cache holds only complete, verified files under their final names
  (a resumable ``.part`` must be a true prefix of the package, with its sidecar).
"""

from __future__ import annotations

import contextlib
import hashlib
import sqlite3
from pathlib import Path
from typing import Any

from tests.faults.case import Case
from tests.faults.snapshot import Tree, tree_diff
from tests.faults.world import STATE_DIR, VERSIONS
from tests.support.engine import config_digest
from tests.support.waiting import wait_for
from tui_upgrader.ops.state import read_state

SERVICES = {"web", "worker"}
STATE_FILES = {"state.toml"}


def check_invariant(
    case: Case,
    *,
    expect: str | None = None,
    health_timeout_s: float = 60,
    new_tree: Tree | None = None,
    new_version: str | None = None,
) -> str:
    """Assert the invariant; return which version is installed ("old" or "new").

    ``new_tree`` / ``new_version``: the new version is another release than the world's
    (its package then is ``case.packages``' too).
    """
    world = case.world
    tree = case.tree()
    new_tree = world.new_tree if new_tree is None else new_tree
    versions = {**VERSIONS, **({"new": new_version} if new_version else {})}
    if tree == world.old_tree:
        which = "old"
    elif tree == new_tree:
        which = "new"
    else:
        raise AssertionError(
            "the deploy dir is neither exactly the old nor exactly the new version\n"
            f" against old:\n{tree_diff(tree, world.old_tree)}\n"
            f" against new:\n{tree_diff(tree, new_tree)}"
        )
    if expect is not None:
        assert which == expect, f"expected the {expect} version on disk, found the {which} one"
    on_record = str(read_state(case.deploy).version)
    assert on_record == versions[which], f"state.toml names {on_record}, {which} is on disk"
    left = {p.name for p in (case.deploy / STATE_DIR).iterdir()} - STATE_FILES
    assert not left, f"left behind in {STATE_DIR}/: {sorted(left)}"
    _check_stack(case, which, health_timeout_s)
    _check_catalogue(case)
    # Thin delivery (#23) caches the store's image index and files package there too.
    packages = [world.package, *case.packages]
    thin = [f for p in packages for f in p.parent.glob("*") if f.name.startswith("images-")]
    thin += [f for p in packages for f in p.parent.glob("docker-*-files.zip")]
    _check_cache(case.cache_dir / "packages", [*packages, *thin])
    _check_blobs(case.cache_dir / "blobs" / "sha256")
    return which


def _containers(case: Case) -> dict[str, Any]:
    found = case.world.client.containers.list(
        all=True, filters={"label": f"com.docker.compose.project={case.world.project}"}
    )
    return {c.labels["com.docker.compose.service"]: c for c in found}


# The containerd store names an image by its manifest digest, the tar and the classic
# store by its config digest: compare config digests (one ``docker save`` per image).
_CONFIG_IDS: dict[str, str] = {}


def _config_id(case: Case, image_id: str) -> str:
    if image_id in case.world.image_ids.values():
        return image_id
    if image_id not in _CONFIG_IDS:
        _CONFIG_IDS[image_id] = config_digest(case.world.client, image_id)
    return _CONFIG_IDS[image_id]


def _stack_state(case: Case) -> dict[str, tuple[str, str, str]]:
    out = {}
    for name, c in _containers(case).items():
        health = c.attrs["State"].get("Health", {}).get("Status", "none")
        out[name] = (c.status, health, _config_id(case, str(c.image.id)))
    return out


def _check_stack(case: Case, which: str, timeout_s: float) -> None:
    want = case.world.image_ids[which]

    def healthy() -> bool:
        state = _stack_state(case)
        # "none": a service without a healthcheck; running on the right image is all it can show.
        return set(state) == SERVICES and all(
            s[0] == "running" and s[1] in ("healthy", "none") and s[2] == want
            for s in state.values()
        )

    try:
        wait_for(healthy, timeout_s=timeout_s, what="the stack to run healthy")
    except AssertionError:
        raise AssertionError(
            f"the {which} version is on disk, but the stack is not that version running "
            f"healthy (want image {want[:19]}): {_stack_state(case)}"
        ) from None


def _check_catalogue(case: Case) -> None:
    """The catalogue as it is (read-only: ``backup list`` would sweep a stuck record and
    hide it), then ``backup verify`` through the CLI for each completed backup."""
    db = case.data_dir / "catalogue.sqlite3"
    if not db.exists():
        return
    with contextlib.closing(sqlite3.connect(f"file:{db}?mode=ro", uri=True)) as conn:
        rows = conn.execute("SELECT id, status, archive_path FROM backups").fetchall()
    stuck = [r for r in rows if r[1] == "in_progress"]
    assert not stuck, f"catalogue records stuck in_progress: {stuck}"
    for backup_id, status, archive in rows:
        if status != "completed":
            continue
        assert Path(archive).is_file(), f"completed backup #{backup_id}: its archive is gone"
        code, report, err = case.run("backup", "verify", str(backup_id), "--json")
        assert code == 0, f"backup #{backup_id} does not verify: {report or err}"


def _check_blobs(blobs: Path) -> None:
    """A blob under its final name is exactly the bytes its name is the hash of."""
    if not blobs.exists():
        return
    for path in sorted(p for p in blobs.iterdir() if p.is_file()):
        if path.name.endswith((".part", ".part.json")):
            continue
        got = hashlib.sha256(path.read_bytes()).hexdigest()
        assert got == path.name, f"{path}: in the blob cache but sha256 {got}"


def _check_cache(cached: Path, packages: list[Path]) -> None:
    if not cached.exists():
        return
    wholes = [p.read_bytes() for p in packages]
    digests = {hashlib.sha256(w).hexdigest() for w in wholes}
    for path in sorted(p for p in cached.rglob("*") if p.is_file()):
        data = path.read_bytes()
        if path.name.endswith(".part.json"):
            assert path.with_name(path.name.removesuffix(".json")).exists(), f"orphan {path}"
        elif path.name.endswith(".part"):
            assert path.with_name(path.name + ".json").exists(), f"{path}: no sidecar"
            assert any(w.startswith(data) for w in wholes), f"{path}: not a prefix (bad bytes kept)"
        else:
            got = hashlib.sha256(data).hexdigest()
            assert got in digests, f"{path}: in the cache under a final name but sha256 {got}"
