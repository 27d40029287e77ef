"""Which upgrade applies (none / patch / full), and why, in plain words."""

from __future__ import annotations

import enum
from dataclasses import dataclass, replace
from urllib.parse import urljoin, urlsplit

from tui_upgrader.core.arch import Arch
from tui_upgrader.core.errors import StrategyError
from tui_upgrader.core.i18n import N_, _
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


@dataclass(frozen=True, slots=True, kw_only=True)
class PackageRef:
    kind: str  # "full" | "patch"
    url: str
    sha256: str | None
    size: int | None
    signature: str = ""
    source: str = ""  # where in the manifest it came from, for the reasons
    hash_note: str = ""  # why sha256 is None: "<json path> = <value>", for the warning
    # Who vouches for sha256 and size: "the manifest", or "the signed targets" (TUF).
    verified_by: str = N_("the manifest")  # who vouches for hash and size; _() where shown
    # The image index for thin delivery (full packages of a platform entry only).
    images: PackageRef | None = None

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


@dataclass(frozen=True, slots=True, kw_only=True)
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
    # The engine's architecture; a plain name when we ship nothing for it (riscv64).
    arch: Arch | str = Arch.X86_64
    force_full: bool = False
    arch_source: str = ""  # where arch came from: "engine", "TUI_UPGRADER_ARCH", "machine"

    @property
    def upgrades(self) -> bool:
        return self.strategy is not Strategy.NONE


_COMPARISON_WORDS = {
    Comparison.EQUAL: N_("The installed version {cur} is the version offered"),
    Comparison.NEWER: N_("The installed version {cur} is newer than the offered {new}"),
    Comparison.PATCH_UPGRADEABLE: N_(
        "{new} is a patch of the installed {cur} (same release {base}, patch level {b0} -> {b1})"
    ),
    Comparison.FULL_UPGRADE_REQUIRED: N_(
        "{new} is a new release, not a patch of the installed {cur}"
    ),
}


_STRATEGY_NAMES = {
    Strategy.NONE: N_("none"),
    Strategy.PATCH: N_("patch"),
    Strategy.FULL: N_("full"),
}


def strategy_name(strategy: Strategy) -> str:
    """The strategy as a person reads it (``Strategy.value`` is the interface's word)."""
    return _(_STRATEGY_NAMES[strategy])


_PACKAGE_NOUNS = {"full": N_("full package"), "patch": N_("patch package")}


def package_noun(kind: str) -> str:
    """ "full package" / "patch package", in the active language."""
    return _(_PACKAGE_NOUNS[kind]) if kind in _PACKAGE_NOUNS else kind


def _describe(comparison: Comparison, cur: Version, new: Version) -> str:
    base = ".".join(map(str, new.base))
    return _(_COMPARISON_WORDS[comparison]).format(
        cur=cur.short, new=new.short, base=base, b0=cur.build, b1=new.build
    )


def _offered(manifest: Manifest) -> str:
    names = [str(a) for a in (manifest.platforms or {})]
    if manifest.full is not None:
        names.append(_("the generic packages.full"))
    return ", ".join(names) or _("none")


