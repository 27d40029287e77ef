"""The yardstick itself: the clean upgrade the invariant compares against is right."""

from __future__ import annotations

import pytest

from tests.faults.case import Case
from tests.faults.invariant import check_invariant
from tests.faults.snapshot import tree_snapshot
from tests.faults.world import NEW, World

pytestmark = pytest.mark.engine


def test_the_new_tree_is_the_release_plus_kept_data(world: World) -> None:
    release = tree_snapshot(world.layout.sources[NEW])
    new = world.new_tree
    for path, entry in release.items():
        if path.split("/")[0] in ("data", ".env") or path == "RELEASE_NOTES.md":
            continue
        if path.startswith("images/") and path.endswith(".tar"):
            # The store publishes an image index: the images live in the engine,
            # not as tars in the deploy dir, whichever way they came (#23).
            assert path not in new, path
            continue
        assert new.get(path) == entry, f"{path}: {new.get(path)!r} != release {entry!r}"
    assert new["data/current.csv"] == "link -> users.csv"
    assert new["data/exports"].startswith("dir ")
    assert new["app/spool"].startswith("dir ")
    assert new["app/migrate"].startswith("file 0755 ")
    assert "app/legacy" not in new, "a directory the release dropped is gone"
    data = {k: v for k, v in world.old_tree.items() if k.startswith("data")}
    assert data and all(new.get(k) == v for k, v in data.items()), "data/ is kept byte for byte"


def test_a_fresh_case_is_exactly_the_old_version(case: Case) -> None:
    assert check_invariant(case) == "old"
