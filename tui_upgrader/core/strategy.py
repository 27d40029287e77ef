"""Which upgrade applies (none / patch / full), and why, in plain words."""

from __future__ import annotations

import enum
from dataclasses import dataclass, replace
from urllib.parse import urljoin, urlsplit

from tui_upgrader.core.arch import Arch
from tui_upgrader.core.errors import StrategyError
from tui_upgrader.core.manifest import Manifest, PackageInfo, PatchOperations
from tui_upgrader.core.versions import Comparison, Version, compare


class Strategy(enum.StrEnum):
    NONE = "none"
    PATCH = "patch"
    FULL = "full"


@dataclass(frozen=True, slots=True)
class Deployment:
    """What we know about the deploy dir (gathered by ops, judged here)."""

    installed: Version | None  # None = first install (no state file)
    has_compose_file: bool
    exists: bool = True  # False: a typo in --deploy-dir looks just like a first install


@dataclass(frozen=True, slots=True)
class PackageRef:
    kind: str  # "full" | "patch"
    url: str
    sha256: str | None
    size: int | None
    signature: str = ""
    source: str = ""  # where in the manifest it came from, for the reasons
    # Who vouches for sha256 and size: "the manifest", or "the signed targets" (TUF).
    verified_by: str = "the manifest"

    @property
    def file_name(self) -> str:
        """The cache file name; never one that could climb out of the cache dir."""
        name = urlsplit(self.url).path.rsplit("/", 1)[-1]
        if name in ("", ".", "..") or "\\" in name:
            return f"{self.kind}.zip"
        return name

    @property
    def verifiable(self) -> bool:
        return self.sha256 is not None


@dataclass(frozen=True, slots=True)
class Decision:
    strategy: Strategy
    comparison: Comparison
    current_version: Version | None
    target_version: Version
    package: PackageRef | None
    reasons: tuple[str, ...]
    warnings: tuple[str, ...] = ()
    operations: PatchOperations | None = None
    blocked_by: Version | None = None  # min_version the admin must install first
    arch: Arch = Arch.X86_64
    force_full: bool = False

    @property
    def upgrades(self) -> bool:
        return self.strategy is not Strategy.NONE


_COMPARISON_WORDS = {
    Comparison.EQUAL: "the installed version {cur} is the version offered",
    Comparison.NEWER: "the installed version {cur} is newer than the offered {new}",
    Comparison.PATCH_UPGRADEABLE: (
        "{new} is a patch of the installed {cur} (same release {base}, patch level {b0} -> {b1})"
    ),
    Comparison.FULL_UPGRADE_REQUIRED: "{new} is a new release, not a patch of the installed {cur}",
}


def _describe(comparison: Comparison, cur: Version, new: Version) -> str:
    base = ".".join(map(str, new.base))
    return _COMPARISON_WORDS[comparison].format(
        cur=cur.short, new=new.short, base=base, b0=cur.build, b1=new.build
    )


def _capitalise(text: str) -> str:
    return text[:1].upper() + text[1:]


def _full_package(manifest: Manifest, arch: Arch) -> tuple[PackageRef, str]:
    entry: PackageInfo | None = None
    if manifest.platforms is not None and arch in manifest.platforms:
        entry, source, why = manifest.platforms[arch], f"platforms.{arch}", ""
    elif manifest.full is not None:
        entry, source = manifest.full, "packages.full"
        why = (
            f"the manifest has no {arch} platform package, so the generic package is used"
            if manifest.platforms is not None
            else ""
        )
    if entry is None:
        raise StrategyError(
            f"the manifest offers no full package for {arch}: "
            f"neither platforms.{arch} nor packages.full is present"
        )
    ref = PackageRef("full", entry.url, entry.sha256, entry.size, entry.signature, source)
    return ref, why


