"""Build a release store: packages per architecture, a patch, and ``manifest.json``.

Package format (what ``tui-upgrader release build`` writes and the runner reads)
--------------------------------------------------------------------------------
Full package ``OUT/<version>/docker-<arch>.zip`` (``<arch>`` = ``x86_64`` or
``aarch64``, ``<version>`` the short form: ``1.1.0``, ``1.1.0.1``). Every entry
sits under one top-level ``docker/`` folder, as the original packages have it::

    docker/                       directory entries for every folder (empty ones survive)
    docker/compose.yaml           (or docker-compose.yml ...): required
    docker/.env
    docker/app/... docker/config/... and any other release files
    docker/images/<name>.tar      ``docker save`` archives: plain ``*.tar`` for any
                                  machine, ``*-amd64.tar`` / ``*-arm64.tar`` per arch

Patch package ``OUT/<version>/<arch>-patch.zip``: the same ``docker/`` layout,
holding ``docker/<path>`` for every ``replace.files`` entry and everything under
every ``replace.directories`` entry of the manifest's ``patch.<arch>``
operations; deletions travel in the manifest only. See ``release_diff`` for
how the operations are computed.

Thin image delivery (``release_blobs``): each full package also gets its
images as content-addressed blobs (``blobs/sha256/<hex>``), the package
minus ``images/`` (``docker-<arch>-files.zip``) and an image index
(``images-<arch>.json``), named by the platform entry's ``images`` field.

Packages are deterministic: the same release folder gives byte-identical zips
(sorted entries, fixed timestamps, normalised modes; see ``release_zip`` for
the compression choice, measured). ``RELEASE_NOTES.md`` in the release folder
becomes the manifest's ``release_notes`` and is not packed. Image tars come
from ``images/`` in the folder or, when it has none for an architecture, are
saved from the local engine (``release_images``). Every file is written to a
temp file and renamed into place; the manifest is written last, so a store
never publishes a manifest pointing at a missing package.
"""

from __future__ import annotations

import logging
import tempfile
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tui_upgrader.core.arch import Arch
from tui_upgrader.core.errors import InputError
from tui_upgrader.core.i18n import _
from tui_upgrader.core.manifest import PatchOperations
from tui_upgrader.core.paths import COMPOSE_FILE_NAMES
from tui_upgrader.core.versions import Version
from tui_upgrader.ops.deploy_files import find_compose_file
from tui_upgrader.ops.release._internal import images as release_images
from tui_upgrader.ops.release._internal.diff import (
    NOTES_FILE,
    ReleaseTree,
    TreeFile,
    diff_trees,
    patch_entries,
    scan_tree,
)
from tui_upgrader.ops.release._internal.manifest import (
    package_entry,
    package_url,
    patch_entry,
    write_manifest,
)
from tui_upgrader.ops.release._internal.zipwriter import atomic_package, sha256_file
from tui_upgrader.ops.release.blobs import publish_thin

logger = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True, kw_only=True)
class BuiltPackage:
    path: Path
    sha256: str
    size: int
    kind: str  # "full" | "patch" | "files" (the full package minus images/, thin delivery)
    arch: Arch

    def to_json(self) -> dict[str, Any]:
        return {
            "path": str(self.path),
            "sha256": self.sha256,
            "size": self.size,
            "kind": self.kind,
            "arch": self.arch.value,
        }


@dataclass(frozen=True, slots=True, kw_only=True)
class BuildResult:
    manifest: Path
    version: Version
    packages: tuple[BuiltPackage, ...]
    operations: Mapping[Arch, PatchOperations] = field(default_factory=dict)
    warnings: tuple[str, ...] = ()

    def to_json(self) -> dict[str, Any]:
        return {"manifest": str(self.manifest), "packages": [p.to_json() for p in self.packages]}


def release_folder(path: Path, what: str) -> Path:
    """``path`` if it is a release folder (a directory with a compose file)."""
    if not path.is_dir():
        raise InputError(_("{what} {path}: not a directory").format(what=what, path=path))
    if find_compose_file(path) is None:
        raise InputError(
            _("{what} {path}: no compose file ({names}); a release folder needs one").format(
                what=what, path=path, names=", ".join(COMPOSE_FILE_NAMES)
            )
        )
    return path


def _write_package(
    path: Path, tree: ReleaseTree, dirs: Sequence[str], files: Sequence[str], kind: str, arch: Arch
) -> BuiltPackage:
    # Parents sort before their children because a folder's entry name is a prefix.
    entries: list[tuple[str, TreeFile | None]] = [(d + "/", None) for d in dirs]
    entries += [(f, tree.files[f]) for f in files]
    with atomic_package(path) as writer:
        writer.add_dir("")
        for name, item in sorted(entries, key=lambda e: e[0]):
            if item is None:
                writer.add_dir(name)
            else:
                assert item.source is not None  # only old-side trees hold source-less images
                writer.add_file(name, item.source)
    built = BuiltPackage(
        path=path, sha256=sha256_file(path), size=path.stat().st_size, kind=kind, arch=arch
    )
    logger.info("%s package %s: %d bytes, sha256 %s", kind, path, built.size, built.sha256)
    return built