def _full_package(manifest: Manifest, arch: Arch | str) -> tuple[PackageRef, str]:
    entry: PackageInfo | None = None
    if manifest.platforms is not None and arch in manifest.platforms:
        entry, source, why = manifest.platforms[Arch(arch)], f"platforms.{arch}", ""
    elif manifest.full is not None:
        entry, source = manifest.full, "packages.full"
        why = (
            _("The manifest has no {arch} platform package, so the generic package is used").format(
                arch=arch
            )
            if manifest.platforms is not None
            else ""
        )
    if entry is None:
        raise StrategyError(
            _(
                "the manifest offers no full package for {arch}: neither "
                "platforms.{arch} nor packages.full is present (offered: {offered})"
            ).format(arch=arch, offered=_offered(manifest))
        )
    ref = PackageRef(
        kind="full",
        url=entry.url,
        sha256=entry.sha256,
        size=entry.size,
        signature=entry.signature,
        source=source,
        hash_note=entry.hash_note,
    )
    if entry.images is not None:
        index = entry.images
        thin = PackageRef(
            kind="images",
            url=index.url,
            sha256=index.sha256,
            size=index.size,
            source=f"{source}.images",
        )
        ref = replace(ref, images=thin)
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
    arch: Arch | str,
    *,
    force_full: bool = False,
    allow_unverified: bool = False,
) -> Decision:
    """Apply the strategy rules of docs/architecture.md, collecting the reasons."""
    target = manifest.version
    reasons: list[str] = []
    warnings: list[str] = []
    # Nothing installed compares like an older release: the whole package is needed.
    comparison = (
        compare(current, target) if current is not None else Comparison.FULL_UPGRADE_REQUIRED
    )
    if current is not None:
        reasons.append(_describe(comparison, current, target))

    blocked = None
    if current is not None and manifest.min_version is not None and current < manifest.min_version:
        blocked = manifest.min_version
        reasons.append(
            _(
                "{target} can only be installed over {minimum} or later: "
                "upgrade to {minimum} first, then to {target}"
            ).format(target=target.short, minimum=manifest.min_version.short)
        )
        return Decision(
            strategy=Strategy.NONE,
            comparison=comparison,
            current_version=current,
            target_version=target,
            package=None,
            reasons=tuple(reasons),
            warnings=(),
            operations=None,
            blocked_by=blocked,
            arch=arch,
            force_full=force_full,
        )

    strategy: Strategy
    operations = None
    if force_full:
        strategy = Strategy.FULL
        reasons.append(_("A full upgrade was forced (--force-full): every file is reinstalled"))
    elif not deployment.exists:
        strategy = Strategy.FULL
        reasons.append(
            _(
                "The deploy dir does not exist yet, so this is a first install (full) that "
                "creates it; if you expected an installed stack, check --deploy-dir / deploy_dir"
            )
        )
    elif not deployment.has_compose_file:
        strategy = Strategy.FULL
        reasons.append(_("The deploy dir has no compose file, so this is a first install (full)"))
    elif current is None:
        strategy = Strategy.FULL
        reasons.append(_("No installed version is recorded, so the whole release is installed"))
    elif comparison in (Comparison.EQUAL, Comparison.NEWER):
        strategy = Strategy.NONE
        reasons.append(_("Nothing to do: no upgrade is needed"))
    elif comparison is Comparison.PATCH_UPGRADEABLE:
        if manifest.patch is not None and arch in manifest.patch:
            strategy = Strategy.PATCH
            operations = manifest.patch[Arch(arch)].operations
            reasons.append(
                _("A patch package for {arch} exists: only {count} listed path(s) change").format(
                    arch=arch, count=operations.total
                )
            )
        else:
            strategy = Strategy.FULL
            reasons.append(
                _("The manifest has no patch package for {arch}, so a full upgrade is used").format(
                    arch=arch
                )
            )
    else:
        strategy = Strategy.FULL
        reasons.append(_("A new release needs the full package"))

    package: PackageRef | None = None
    if strategy is Strategy.PATCH and manifest.patch is not None:
        p = manifest.patch[Arch(arch)]
        package = PackageRef(
            kind="patch",
            url=p.url,
            sha256=p.sha256,
            size=p.size,
            signature=p.signature,
            source=f"patch.{arch}",
            hash_note=p.hash_note,
        )
    elif strategy is Strategy.FULL:
        package, why = _full_package(manifest, arch)
        if why:
            reasons.append(why)

    if package is not None and package.sha256 is None:
        # Which field and what it holds: "external", a placeholder, nothing.
        where = f" ({package.hash_note})" if package.hash_note else ""
        if allow_unverified:
            warnings.append(
                _(
                    "The {package} has no usable hash{where}: it cannot be verified "
                    "(allowed by allow_unverified = true)"
                ).format(package=package_noun(package.kind), where=where)
            )
        else:
            warnings.append(
                _(
                    "The {package} has no usable hash{where}: it will be refused unless the "
                    "config sets allow_unverified = true"
                ).format(package=package_noun(package.kind), where=where)
            )
    if operations is not None:
        overlap = set(operations.replaced) & set(operations.delete_files + operations.delete_dirs)
        if overlap:
            warnings.append(
                _(
                    "Paths listed both to replace and to delete are replaced, not deleted: {paths}"
                ).format(paths=", ".join(sorted(overlap)))
            )
    return Decision(
        strategy=strategy,
        comparison=comparison,
        current_version=current,
        target_version=target,
        package=package,
        reasons=tuple(reasons),
        warnings=tuple(warnings),
        operations=operations,
        blocked_by=None,
        arch=arch,
        force_full=force_full,
    )
