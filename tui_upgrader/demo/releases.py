"""Build the demo: three release folders, a release store and a deploy dir at 1.0.0.

Layout under ``root`` (everything the demo owns; rebuilt from scratch each time)::

    root/.tui-upgrader-demo       marker: only a folder holding it is ever wiped
    root/sources/<version>/       release folders (compose, .env, app/, config/, www/, images/)
    root/store/                   release store to serve: manifest.json, <version>/*.zip
    root/deploy/                  deploy dir installed at 1.0.0, with data/ and state.toml

The store ends up offering 1.1.0.1: full packages (``platforms``) and the patch
from 1.1.0. Loading the 1.0.0 images into the engine and starting the stack
is the caller's job (``DemoLayout.installed_images``); nothing here needs an engine.
"""

from __future__ import annotations

import logging
import os
import secrets
import shutil
import zipfile
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from tui_upgrader.core.arch import Arch
from tui_upgrader.core.errors import InputError
from tui_upgrader.core.i18n import _
from tui_upgrader.core.manifest import PatchOperations
from tui_upgrader.core.versions import Version
from tui_upgrader.demo import content
from tui_upgrader.demo.images import build_busybox_image_tar
from tui_upgrader.ops.release.build import BuildResult, build_release
from tui_upgrader.ops.state import DeployState, write_state
from tui_upgrader.ops.upgrade.planning import detect_arch

logger = logging.getLogger(__name__)

MARKER = ".tui-upgrader-demo"
VERSIONS = ("1.0.0", "1.1.0", "1.1.0.1")
INSTALLED = "1.0.0"
OFFERED = "1.1.0.1"
DEFAULT_PORT = 18080
DEFAULT_PROJECT = "tui-upgrader-demo"
ADMIN_GREETING = "hello from the admin"  # set in the deploy dir's .env: must survive upgrades


@dataclass(frozen=True, slots=True)
class DemoLayout:
    root: Path
    sources: Mapping[str, Path]  # release version -> release folder
    store: Path  # serve this directory as the server root
    manifest: Path  # store/manifest.json
    deploy_dir: Path
    project: str  # compose project name (``name:`` in the compose file)
    port: int  # web service on 127.0.0.1:port
    secret: str  # DEMO_SECRET's value: must never appear in a log
    images: Mapping[str, str]  # release version -> image reference it runs
    installed_images: tuple[Path, ...]  # image tars to load before starting 1.0.0
    builds: Mapping[str, BuildResult]  # release version -> what ``release build`` made
    arch: Arch

    @property
    def patch_operations(self) -> PatchOperations:
        """The 1.1.0 -> 1.1.0.1 operations the manifest lists for this machine."""
        return self.builds[OFFERED].operations[self.arch]

    @property
    def compose_file(self) -> Path:
        return self.deploy_dir / content.COMPOSE_FILE


def _reset(root: Path) -> None:
    if root.exists() and any(root.iterdir()) and not (root / MARKER).exists():
        raise InputError(
            _("{root}: not empty and not a demo folder (no {marker}); refusing to wipe it").format(
                root=root, marker=MARKER
            )
        )
    root.mkdir(parents=True, exist_ok=True)
    (root / MARKER).write_text("built by tui-upgrader; safe to delete\n", encoding="utf-8")
    for name in ("sources", "store", "deploy", "keys", "state/trust"):
        if (root / name).exists():
            shutil.rmtree(root / name)


def write_release_folder(
    folder: Path,
    files: Mapping[str, str],
    image_ref: str,
    *,
    image_version: str,
    project: str,
) -> Path:
    """One release folder: text files plus ``images/web.tar`` holding ``image_ref``."""
    for rel, text in files.items():
        path = folder / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
        os.chmod(path, 0o755 if rel.endswith(".sh") else 0o644)
    build_busybox_image_tar(
        image_ref,
        folder / "images" / "web.tar",
        extra_files={"etc/demo-version": f"{image_version}\n".encode()},
        layers=3,
        labels={"org.opencontainers.image.version": image_version, "io.tui-upgrader.demo": project},
    )
    return folder


def install_package(package: Path, deploy_dir: Path) -> None:
    """Unpack one of our own full packages (``docker/`` stripped) into ``deploy_dir``.

    Only for packages this module just built; the runner has the hardened extractor.
    """
    with zipfile.ZipFile(package) as zf:
        for info in zf.infolist():
            rel = info.filename.removeprefix("docker/")
            if not rel:
                continue
            if rel.startswith("/") or ".." in rel.split("/"):
                raise InputError(
                    _("{package}: unexpected entry {filename!r}").format(
                        package=package, filename=info.filename
                    )
                )
            target = deploy_dir / rel
            if info.is_dir():
                target.mkdir(parents=True, exist_ok=True)
                continue
            target.parent.mkdir(parents=True, exist_ok=True)
            with zf.open(info) as src, target.open("wb") as dst:
                shutil.copyfileobj(src, dst, 1024 * 1024)
            os.chmod(target, (info.external_attr >> 16) & 0o777 or 0o644)


def _seed_deploy(deploy_dir: Path, package: Path) -> None:
    install_package(package, deploy_dir)
    env = deploy_dir / ".env"
    lines = env.read_text(encoding="utf-8").splitlines()
    env.write_text(
        "\n".join(
            f"DEMO_GREETING={ADMIN_GREETING}" if ln.startswith("DEMO_GREETING=") else ln
            for ln in lines
        )
        + "\n",
        encoding="utf-8",
    )
    os.chmod(env, 0o600)
    for rel, text in content.DATA_SEED.items():
        path = deploy_dir / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    write_state(deploy_dir, DeployState(version=Version.parse(INSTALLED)))


def build_demo(
    root: Path,
    *,
    port: int = DEFAULT_PORT,
    project: str = DEFAULT_PROJECT,
    image_repo: str | None = None,
    arch: Arch | None = None,
) -> DemoLayout:
    """(Re)build the whole demo under ``root``; no engine or network needed.

    Tests pass a free ``port`` and a unique ``project`` (the image repository
    defaults to ``<project>/web``) so concurrent runs never share a name.
    """
    root = root.resolve()
    _reset(root)
    arch = arch or detect_arch()
    repo = image_repo or f"{project}/web"
    env = content.DemoSecrets(port=port, secret="demo-" + secrets.token_hex(12))
    sources: dict[str, Path] = {}
    images: dict[str, str] = {}
    builds: dict[str, BuildResult] = {}
    store = root / "store"
    for version in VERSIONS:
        image_version = content.IMAGE_VERSION[version]
        images[version] = f"{repo}:{image_version}"
        files = content.release_files(version, project, images[version], env)
        sources[version] = write_release_folder(
            root / "sources" / version,
            files,
            images[version],
            image_version=image_version,
            project=project,
        )
        previous = sources.get("1.1.0") if version == OFFERED else None
        builds[version] = build_release(
            sources[version],
            version=Version.parse(version),
            out=store,
            arches=(arch,),
            patch_from=previous,
        )
        logger.info("demo release %s built", version)
    deploy_dir = root / "deploy"
    deploy_dir.mkdir()
    _seed_deploy(deploy_dir, store / INSTALLED / f"docker-{arch.value}.zip")
    installed_images = tuple(sorted((deploy_dir / "images").glob("*.tar")))
    return DemoLayout(
        root=root,
        sources=sources,
        store=store,
        manifest=builds[OFFERED].manifest,
        deploy_dir=deploy_dir,
        project=project,
        port=port,
        secret=env.secret,
        images=images,
        installed_images=installed_images,
        builds=builds,
        arch=arch,
    )