def resolve_url(ref: PackageRef, base: str | None) -> PackageRef:
    """Make a ``/path`` URL absolute against the manifest's own URL."""
    if base is None or not base.startswith(("http://", "https://")):
        return ref
    absolute = urljoin(base, ref.url)
    if absolute == ref.url:
        return ref
    return replace(ref, url=absolute)


def decide(
    current: Version | None,
    manifest: Manifest,
    deployment: Deployment,
    arch: Arch,
    *,
    force_full: bool = False,
    allow_unverified: bool = False,
) -> Decision:
    """Apply the strategy rules of architecture.md, collecting the reasons."""
    target = manifest.version
    reasons: list[str] = []
    warnings: list[str] = []
    # Nothing installed compares like an older release: the whole package is needed.
    comparison = (
        compare(current, target) if current is not None else Comparison.FULL_UPGRADE_REQUIRED
    )
    if current is not None:
        reasons.append(_capitalise(_describe(comparison, current, target)))

    blocked = None
    if current is not None and manifest.min_version is not None and current < manifest.min_version:
        blocked = manifest.min_version
        reasons.append(
            f"{target.short} can only be installed over {manifest.min_version.short} or later: "
            f"upgrade to {manifest.min_version.short} first, then to {target.short}"
        )
        return Decision(
            Strategy.NONE,
            comparison,
            current,
            target,
            None,
            tuple(reasons),
            (),
            None,
            blocked,
            arch,
            force_full,
        )

    strategy: Strategy
    operations = None
    if force_full:
        strategy = Strategy.FULL
        reasons.append("A full upgrade was forced (--force-full): every file is reinstalled")
    elif not deployment.exists:
        strategy = Strategy.FULL
        reasons.append(
            "The deploy dir does not exist yet, so this is a first install (full) that creates "
            "it; if you expected an installed stack, check --deploy-dir / deploy_dir"
        )
    elif not deployment.has_compose_file:
        strategy = Strategy.FULL
        reasons.append("The deploy dir has no compose file, so this is a first install (full)")
    elif current is None:
        strategy = Strategy.FULL
        reasons.append("No installed version is recorded, so the whole release is installed")
    elif comparison in (Comparison.EQUAL, Comparison.NEWER):
        strategy = Strategy.NONE
        reasons.append("Nothing to do: no upgrade is needed")
    elif comparison is Comparison.PATCH_UPGRADEABLE:
        if manifest.patch is not None and arch in manifest.patch:
            strategy = Strategy.PATCH
            operations = manifest.patch[arch].operations
            reasons.append(
                f"A patch package for {arch} exists: only {operations.total} listed path(s) change"
            )
        else:
            strategy = Strategy.FULL
            reasons.append(
                f"The manifest has no patch package for {arch}, so a full upgrade is used"
            )
    else:
        strategy = Strategy.FULL
        reasons.append("A new release needs the full package")

    package: PackageRef | None = None
    if strategy is Strategy.PATCH and manifest.patch is not None:
        p = manifest.patch[arch]
        package = PackageRef("patch", p.url, p.sha256, p.size, p.signature, f"patch.{arch}")
    elif strategy is Strategy.FULL:
        package, why = _full_package(manifest, arch)
        if why:
            reasons.append(_capitalise(why))

    if package is not None and package.sha256 is None:
        if allow_unverified:
            warnings.append(
                f"The {package.kind} package has no hash: it cannot be verified "
                "(allowed by allow_unverified = true)"
            )
        else:
            warnings.append(
                f"The {package.kind} package has no hash: it will be refused unless the config "
                "sets allow_unverified = true"
            )
    if operations is not None:
        overlap = set(operations.replaced) & set(operations.delete_files + operations.delete_dirs)
        if overlap:
            warnings.append(
                "Paths listed both to replace and to delete are replaced, not deleted: "
                + ", ".join(sorted(overlap))
            )
    return Decision(
        strategy,
        comparison,
        current,
        target,
        package,
        tuple(reasons),
        tuple(warnings),
        operations,
        None,
        arch,
        force_full,
    )