def _files_packer(
    tree: ReleaseTree, arch: Arch
) -> Callable[[Path, Sequence[str]], tuple[str, int]]:
    def pack(path: Path, files: Sequence[str]) -> tuple[str, int]:
        built = _write_package(path, tree, sorted(tree.dirs), sorted(files), "files", arch)
        return built.sha256, built.size

    return pack


class _Engine:
    """Connects on first use: folders that ship their image tars never need an engine."""

    def __init__(self, factory: release_images.ClientFactory | None) -> None:
        self._factory = factory
        self._client: Any = None

    def client(self) -> Any:
        if self._client is None:
            self._client = release_images.connect(self._factory)
        return self._client


def _with_images(tree: ReleaseTree, arch: Arch, engine: _Engine, staging: Path) -> ReleaseTree:
    if tree.image_tars():
        return tree
    compose = find_compose_file(tree.root)
    assert compose is not None  # release_folder() checked it
    refs = release_images.compose_images(compose)
    saved = release_images.save_images(
        engine.client(), refs, staging / arch.value, arch.docker_name
    )
    return tree.with_files(saved)


def _old_tree(old_src: Path, new: ReleaseTree, arch: Arch, engine: _Engine) -> ReleaseTree:
    old = scan_tree(old_src, arch.docker_name)
    from_engine = any(new.files[r].image_id for r in new.image_tars())
    if old.image_tars() or not from_engine:
        return old
    compose = find_compose_file(old_src)
    assert compose is not None
    refs = release_images.compose_images(compose)
    return old.with_files(release_images.image_ids(engine.client(), refs, arch.docker_name))


def _notes(src: Path, notes: str | None) -> str:
    path = src / NOTES_FILE
    if path.is_file():
        return path.read_text(encoding="utf-8").strip()
    return (notes or "").strip()


def _check_base_url(base_url: str | None) -> None:
    if base_url is not None and not base_url.startswith(("http://", "https://")):
        raise InputError(
            _("--base-url {base_url!r}: must start with http:// or https://").format(
                base_url=base_url
            )
        )


def build_release(
    src: Path,
    *,
    version: Version,
    out: Path,
    arches: Sequence[Arch] = (Arch.X86_64,),
    base_url: str | None = None,
    patch_from: Path | None = None,
    notes: str | None = None,
    min_version: Version | None = None,
    client_factory: release_images.ClientFactory | None = None,
) -> BuildResult:
    """Pack ``src`` for each architecture (+ the patch from ``patch_from``), then
    write or merge ``out/manifest.json``. Raises InputError for bad folders or
    options, EngineUnavailableError when images must come from a silent engine."""
    src = release_folder(src, _("release folder"))
    if patch_from is not None:
        patch_from = release_folder(patch_from, "--patch-from")
    _check_base_url(base_url)
    if not arches:
        raise InputError(_("no architecture to build for"))
    if out.resolve().is_relative_to(src.resolve()):
        raise InputError(
            _("--out {out}: must not lie inside the release folder {src}").format(out=out, src=src)
        )
    short = version.short
    out.mkdir(parents=True, exist_ok=True)
    engine = _Engine(client_factory)
    packages: list[BuiltPackage] = []
    platforms: dict[Arch, dict[str, Any]] = {}
    patches: dict[Arch, dict[str, Any]] = {}
    operations: dict[Arch, PatchOperations] = {}
    warnings: list[str] = []
    with tempfile.TemporaryDirectory(prefix=".release-build-", dir=out) as work:
        for arch in dict.fromkeys(arches):
            tree = _with_images(scan_tree(src, arch.docker_name), arch, engine, Path(work))
            rel = f"{short}/docker-{arch.value}.zip"
            full = _write_package(
                out / rel, tree, sorted(tree.dirs), sorted(tree.files), "full", arch
            )
            packages.append(full)
            platforms[arch] = package_entry(package_url(base_url, rel), full.sha256, full.size)
            thin = publish_thin(out, short, arch, tree, _files_packer(tree, arch), base_url)
            if thin is not None:
                platforms[arch]["images"] = thin
            if patch_from is None:
                continue
            ops = diff_trees(_old_tree(patch_from, tree, arch, engine), tree)
            if ops.total == 0:
                warnings.append(f"{arch.value}: {patch_from} and {src} hold the same files")
            dirs, files = patch_entries(tree, ops)
            rel = f"{short}/{arch.value}-patch.zip"
            patch = _write_package(out / rel, tree, dirs, files, "patch", arch)
            packages.append(patch)
            operations[arch] = ops
            summary = (
                f"from {patch_from.name}: {len(ops.replaced)} replaced, {len(ops.deleted)} "
                f"deleted; entries under docker/ as in docker-{arch.value}.zip"
            )
            patches[arch] = patch_entry(
                package_url(base_url, rel), patch.sha256, patch.size, ops, summary
            )
    for warning in warnings:
        logger.warning("%s", warning)
    manifest = write_manifest(
        out,
        version=version,
        notes=_notes(src, notes),
        platforms=platforms,
        patches=patches,
        min_version=min_version,
    )
    return BuildResult(
        manifest=manifest,
        version=version,
        packages=tuple(packages),
        operations=operations,
        warnings=tuple(warnings),
    )
