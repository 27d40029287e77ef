"""Load the manifest through TUF and vouch for the package with the signed targets.

The repository is static files beside ``manifest.json``: ``N.root.json``,
``timestamp.json``, ``snapshot.json``, ``targets.json``. The targets list
``manifest.json`` and every package with length and SHA-256.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import quote, unquote, urlsplit

from tui_upgrader.core.errors import ConfigError, TrustError
from tui_upgrader.core.i18n import N_, _
from tui_upgrader.core.strategy import PackageRef
from tui_upgrader.core.trust import SIGNED_TARGETS, UNSIGNED, TrustSummary
from tui_upgrader.ops.settings import Settings
from tui_upgrader.ops.trust._internal.bundle import (
    MANIFEST_NAME,
    BundleIndex,
    bundle_base,
    copy_out,
    is_bundle,
)
from tui_upgrader.ops.trust.anchor import pinned_root, repo_state_dir, root_candidates

if TYPE_CHECKING:
    from tuf.api.metadata import Metadata, TargetFile

logger = logging.getLogger(__name__)

USER_AGENT = "tui-upgrader"
NO_ROOT = N_(
    "no trusted root for signed releases: run `tui-upgrader trust ROOT.json` with the "
    "publisher's root (or set trusted_root in config.toml; allow_unsigned = true accepts "
    "unsigned releases)"
)


@dataclass(frozen=True, slots=True)
class SignedTarget:
    path: str
    length: int
    sha256: str


@dataclass(frozen=True, slots=True, kw_only=True)
class Release:
    """Where the manifest came from and, when signed, its verified bytes."""

    source: str
    manifest_bytes: bytes | None  # None: unsigned, fetch it the old way
    trust: TrustSummary
    lookup: Callable[[str], SignedTarget | None] = lambda _path: None
    base_url: str = ""


def _split(source: str) -> tuple[str, str]:
    """(metadata base URL with a trailing slash, manifest's target name)."""
    parts = urlsplit(source)
    if parts.scheme.lower() in ("http", "https"):
        head, _sep, name = source.partition("?")[0].rpartition("/")
        return head + "/", unquote(name)
    path = Path(unquote(parts.path) if parts.scheme.lower() == "file" else source).absolute()
    return "file://" + quote(str(path.parent).rstrip("/")) + "/", path.name


def _read(path: Path) -> Metadata:  # type: ignore[type-arg]
    from tuf.api.metadata import Metadata

    return Metadata.from_file(str(path))


def _summary(state: Path, fetched: int) -> TrustSummary:
    # These files are the ones python-tuf just verified and persisted.
    from tuf.api.metadata import Root

    root = _read(state / "root.json").signed
    assert isinstance(root, Root)
    expiries = [_read(state / f"{role}.json").signed.expires for role in ("timestamp", "snapshot")]
    expiries.append(_read(state / "targets.json").signed.expires)
    keys = root.roles["targets"].keyids
    return TrustSummary(
        signed=True,
        key_id=keys[0] if keys else "",
        expires=min(expiries),
        root_version=root.version,
        metadata_bytes=fetched,
    )


def _target(info: TargetFile | None) -> SignedTarget | None:
    if info is None or "sha256" not in info.hashes:
        return None
    return SignedTarget(info.path, info.length, info.hashes["sha256"])


def open_release(settings: Settings) -> Release:
    """Verify the repository's metadata and the manifest; or, allowed, go unsigned.

    Raises TrustError naming the file that failed (expired, rolled back,
    wrongly signed, past its length, differing from the signed targets).
    """
    source = settings.manifest
    if not source:
        raise ConfigError(
            _("no manifest configured: pass --manifest URL|PATH or set manifest in config.toml")
        )
    bundle = None
    if is_bundle(source):
        bundle = BundleIndex(Path(source.removeprefix("file://")))
    root = pinned_root(settings)
    if root is None:
        if bundle is not None:
            # A bundle is only ever a signed store: without a root nothing in it can be vouched for.
            raise TrustError(_(NO_ROOT))
        if not settings.allow_unsigned:
            raise TrustError(_(NO_ROOT))
        # Said where it looked: under sudo or cron HOME (and the data dir) differ.
        looked = " or ".join(str(p) for p in root_candidates(settings))
        logger.warning(
            "no trusted root at %s and allow_unsigned = true: %s is not verified", looked, source
        )
        return Release(source=source, manifest_bytes=None, trust=UNSIGNED)
    return _verified(settings, source, root, bundle)


def _verified(settings: Settings, source: str, root: bytes, bundle: BundleIndex | None) -> Release:
    # python-tuf and httpx only for a signed release: an unsigned one never loads them.
    from tuf.api import exceptions as tuf_errors
    from tuf.ngclient import UpdaterConfig

    from tui_upgrader.ops.trust._internal.errors import translate
    from tui_upgrader.ops.trust._internal.fetcher import HttpxFetcher
    from tui_upgrader.ops.trust._internal.updater import DurableUpdater

    base, name = (bundle_base(bundle.path), MANIFEST_NAME) if bundle else _split(source)
    state = repo_state_dir(settings, root)
    fetcher = HttpxFetcher(settings, bundle=bundle)
    try:
        updater = DurableUpdater(
            str(state),
            base,
            target_base_url=base,
            fetcher=fetcher,
            config=UpdaterConfig(app_user_agent=USER_AGENT),
            bootstrap=root,
        )
        updater.refresh()
        info = updater.get_targetinfo(name)
        if info is None:
            raise TrustError(
                _("{name}: not in the signed targets of {base}").format(name=name, base=base)
            )
        data = fetcher.download_bytes(base + quote(name), info.length)
        try:
            info.verify_length_and_hashes(data)
        except tuf_errors.LengthOrHashMismatchError:
            raise TrustError(
                _("{name}: differs from the signed targets (tampered)").format(name=name)
            ) from None
    except Exception as exc:
        raise translate(exc, fetcher.last_name, fetcher.last_data, base) from exc
    finally:
        fetcher.close()
    if bundle is not None:

        def signed(path: str) -> tuple[int, str] | None:
            target = _target(updater.get_targetinfo(path))
            return None if target is None else (target.length, target.sha256)

        manifest_path = copy_out(bundle, data, signed, settings.cache_dir / "bundles")
        source = str(manifest_path)
        base = "file://" + quote(str(manifest_path.parent)) + "/"
    trust = _summary(state, fetcher.bytes_fetched)
    logger.info(
        "%s verified through TUF (root v%d, targets key %s, expires %s, %d metadata bytes)",
        source,
        trust.root_version,
        trust.short_key_id,
        trust.expires,
        trust.metadata_bytes,
    )

    def lookup(path: str) -> SignedTarget | None:
        try:
            return _target(updater.get_targetinfo(path))
        except Exception as exc:
            raise translate(exc, path, b"", base) from exc

    return Release(source=source, manifest_bytes=data, trust=trust, lookup=lookup, base_url=base)


def _candidates(url: str, base: str) -> list[str]:
    """Target paths a package URL may stand for, most specific first."""
    path = unquote(urlsplit(url).path) if "://" in url else str(Path(url).absolute())
    base_path = unquote(urlsplit(base).path)
    if path.startswith(base_path):
        return [path[len(base_path) :]]
    parts = path.strip("/").split("/")
    return ["/".join(parts[i:]) for i in range(len(parts))]


def bind_package(release: Release, package: PackageRef) -> PackageRef:
    """The package with its length and SHA-256 taken from the signed targets."""
    for candidate in _candidates(package.url, release.base_url):
        target = release.lookup(candidate)
        if target is None:
            continue
        name = package.file_name
        if (
            package.sha256 is not None
            and package.sha256.lower().removeprefix("sha256:") != target.sha256
        ):
            raise TrustError(
                _("package {name}: sha256 in the manifest differs from {source}").format(
                    name=name, source=_(SIGNED_TARGETS)
                )
            )
        if package.size is not None and package.size != target.length:
            raise TrustError(
                _("package {name}: size in the manifest differs from {source}").format(
                    name=name, source=_(SIGNED_TARGETS)
                )
            )
        return replace(
            package, sha256=target.sha256, size=target.length, verified_by=SIGNED_TARGETS
        )
    raise TrustError(
        _("package {file_name}: not in {source} ({url})").format(
            file_name=package.file_name, source=_(SIGNED_TARGETS), url=package.url
        )
    )


def bind_index(release: Release, index: PackageRef | None) -> PackageRef | None:
    """The image index bound to the signed targets; None (thin delivery off, the
    full package is used) when the targets do not list it."""
    if index is None:
        return None
    try:
        return bind_package(release, index)
    except TrustError as exc:
        logger.warning("image index not usable, the full package will be used: %s", exc)
        return None
